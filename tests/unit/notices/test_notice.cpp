// Composing notices from the shipped templates (configs/templates/).
#include <doctest/doctest.h>

#include <algorithm>

#include "mail_reader.hpp"
#include "notifier/notices/mime.hpp"
#include "notifier/notices/notice.hpp"

using namespace botwarden::notices;

namespace {

const TemplateCatalog& shipped() {
  static const TemplateCatalog catalog = TemplateCatalog::load(BOTWARDEN_SOURCE_DIR "/configs/templates");
  return catalog;
}

NoticeData sample(std::string language) {
  NoticeData d;
  d.account_id = "acct-0042";
  d.account_name = "Jo Public";
  d.email = "jo@customer.example";
  d.language = std::move(language);
  d.incident_code = "BW-7K3Q-9XPD";
  d.first_detection = 1795615800LL * 1'000'000;  // 2026-11-25 14:10 UTC
  d.last_detection = 1795623000LL * 1'000'000;   // 2026-11-25 16:10 UTC
  d.sessions = 120;
  d.messages = 340;
  d.destinations = 57;
  d.detectors = {"bad_helo", "direct_to_mx"};
  d.example_helo = "[192.0.2.7]";
  d.cleanup_token = "tok_abc-123";
  return d;
}

constexpr botwarden::Micros kNow = 1795623200LL * 1'000'000;

const std::vector<std::string> kHeaderSet{"Date", "Message-ID", "From", "To", "Reply-To", "Subject",
                                          "Auto-Submitted", "Content-Language", "MIME-Version", "Content-Type"};

void check_structure(const std::string& raw) {
  // CRLF only, no bare CR or LF; every line at most 998 characters (RFC 5322 §2.1.1).
  std::size_t start = 0;
  while (start < raw.size()) {
    const auto eol = raw.find("\r\n", start);
    REQUIRE(eol != std::string::npos);
    const std::string line = raw.substr(start, eol - start);
    CAPTURE(line);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find('\r') == std::string::npos);
    CHECK(line.size() <= 998);
    CHECK(line.size() <= 78);  // we also keep the SHOULD
    start = eol + 2;
  }
  CHECK(raw.size() >= 2);
  CHECK(raw.substr(raw.size() - 2) == "\r\n");
}

}  // namespace

TEST_CASE("a notice is multipart/alternative with exactly the expected headers") {
  const auto n = compose_notice(shipped(), NoticeSettings{}, sample("en"), kNow);
  check_structure(n.message);
  const auto m = mail_reader::split(n.message);
  CHECK(mail_reader::names(m) == kHeaderSet);
  CHECK(mail_reader::value(m, "Date") == "Wed, 25 Nov 2026 16:13:20 +0000");
  CHECK(mail_reader::value(m, "Message-ID") == n.message_id);
  CHECK(mail_reader::value(m, "From") == "\"Example ISP security team\" <abuse@isp.example>");
  CHECK(mail_reader::value(m, "To") == "\"Jo Public\" <jo@customer.example>");
  CHECK(mail_reader::value(m, "Reply-To") == "abuse@isp.example");
  CHECK(mail_reader::value(m, "Auto-Submitted") == "auto-generated");
  CHECK(mail_reader::value(m, "MIME-Version") == "1.0");
  CHECK(mail_reader::decode_words(mail_reader::value(m, "Subject")) ==
        "Example ISP: a device on your connection is sending spam (BW-7K3Q-9XPD)");
  CHECK(n.subject == "Example ISP: a device on your connection is sending spam (BW-7K3Q-9XPD)");
  CHECK(n.message_id.ends_with("@isp.example>"));
  CHECK(n.recipient == "jo@customer.example");

  const auto parts = mail_reader::parts(m);
  REQUIRE(parts.size() == 2);
  CHECK(mail_reader::value(parts[0].message, "Content-Type") == "text/plain; charset=UTF-8");
  CHECK(mail_reader::value(parts[1].message, "Content-Type") == "text/html; charset=UTF-8");
  CHECK(mail_reader::value(parts[0].message, "Content-Transfer-Encoding") == "quoted-printable");
  const std::string& text = parts[0].decoded;
  CHECK(text.find("Hello Jo Public,\r\n") == 0);
  CHECK(text.find("Between\r\n25 November 2026 at 14:10 UTC and 25 November 2026 at 16:10 UTC") != std::string::npos);
  CHECK(text.find("120 mail connections, 340 messages, to 57 different mail servers.") != std::string::npos);
  CHECK(text.find("- The device announced itself to mail servers with a false name.\r\n") != std::string::npos);
  CHECK(text.find("directly to other companies' mail servers") != std::string::npos);
  CHECK(text.find("coordinated group") == std::string::npos);  // snowshoe not among the detectors
  CHECK(text.find("For example, it called itself: [192.0.2.7]\r\n") != std::string::npos);
  CHECK(text.find("https://garden.isp.example/cleanup/tok_abc-123") != std::string::npos);
  CHECK(text.find("never ask for your\r\npassword") != std::string::npos);
  CHECK(text.find("https://www.isp.example/security/verify") != std::string::npos);
  CHECK(text.find("connection is now limited") == std::string::npos);  // stage "first"
  const std::string& html = parts[1].decoded;
  CHECK(html.find("<a href=\"https://garden.isp.example/cleanup/tok_abc-123\">") != std::string::npos);
  CHECK(html.find("<code>[192.0.2.7]</code>") != std::string::npos);
}

