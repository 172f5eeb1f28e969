// LineSplitter and the ASCII helpers.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sensor/smtp/ascii.hpp"
#include "sensor/smtp/line_splitter.hpp"

using namespace botwarden::smtp;

namespace {
struct Line {
  std::string text;
  bool truncated;
  friend bool operator==(const Line&, const Line&) = default;
};

std::vector<Line> split(std::string_view input, std::size_t chunk) {
  LineSplitter s;
  std::vector<Line> out;
  while (!input.empty()) {
    const auto piece = input.substr(0, chunk);
    std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(piece.data()), piece.size());
    while (!bytes.empty()) {
      const auto r = s.consume(bytes);
      REQUIRE(r.consumed <= bytes.size());
      bytes = bytes.subspan(r.consumed);
      if (r.complete) out.push_back({std::string(s.line()), s.truncated()});
    }
    input.remove_prefix(piece.size());
  }
  return out;
}
}  // namespace

TEST_CASE("lines end at LF with or without CR, whatever the chunking") {
  const std::string input = "220 a\r\n250 b\nc\r\r\n\r\n";
  const std::vector<Line> expected = {{"220 a", false}, {"250 b", false}, {"c\r", false}, {"", false}};
  for (std::size_t chunk = 1; chunk <= input.size(); ++chunk) {
    CAPTURE(chunk);
    CHECK(split(input, chunk) == expected);
  }
}

TEST_CASE("a line of exactly 512 octets with CRLF is whole; 513 is truncated to 510") {
  const std::string full(kMaxLineBytes, 'x');
  CHECK(split(full + "\r\n", 1) == std::vector<Line>{{full, false}});
  CHECK(split(full + "y\r\n", 5) == std::vector<Line>{{full, true}});
  const std::string huge(5000, 'z');
  CHECK(split(huge + "\r\nnext\r\n", 333) == std::vector<Line>{{std::string(kMaxLineBytes, 'z'), true}, {"next", false}});
}

TEST_CASE("consume never reads past the first line") {
  LineSplitter s;
  const std::string input = "EHLO a\r\nBODY";
  const auto r = s.consume({reinterpret_cast<const std::uint8_t*>(input.data()), input.size()});
  CHECK(r.complete);
  CHECK(r.consumed == 8);
  CHECK(s.line() == "EHLO a");
}

TEST_CASE("case-insensitive compares and address arguments") {
  CHECK(starts_with_nocase("mail from:<a>", "MAIL FROM:"));
  CHECK_FALSE(starts_with_nocase("MAIL", "MAIL FROM:"));
  CHECK(equals_nocase("eHlO", "EHLO"));
  CHECK_FALSE(equals_nocase("EHLOX", "EHLO"));
  CHECK(path_argument("<a@b> SIZE=10") == "a@b");
  CHECK(path_argument("  <a@b>") == "a@b");
  CHECK(path_argument("a@b SIZE=1") == "a@b");
  CHECK(path_argument("<>") == "");
  CHECK(path_argument("<unterminated") == "unterminated");
}
