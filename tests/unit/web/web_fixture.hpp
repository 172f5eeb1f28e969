// A store with three subscribers for the page tests: alice (de) has an open,
// notified incident whose evidence carries a hostile HELO; bob (en) has none
// of his own; carol has a lease and nothing else. Requests are built and
// handled through the real Router, without sockets.
#pragma once
#include <doctest/doctest.h>
#include <sodium.h>

#include <nlohmann/json.hpp>

#include "notifier/incident/manager.hpp"
#include "notifier/ingest/ingester.hpp"
#include "notifier/store/sqlite_store.hpp"
#include "web/pages/pages.hpp"
#include "web/server/router.hpp"

namespace botwarden::web::test {

inline const Micros kStart = *parse_rfc3339("2026-11-25T08:00:00Z");
inline constexpr std::string_view kHostileHelo = "<img src=x onerror=alert(1)>";
inline const IpAddress kAlice = *IpAddress::parse("100.64.0.10");
inline const IpAddress kBob = *IpAddress::parse("100.64.0.11");
inline const IpAddress kCarol = *IpAddress::parse("100.64.0.12");
inline const IpAddress kStranger = *IpAddress::parse("203.0.113.50");

// A fast argon2id hash (minimum limits) so tests do not spend seconds hashing.
inline std::string test_hash(const std::string& password) {
  REQUIRE(sodium_init() >= 0);
  char out[crypto_pwhash_STRBYTES];
  REQUIRE(crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_MIN,
                            crypto_pwhash_MEMLIMIT_MIN) == 0);
  return out;
}

inline nlohmann::json detection_event(int n, const std::string& subscriber, const std::string& helo,
                                      const std::string& detector = "bad_helo") {
  char id[33];
  std::snprintf(id, sizeof id, "%032x", n);
  return {{"type", "detection"},
          {"schema", 1},
          {"id", id},
          {"ts", "2026-11-25T10:00:00Z"},
          {"sensor", "sensor1"},
          {"subscriber", subscriber},
          {"address", subscriber},
          {"detector", detector},
          {"score", 4.6},
          {"first_seen", "2026-11-25T09:59:00Z"},
          {"last_seen", "2026-11-25T10:00:00Z"},
          {"exempt", false},
          {"evidence",
           {{"sessions", 12},
            {"window_seconds", 600},
            {"distinct_destinations", 9},
            {"sample_helos", {helo}},
            {"sample_destinations", {"192.0.2.25"}},
            {"sample_mailfrom_domains", {"<b>bold</b>.example"}}}}};
}

struct PagesFixture {
  Micros now = *parse_rfc3339("2026-11-25T12:00:00Z");
  store::SqliteStore db{":memory:"};
  incident::Policy policy = [] {
    incident::Policy p;
    p.self_release_limit = 2;
    return p;
  }();
  incident::IncidentManager incidents{db, policy};
  ingest::Ingester ingester{db, incidents};
  Router router;
  Pages pages;
  store::IncidentId alice_incident = 0;
  std::string alice_token;

  explicit PagesFixture(PagesConfig config = default_config()) {
    lease("100.64.0.10/32", "alice", "de");
    lease("100.64.0.11/32", "bob", "en");
    lease("100.64.0.12/32", "carol", "en");
    const auto result = ingester.ingest(detection_event(1, "100.64.0.10", std::string(kHostileHelo)), "event", now);
    REQUIRE(result.status == ingest::EventStatus::accepted);
    alice_incident = *result.incident_id;
    REQUIRE(incidents.record_notice_sent(alice_incident, now).applied);
    alice_token = db.find_incident(alice_incident)->token;
    pages = register_pages(router, PagesDeps{db, incidents, std::move(config), [this] { return now; }, nullptr, {}, nullptr, nullptr});
  }

  static PagesConfig default_config() {
    PagesConfig c;
    c.support_phone = "0800 123 456";
    c.support_email = "abuse@isp.example";
    c.tools.push_back({"Scanner", "https://tools.example/scanner"});
    c.users.push_back({"vera", Role::viewer, test_hash("viewer-pass")});
    c.users.push_back({"otto", Role::operator_, test_hash("operator-pass")});
    c.users.push_back({"ada", Role::admin, test_hash("admin-pass")});
    c.api_tokens.push_back({"viewer-bot", Role::viewer, "viewer-token-0123456789abcdef"});
    c.api_tokens.push_back({"ops-bot", Role::operator_, "operator-token-0123456789abcdef"});
    return c;
  }

  void lease(const std::string& prefix, const std::string& account, const std::string& language) {
    mapping::Account a;
    a.id = account;
    a.email = account + "@example.net";
    a.language = language;
    db.upsert_account(a);
    db.upsert_lease({*Prefix::parse(prefix), kStart, mapping::kOpenEnd, account, "static", prefix});
  }

  incident::State alice_state() { return db.find_incident(alice_incident)->state; }

  Response request(Verb verb, std::string target, const IpAddress& client, std::string body = "",
                   std::string cookie = "", bool tls = false) {
    Request q{verb, target, 11};
    q.set(beast_http::field::host, "example.com");
    if (!body.empty()) q.set(beast_http::field::content_type, "application/x-www-form-urlencoded");
    if (!cookie.empty()) q.set(beast_http::field::cookie, cookie);
    q.body() = std::move(body);
    q.prepare_payload();
    RequestContext c;
    c.peer = client;
    c.client = client;
    c.tls = tls;
    c.received_at = now;
    const auto [path, query] = split_target(target);
    c.path = path;
    c.query = query;
    return router.handle(q, c);
  }
  Response get(const std::string& target, const IpAddress& client, const std::string& cookie = "") {
    return request(Verb::get, target, client, "", cookie);
  }
  Response post(const std::string& target, const IpAddress& client, const std::string& body,
                const std::string& cookie = "") {
    return request(Verb::post, target, client, body, cookie);
  }
};

// The value="..." of the hidden csrf input in a page.
inline std::string csrf_of(const std::string& html) {
  const std::string marker = "name=\"csrf\" value=\"";
  const auto at = html.find(marker);
  if (at == std::string::npos) return "";
  const auto begin = at + marker.size();
  return html.substr(begin, html.find('"', begin) - begin);
}

inline std::string header(const Response& r, beast_http::field f) { return std::string(r[f]); }
inline std::string header(const Response& r, std::string_view name) { return std::string(r[name]); }

// URL-encodes a form value (the tokens and names used here need only a few escapes).
inline std::string form_escape(std::string_view text) {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

}  // namespace botwarden::web::test