TEST_CASE("notices are rendered in the account's language, falling back to English") {
  struct Case {
    std::string language, expected_template_language, subject_start, date_text, cleanup_phrase;
  };
  const std::vector<Case> cases{
      {"en", "en", "Example ISP: a device on your connection", "25 November 2026 at 14:10 UTC", "step-by-step guide"},
      {"de", "de", "Example ISP: Ein Gerät an Ihrem Anschluss", "25. November 2026 um 14:10 Uhr UTC",
       "Schritt-für-Schritt-Anleitung"},
      {"de-AT", "de", "Example ISP: Ein Gerät", "25. November 2026 um 16:10 Uhr UTC", "Vorfallscode BW-7K3Q-9XPD"},
      {"fr", "fr", "Example ISP : un appareil de votre connexion", "25 novembre 2026 à 14h10 UTC", "guide pas à pas"},
      {"nl", "nl", "Example ISP: een apparaat op uw aansluiting", "25 november 2026 om 16:10 UTC",
       "stap-voor-stap-handleiding"},
      {"es", "en", "Example ISP: a device", "25 November 2026 at 16:10 UTC", "incident code BW-7K3Q-9XPD"},
      {"../../etc", "en", "Example ISP: a device", "at 14:10 UTC", "Hello Jo Public"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.language);
    const auto n = compose_notice(shipped(), NoticeSettings{}, sample(c.language), kNow);
    check_structure(n.message);
    CHECK(n.language == c.expected_template_language);
    const auto m = mail_reader::split(n.message);
    CHECK(mail_reader::names(m) == kHeaderSet);
    CHECK(mail_reader::value(m, "Content-Language") == c.expected_template_language);
    CHECK(mail_reader::decode_words(mail_reader::value(m, "Subject")).rfind(c.subject_start, 0) == 0);
    const auto parts = mail_reader::parts(m);
    REQUIRE(parts.size() == 2);
    // Text may wrap at the template's line ends; compare with spaces.
    std::string text = parts[0].decoded;
    std::replace(text.begin(), text.end(), '\r', ' ');
    std::replace(text.begin(), text.end(), '\n', ' ');
    CHECK(text.find(c.date_text) != std::string::npos);
    CHECK(text.find(c.cleanup_phrase) != std::string::npos);
    CHECK(parts[1].decoded.find("<html lang=\"" + c.expected_template_language + "\">") != std::string::npos);
  }
  CHECK(shipped().languages() == std::vector<std::string>{"de", "en", "fr", "nl"});
}

