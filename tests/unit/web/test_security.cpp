// Form parsing, cookies, CSRF tokens and password hashes.
#include <doctest/doctest.h>

#include "web/pages/security.hpp"

using namespace botwarden;
using namespace botwarden::web;

TEST_CASE("forms decode + and %XX and never read past the view") {
  const std::string buffer = "state=notified&until=lXYZ HTTP/1.1";
  const auto form = parse_form(std::string_view(buffer.data(), buffer.find("lXYZ")));
  REQUIRE(form);
  CHECK(form->at("state") == "notified");
  CHECK(form->at("until") == "");
  const auto decoded = parse_form("reason=ticket+42%21&name=a%3Db&flag&&x=1&x=2");
  REQUIRE(decoded);
  CHECK(decoded->at("reason") == "ticket 42!");
  CHECK(decoded->at("name") == "a=b");
  CHECK(decoded->at("flag") == "");
  CHECK(decoded->at("x") == "1");
  for (const char* broken : {"a=%", "a=%4", "a=%zz", "%g0=1"}) {
    CAPTURE(broken);
    CHECK(!parse_form(broken));
  }
  CHECK(parse_form("")->empty());
}

TEST_CASE("cookies are found by exact name") {
  Request q{Verb::get, "/", 11};
  q.set(beast_http::field::cookie, "other_bw_session=x; bw_session=abc;theme=dark");
  CHECK(cookie_value(q, "bw_session") == "abc");
  CHECK(cookie_value(q, "theme") == "dark");
  CHECK(!cookie_value(q, "session"));
}

TEST_CASE("form tokens are bound to their binding and expire") {
  const FormTokens tokens;
  const Micros now = *parse_rfc3339("2026-11-25T12:00:00Z");
  const auto token = tokens.issue("ack|1|192.0.2.7", now);
  CHECK(tokens.verify(token, "ack|1|192.0.2.7", now));
  CHECK(!tokens.verify(token, "ack|1|192.0.2.8", now));
  CHECK(!tokens.verify(token, "ack|2|192.0.2.7", now));
  CHECK(!tokens.verify(token, "ack|1|192.0.2.7", now + FormTokens::kLifetime + kMicrosPerSecond));
  CHECK(!FormTokens().verify(token, "ack|1|192.0.2.7", now));  // another process's key
  // A changed expiry invalidates the MAC.
  std::string later = token;
  later[0] = later[0] == '9' ? '8' : static_cast<char>(later[0] + 1);
  CHECK(!tokens.verify(later, "ack|1|192.0.2.7", now));
}

TEST_CASE("sessions end after idle time and maximum age") {
  SessionStore sessions(10, 100);
  const auto s = sessions.create("ada", Role::admin, "csrf", 0);
  CHECK(s.id.size() == 64);
  CHECK(sessions.find(s.id, 5));
  CHECK(sessions.find(s.id, 14));  // used at 5: idle only 9
  CHECK(!sessions.find(s.id, 30));
  const auto old = sessions.create("ada", Role::admin, "csrf", 0);
  for (Micros t = 10; t <= 100; t += 10) CHECK(sessions.find(old.id, t));
  CHECK(!sessions.find(old.id, 101));
}

TEST_CASE("passwords verify against their argon2id hash only") {
  const auto hash = hash_password("correct horse");
  CHECK(hash.starts_with("$argon2id$"));
  CHECK(verify_password(hash, "correct horse"));
  CHECK(!verify_password(hash, "correct horse "));
  CHECK(!verify_password("$argon2id$garbage", "x"));
}

TEST_CASE("any bytes: the form decoder either refuses or round-trips what was encoded") {
  std::uint32_t state = 12345;
  const auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return static_cast<unsigned char>(state >> 24);
  };
  for (int round = 0; round < 2000; ++round) {
    std::string raw(next() % 40, '\0');
    for (auto& c : raw) c = static_cast<char>(next());
    CAPTURE(round);
    (void)parse_form(raw);  // arbitrary input: no crash, no read past the end (ASan, valgrind)
    std::string encoded = "v=";
    for (const unsigned char c : raw) {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", c);
      encoded += buffer;
    }
    const auto form = parse_form(encoded);
    REQUIRE(form);
    CHECK(form->at("v") == raw);
  }
}
