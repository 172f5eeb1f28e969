// HTML escaping and header-value checks: the output hygiene every page relies on.
#include <doctest/doctest.h>

#include <stdexcept>

#include "web/server/html.hpp"

using namespace botwarden::web;

TEST_CASE("html_escape escapes the five characters that matter in text and attributes") {
  CHECK(html_escape("<script>alert('x')</script>") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  CHECK(html_escape("a & b \"c\"") == "a &amp; b &quot;c&quot;");
  CHECK(html_escape("") == "");
  CHECK(html_escape("plain text, ünïcode") == "plain text, ünïcode");
  CHECK(html_escape("&amp;") == "&amp;amp;");  // escaping is not idempotent: escape once, at output
}

TEST_CASE("header values with CR, LF, NUL or other controls are rejected") {
  CHECK(is_safe_header_value("text/html; charset=utf-8"));
  CHECK(is_safe_header_value("a\tb"));
  CHECK(is_safe_header_value(""));
  for (const char c : std::string("\r\n\0\x01\x1f\x7f", 6)) {
    CAPTURE(static_cast<int>(c));
    CHECK_FALSE(is_safe_header_value(std::string("x") + c + "Set-Cookie: a=b"));
  }
  CHECK(checked_header_value("Location", "/cleanup") == "/cleanup");
  try {
    checked_header_value("Location", "/x\r\nSet-Cookie: evil=1");
    FAIL("expected std::invalid_argument");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) == "header Location: value contains a control character (CR, LF or NUL)");
  }
}