TEST_CASE("hostile HELO values cannot change the headers and appear escaped in HTML") {
  for (const std::string& helo : {std::string("evil\r\nBcc: victim@example.com"), std::string("<script>alert(1)</script>"),
                                 std::string("x\r\n\r\n--=_bw_\r\nContent-Type: text/html\r\n\r\n<b>"),
                                 std::string("\r\n.\r\nRCPT TO:<victim@example.com>"), std::string(600, 'A')}) {
    CAPTURE(helo);
    NoticeData d = sample("en");
    d.example_helo = helo;
    d.account_name = "Mallory\r\nBcc: victim@example.com";
    const auto n = compose_notice(shipped(), NoticeSettings{}, d, kNow);
    check_structure(n.message);
    const auto m = mail_reader::split(n.message);
    CHECK(mail_reader::names(m) == kHeaderSet);
    CHECK(mail_reader::value(m, "To") == "\"Mallory??Bcc: victim@example.com\" <jo@customer.example>");
    for (const auto& h : m.headers) CHECK(h.value.find("evil") == std::string::npos);
    const auto parts = mail_reader::parts(m);
    REQUIRE(parts.size() == 2);
    for (const auto& p : parts) CHECK(mail_reader::names(p.message) == std::vector<std::string>{"Content-Type", "Content-Transfer-Encoding"});
    const std::string& text = parts[0].decoded;
    const std::string& html = parts[1].decoded;
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("<b>") == std::string::npos);
    CHECK(text.find("\r\nBcc:") == std::string::npos);
    CHECK(text.find("\r\n.\r\n") == std::string::npos);
    CHECK(text.find("\r\nRCPT") == std::string::npos);
  }
  NoticeData d = sample("en");
  d.example_helo = "<script>alert(1)</script>";
  const auto parts = mail_reader::parts(mail_reader::split(compose_notice(shipped(), NoticeSettings{}, d, kNow).message));
  CHECK(parts[1].decoded.find("<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>") != std::string::npos);
  CHECK(parts[0].decoded.find("it called itself: <script>alert(1)</script>\r\n") != std::string::npos);
  d.example_helo = "evil\r\nBcc: victim@example.com";
  const auto parts2 = mail_reader::parts(mail_reader::split(compose_notice(shipped(), NoticeSettings{}, d, kNow).message));
  CHECK(parts2[0].decoded.find("it called itself: evil??Bcc: victim@example.com\r\n") != std::string::npos);
  d.example_helo = std::string(600, 'A');
  const auto parts3 = mail_reader::parts(mail_reader::split(compose_notice(shipped(), NoticeSettings{}, d, kNow).message));
  CHECK(parts3[0].decoded.find("it called itself: " + std::string(100, 'A') + "...\r\n") != std::string::npos);
}

TEST_CASE("only one example is shown: the HELO, else a destination") {
  NoticeData d = sample("en");
  d.example_destination = "mx.victim.example";
  auto text = mail_reader::parts(mail_reader::split(compose_notice(shipped(), {}, d, kNow).message))[0].decoded;
  CHECK(text.find("called itself") != std::string::npos);
  CHECK(text.find("mx.victim.example") == std::string::npos);
  d.example_helo.clear();
  text = mail_reader::parts(mail_reader::split(compose_notice(shipped(), {}, d, kNow).message))[0].decoded;
  CHECK(text.find("it contacted the mail server: mx.victim.example\r\n") != std::string::npos);
}

TEST_CASE("the walled stage says the connection is limited") {
  NoticeData d = sample("de");
  d.stage = "walled";
  const auto parts = mail_reader::parts(mail_reader::split(compose_notice(shipped(), {}, d, kNow).message));
  CHECK(parts[0].decoded.find("Ihr Anschluss jetzt eingeschränkt") != std::string::npos);
}

