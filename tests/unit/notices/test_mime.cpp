// MIME building blocks: header lines, encoded words, quoted-printable.
#include <doctest/doctest.h>

#include "mail_reader.hpp"
#include "notifier/notices/mime.hpp"

using namespace botwarden::notices;

TEST_CASE("a header value with CR or LF is rejected, never folded into a new header") {
  CHECK(header_line("Subject", "hello") == "Subject: hello\r\n");
  CHECK_THROWS_WITH_AS(header_line("Subject", "hi\r\nBcc: victim@example.com"),
                       "header Subject: value contains CR or LF", MessageError);
  CHECK_THROWS_WITH_AS(header_line("Subject", "hi\nBcc: x"), "header Subject: value contains CR or LF", MessageError);
  CHECK_THROWS_WITH_AS(header_line("Subject", "hi\rBcc: x"), "header Subject: value contains CR or LF", MessageError);
  CHECK_THROWS_WITH_AS(header_line("Subject", "caf\xC3\xA9"), "header Subject: value contains NUL or non-ASCII bytes",
                       MessageError);
  CHECK_THROWS_WITH_AS(header_line("Bad Name", "x"), "header name 'Bad Name' is not RFC 5322 ftext", MessageError);
  CHECK_THROWS_WITH_AS(header_line("Subject", std::string(990, 'a')),
                       "header Subject: line longer than 998 characters", MessageError);
  // A folded part is checked the same way.
  CHECK_THROWS_WITH_AS(header_line("Subject", std::vector<std::string>{"a", "b\r\nBcc: x"}),
                       "header Subject: value contains CR or LF", MessageError);
  CHECK(header_line("Subject", std::vector<std::string>{"a", "b"}) == "Subject: a\r\n b\r\n");
}

TEST_CASE("a non-ASCII subject becomes RFC 2047 words that decode back and never split a character") {
  for (const std::string& text : {std::string("Sécurité : un appareil de votre connexion envoie du spam (BW-7K3Q-9XPD)"),
                                 std::string("Ein Gerät an Ihrem Anschluss versendet Spam – ") + std::string(60, 'x'),
                                 std::string(40, 'a') + "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC" + std::string(40, 'b')}) {
    CAPTURE(text);
    const auto words = encode_unstructured(text);
    REQUIRE(words.size() >= 1);
    std::string joined;
    for (const auto& w : words) {
      CHECK(w.size() <= 75);
      CHECK(w.rfind("=?UTF-8?B?", 0) == 0);
      // Each word alone must be valid UTF-8 (RFC 2047 §5: no split characters).
      const std::string decoded = mail_reader::decode_words(w);
      CHECK(sanitize_utf8(decoded) == decoded);
      joined += decoded;
    }
    CHECK(joined == text);
  }
  CHECK(encode_unstructured("Plain short subject") == std::vector<std::string>{"Plain short subject"});
  CHECK_THROWS_WITH_AS(encode_unstructured("a\r\nb"), "header value contains control characters", MessageError);
}

TEST_CASE("quoted-printable keeps lines at most 76 characters, encodes line-initial dots and trailing space") {
  std::string text = std::string(200, 'x') + "\r\n.\r\nend with space \r\nH\xC3\xA9llo = world\r\n";
  const std::string qp = quoted_printable(text);
  CHECK(mail_reader::decode_qp(qp) == text);
  std::size_t start = 0;
  while (start < qp.size()) {
    const auto eol = qp.find("\r\n", start);
    REQUIRE(eol != std::string::npos);
    const std::string line = qp.substr(start, eol - start);
    CAPTURE(line);
    CHECK(line.size() <= 76);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find('\r') == std::string::npos);
    CHECK((line.empty() || line[0] != '.'));
    CHECK((line.empty() || line.back() != ' '));
    start = eol + 2;
  }
  CHECK(qp.find("=2E\r\n") != std::string::npos);
  CHECK(qp.find("space=20\r\n") != std::string::npos);
  CHECK(qp.find("H=C3=A9llo =3D world") != std::string::npos);
}

TEST_CASE("every byte value survives quoted-printable at every line position") {
  for (int b = 0; b < 256; ++b) {
    for (std::size_t pad = 70; pad < 78; ++pad) {
      const std::string text = std::string(pad, 'a') + static_cast<char>(b) + "z";
      if (b == '\r' || b == '\n') continue;
      CAPTURE(b);
      CAPTURE(pad);
      CHECK(mail_reader::decode_qp(quoted_printable(text)) == text);
    }
  }
}

TEST_CASE("text_safe replaces control characters and invalid UTF-8 and cuts long values") {
  CHECK(text_safe("evil\r\nBcc: victim@example.com") == "evil??Bcc: victim@example.com");
  CHECK(text_safe("a\x01\x7F" "b") == "a??b");
  CHECK(text_safe("\xC2\x85x") == "?x");  // C1 NEL
  CHECK(text_safe("bad\xFF\xC3") == "bad\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(text_safe("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  CHECK(text_safe(std::string(10, 'x'), 4) == "xxxx...");
  CHECK(text_safe("\xC3\xA9\xC3\xA9\xC3\xA9", 2) == "\xC3\xA9\xC3\xA9...");
}

TEST_CASE("mailboxes are quoted or encoded and invalid addresses are refused") {
  CHECK(format_mailbox("", "user@example.net") == "user@example.net");
  CHECK(format_mailbox("Jo \"Q\" Public", "jo@example.net") == "\"Jo \\\"Q\\\" Public\" <jo@example.net>");
  CHECK(format_mailbox("Zoë", "zoe@example.net") == "=?UTF-8?B?Wm/Dqw==?= <zoe@example.net>");
  CHECK(format_mailbox("A\r\nBcc: x@y", "a@example.net") == "\"A??Bcc: x@y\" <a@example.net>");
  CHECK_THROWS_WITH_AS(format_mailbox("", "victim@example.com\r\nBcc: x@y"),
                       "invalid email address 'victim@example.com??Bcc: x@y'", MessageError);
  CHECK_FALSE(is_valid_address("a@b@c"));
  CHECK_FALSE(is_valid_address("<a@b>"));
  CHECK_FALSE(is_valid_address("a b@c"));
  CHECK_FALSE(is_valid_address("a@.c"));
  CHECK(is_valid_address("first.last+tag@sub.example.net"));
}

TEST_CASE("dates are RFC 5322 in UTC and message ids are random") {
  CHECK(format_rfc5322_date(1764096621LL * 1'000'000) == "Tue, 25 Nov 2025 18:50:21 +0000");
  const auto a = make_message_id("isp.example");
  const auto b = make_message_id("isp.example");
  CHECK(a.size() == 1 + 32 + 1 + 11 + 1);
  CHECK(a.front() == '<');
  CHECK(a.substr(33) == "@isp.example>");
  CHECK(a != b);
}