TEST_CASE("bad recipients, tokens and codes are refused with a clear message") {
  NoticeData d = sample("en");
  d.email = "jo@customer.example\r\nBcc: victim@example.com";
  CHECK_THROWS_WITH_AS(compose_notice(shipped(), {}, d, kNow),
                       "invalid email address 'jo@customer.example??Bcc: victim@example.com'", MessageError);
  d = sample("en");
  d.cleanup_token = "../x";
  CHECK_THROWS_WITH_AS(compose_notice(shipped(), {}, d, kNow), "cleanup token must be 1-128 of A-Z a-z 0-9 - _",
                       MessageError);
  d = sample("en");
  d.incident_code = "bw 1";
  CHECK_THROWS_WITH_AS(compose_notice(shipped(), {}, d, kNow), "incident code must be 1-32 of A-Z 0-9 -", MessageError);
}

TEST_CASE("templates with unescaped tags, syntax errors or no English are refused at load") {
  const TemplateSet good{"en", "s {{incident_code}}", "t", "<p>{{example_helo}}</p>"};
  CHECK_NOTHROW(TemplateCatalog::from_sets({good}, "tpl"));
  TemplateSet bad = good;
  bad.html = "<p>\n{{{example_helo}}}</p>";
  CHECK_THROWS_WITH_AS(TemplateCatalog::from_sets({bad}, "tpl"),
                       "tpl/en/notice.html.mustache:2: tag '{{{' is not allowed: every value must be escaped, use {{name}}",
                       TemplateError);
  bad = good;
  bad.text = "{{&example_helo}}";
  CHECK_THROWS_WITH_AS(TemplateCatalog::from_sets({bad}, "tpl"),
                       "tpl/en/notice.txt.mustache:1: tag '{{&' is not allowed: every value must be escaped, use {{name}}",
                       TemplateError);
  bad = good;
  bad.subject = "{{#open}}x";
  CHECK_THROWS_WITH_AS(TemplateCatalog::from_sets({bad}, "tpl"),
                       "tpl/en/subject.mustache: Unclosed section \"open\" at 0", TemplateError);
  TemplateSet german = good;
  german.language = "de";
  CHECK_THROWS_WITH_AS(TemplateCatalog::from_sets({german}, "tpl"),
                       "tpl: no 'en' templates (en/subject.mustache, en/notice.txt.mustache, en/notice.html.mustache); "
                       "English is the fallback language",
                       TemplateError);
  CHECK_THROWS_WITH_AS(TemplateCatalog::load("/nonexistent/templates"),
                       "/nonexistent/templates: templates folder does not exist", TemplateError);
}

TEST_CASE("random bytes as HELO, destination and account name never change the header set or structure") {
  std::uint64_t state = 0x9E3779B97F4A7C15ull;  // fixed seed: reproducible
  const auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::string alphabet = std::string("\r\n\t\0 .:<>&\"'=-_@", 17) + "Bcc: To: Subject:\xC3\xA9\xFF\xE2\x80\xAE";
  for (int round = 0; round < 300; ++round) {
    const auto random_text = [&] {
      std::string s;
      const auto n = next() % 300;
      for (std::uint64_t i = 0; i < n; ++i)
        s += next() % 3 == 0 ? static_cast<char>(next() % 256) : alphabet[next() % alphabet.size()];
      return s;
    };
    NoticeData d = sample(round % 2 ? "de" : "fr");
    d.example_helo = round % 3 ? random_text() : "";
    d.example_destination = random_text();
    d.account_name = random_text();
    CAPTURE(round);
    const auto n = compose_notice(shipped(), NoticeSettings{}, d, kNow);
    check_structure(n.message);
    const auto m = mail_reader::split(n.message);
    CHECK(mail_reader::names(m) == kHeaderSet);
    const auto parts = mail_reader::parts(m);
    REQUIRE(parts.size() == 2);
    CHECK(parts[1].decoded.find("<script") == std::string::npos);
    CHECK(botwarden::notices::sanitize_utf8(parts[0].decoded) == parts[0].decoded);  // valid UTF-8 as labelled
  }
}
