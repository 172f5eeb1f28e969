// Ingestion: strict validation with word-for-word errors, idempotency,
// mapping by lease at the event's time, and the POST /api/v1/events answers.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "notifier/ingest/events_api.hpp"
#include "notifier/ingest/validate.hpp"
#include "notifier/store/sqlite_store.hpp"

using namespace botwarden;
using namespace botwarden::ingest;
using nlohmann::json;
namespace http = boost::beast::http;

namespace {
constexpr Micros kHour = 3600LL * kMicrosPerSecond;
const Micros kNow = *parse_rfc3339("2026-11-25T12:00:00Z");

json event(int n = 0, const std::string& subscriber = "100.64.0.7") {
  char id[33];
  std::snprintf(id, sizeof id, "%032x", n);
  return json{{"type", "detection"},
              {"schema", 1},
              {"id", id},
              {"ts", "2026-11-25T10:00:00Z"},
              {"sensor", "sensor1"},
              {"subscriber", subscriber},
              {"address", "100.64.0.7"},
              {"detector", "bad_helo"},
              {"score", 4.6},
              {"first_seen", "2026-11-25T09:59:00Z"},
              {"last_seen", "2026-11-25T10:00:00Z"},
              {"exempt", false},
              {"evidence",
               {{"sessions", 12},
                {"window_seconds", 600},
                {"helo_classes", {{"ip_literal_not_own", 12}}},
                {"sample_helos", {"[100.64.0.7]"}},
                {"sample_destinations", {"192.0.2.25"}}}}};
}

std::string error_of(const json& j) {
  auto r = validate_event(j, "events[3]", kNow);
  if (auto* e = std::get_if<std::string>(&r)) return *e;
  return "valid";
}

struct Fixture {
  store::SqliteStore db{":memory:"};
  incident::IncidentManager incidents{db, incident::Policy{}};
  Ingester ingester{db, incidents};
  EventsApi api{ingester, {{"sensor1", "s3cret-token-1"}, {"sensor2", "other-token-22"}}, {2000, 5}, [] { return kNow; }};

  Response post(const std::string& body, const std::string& token = "s3cret-token-1") {
    return post_authorized(body, token.empty() ? "" : "Bearer " + token);
  }
  Response post_authorized(const std::string& body, const std::string& authorization) {
    Request req{http::verb::post, "/api/v1/events", 11};
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    return api.handle_events_post(req);
  }
  void check_nothing_stored() {
    CHECK(db.count_events() == 0);
    CHECK(db.count_incidents({}) == 0);
  }
};
}  // namespace

TEST_CASE("a schema-conforming event is valid") { CHECK(error_of(event()) == "valid"); }

TEST_CASE("each violation of the schema is named by its field, word for word") {
  struct Case {
    std::string name;
    std::function<void(json&)> mutate;
    std::string error;
  };
  const std::vector<Case> cases{
      {"not an object", [](json& j) { j = json::array(); }, "events[3]: expected an object"},
      {"unknown field", [](json& j) { j["colour"] = "red"; }, "events[3].colour: unknown field"},
      {"unknown evidence field", [](json& j) { j["evidence"]["x"] = 1; }, "events[3].evidence.x: unknown field"},
      {"missing ts", [](json& j) { j.erase("ts"); }, "events[3].ts: required field missing"},
      {"missing evidence.sessions", [](json& j) { j["evidence"].erase("sessions"); },
       "events[3].evidence.sessions: required field missing"},
      {"wrong type", [](json& j) { j["type"] = "alert"; }, "events[3].type: expected \"detection\""},
      {"schema 2", [](json& j) { j["schema"] = 2; }, "events[3].schema: expected 1"},
      {"schema as string", [](json& j) { j["schema"] = "1"; }, "events[3].schema: expected 1"},
      {"schema 1.0", [](json& j) { j["schema"] = 1.0; }, "events[3].schema: expected 1"},
      {"id too short", [](json& j) { j["id"] = "abc"; }, "events[3].id: expected 32 lowercase hex digits"},
      {"id upper case", [](json& j) { j["id"] = "0123456789ABCDEF0123456789ABCDEF"; },
       "events[3].id: expected 32 lowercase hex digits"},
      {"id number", [](json& j) { j["id"] = 7; }, "events[3].id: expected 32 lowercase hex digits"},
      {"ts not a time", [](json& j) { j["ts"] = "yesterday"; }, "events[3].ts: not an RFC 3339 timestamp"},
      {"ts a number", [](json& j) { j["ts"] = 1764064800; }, "events[3].ts: not an RFC 3339 timestamp"},
      {"ts Feb 30", [](json& j) { j["ts"] = "2026-02-30T10:00:00Z"; }, "events[3].ts: not an RFC 3339 timestamp"},
      {"ts before 2000", [](json& j) { j["ts"] = "1999-12-31T23:59:59Z"; },
       "events[3].ts: before 2000-01-01T00:00:00Z"},
      {"ts far future", [](json& j) { j["ts"] = "2026-11-26T12:00:01Z"; },
       "events[3].ts: more than one day after the receive time 2026-11-25T12:00:00Z"},
      {"first_seen after last_seen", [](json& j) { j["first_seen"] = "2026-11-25T10:00:01Z"; },
       "events[3].first_seen: after last_seen"},
      {"last_seen bad", [](json& j) { j["last_seen"] = ""; }, "events[3].last_seen: not an RFC 3339 timestamp"},
      {"sensor with space", [](json& j) { j["sensor"] = "sensor 1"; },
       "events[3].sensor: expected 1 to 64 characters of A-Z a-z 0-9 . _ -"},
      {"sensor empty", [](json& j) { j["sensor"] = ""; },
       "events[3].sensor: expected 1 to 64 characters of A-Z a-z 0-9 . _ -"},
      {"subscriber garbage", [](json& j) { j["subscriber"] = "example.net"; },
       "events[3].subscriber: expected an IPv4 address or an IPv6 prefix"},
      {"subscriber v6 without length", [](json& j) { j["subscriber"] = "2001:db8::1"; },
       "events[3].subscriber: expected an IPv4 address or an IPv6 prefix"},
      {"subscriber v4 prefix", [](json& j) { j["subscriber"] = "100.64.0.0/24"; },
       "events[3].subscriber: expected an IPv4 address or an IPv6 prefix"},
      {"subscriber too long", [](json& j) { j["subscriber"] = std::string(65, '1'); },
       "events[3].subscriber: longer than 64 characters"},
      {"address not an address", [](json& j) { j["address"] = "100.64.0.256"; },
       "events[3].address: expected an IP address"},
      {"address number", [](json& j) { j["address"] = 1; }, "events[3].address: expected a string"},
      {"detector unknown", [](json& j) { j["detector"] = "phishing"; },
       "events[3].detector: expected one of bad_helo, direct_to_mx, snowshoe"},
      {"score negative", [](json& j) { j["score"] = -0.5; }, "events[3].score: expected a number >= 0"},
      {"score string", [](json& j) { j["score"] = "high"; }, "events[3].score: expected a number >= 0"},
      {"exempt string", [](json& j) { j["exempt"] = "no"; }, "events[3].exempt: expected true or false"},
      {"evidence not object", [](json& j) { j["evidence"] = 5; }, "events[3].evidence: expected an object"},
      {"sessions negative", [](json& j) { j["evidence"]["sessions"] = -1; },
       "events[3].evidence.sessions: expected an integer >= 0"},
      {"sessions fraction", [](json& j) { j["evidence"]["sessions"] = 1.5; },
       "events[3].evidence.sessions: expected an integer"},
      {"helo class count string", [](json& j) { j["evidence"]["helo_classes"]["bare"] = "3"; },
       "events[3].evidence.helo_classes.bare: expected an integer"},
      {"11 sample helos", [](json& j) { j["evidence"]["sample_helos"] = std::vector<std::string>(11, "x"); },
       "events[3].evidence.sample_helos: more than 10 items"},
      {"sample helo too long", [](json& j) { j["evidence"]["sample_helos"] = {"a", std::string(257, 'h')}; },
       "events[3].evidence.sample_helos[1]: longer than 256 characters"},
      {"sample destination not a string", [](json& j) { j["evidence"]["sample_destinations"] = {1}; },
       "events[3].evidence.sample_destinations[0]: expected a string"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto j = event();
    c.mutate(j);
    CHECK(error_of(j) == c.error);
  }
}

TEST_CASE("maxLength counts characters, not bytes") {
  auto j = event();
  std::string helo;
  for (int i = 0; i < 256; ++i) helo += "\xc3\xa9";  // 256 x U+00E9, 512 bytes
  j["evidence"]["sample_helos"] = {helo};
  CHECK(error_of(j) == "valid");
}

TEST_CASE("a valid batch is accepted, mapped by lease at the event's time, and stored once") {
  Fixture f;
  const Micros ts = *parse_rfc3339("2026-11-25T10:00:00Z");
  f.db.upsert_lease({*Prefix::parse("100.64.0.7"), ts - kHour, ts, "alice", "kea4", "a"});
  f.db.upsert_lease({*Prefix::parse("100.64.0.7"), ts, mapping::kOpenEnd, "bob", "kea4", "b"});
  f.db.upsert_lease({*Prefix::parse("2001:db8:1000:ab00::/56"), ts - kHour, mapping::kOpenEnd, "carol", "kea6", "c"});
  const json body{{"events", {event(1), event(2, "2001:db8:1000:ab12::/64"), event(3, "100.64.9.9")}}};
  const auto response = f.post(body.dump());
  CHECK(response.result() == http::status::ok);
  CHECK(response[http::field::content_type] == "application/json");
  CHECK(response.body() ==
        R"({"results":[{"id":"00000000000000000000000000000001","status":"accepted"},)"
        R"({"id":"00000000000000000000000000000002","status":"accepted"},)"
        R"({"id":"00000000000000000000000000000003","status":"accepted"}]})"
        "\n");
  CHECK(f.db.count_events() == 3);
  const auto bob = f.db.find_open_incident("account:bob");  // bob held it from ts on
  REQUIRE(bob.has_value());
  CHECK(f.db.find_event("00000000000000000000000000000001")->incident_id == bob->id);
  CHECK(f.db.find_open_incident("account:carol").has_value());
  CHECK(f.db.find_open_incident("subscriber:100.64.9.9").has_value());  // unattributed
  CHECK_FALSE(f.db.find_open_incident("account:alice").has_value());

  SUBCASE("re-sending the batch changes nothing") {
    const auto again = f.post(body.dump());
    CHECK(again.body() ==
          R"({"results":[{"id":"00000000000000000000000000000001","status":"duplicate"},)"
          R"({"id":"00000000000000000000000000000002","status":"duplicate"},)"
          R"({"id":"00000000000000000000000000000003","status":"duplicate"}]})"
          "\n");
    CHECK(f.db.count_events() == 3);
    CHECK(f.db.find_incident(bob->id)->detection_count == 1);
  }
}

TEST_CASE("one bad event in a batch is rejected and the good ones accepted") {
  Fixture f;
  auto bad = event(2);
  bad["ts"] = "not a time";
  auto foreign = event(3);
  foreign["sensor"] = "sensor2";
  const json body{{"events", {event(1), bad, foreign, event(1), 42}}};
  const auto response = f.post(body.dump());
  CHECK(response.result() == http::status::ok);
  CHECK(response.body() ==
        R"({"results":[{"id":"00000000000000000000000000000001","status":"accepted"},)"
        R"({"id":"00000000000000000000000000000002","reason":"events[1].ts: not an RFC 3339 timestamp","status":"rejected"},)"
        R"({"id":"00000000000000000000000000000003","reason":"events[2].sensor: \"sensor2\" is not the authenticated sensor \"sensor1\"","status":"rejected"},)"
        R"({"id":"00000000000000000000000000000001","status":"duplicate"},)"
        R"({"id":"","reason":"events[4]: expected an object","status":"rejected"}]})"
        "\n");
  CHECK(f.db.count_events() == 1);
  CHECK(f.db.count_incidents({}) == 1);
}

TEST_CASE("requests refused before ingestion change nothing, with precise answers") {
  Fixture f;
  const std::string good = json{{"events", {event(1)}}}.dump();
  struct Case {
    std::string name;
    Response response;
    http::status status;
    std::string body;
  };
  std::vector<Case> cases;
  cases.push_back({"no token", f.post(good, ""), http::status::unauthorized,
                   R"({"error":"missing or wrong bearer token"})"});
  cases.push_back({"wrong token", f.post(good, "s3cret-token-2"), http::status::unauthorized,
                   R"({"error":"missing or wrong bearer token"})"});
  cases.push_back({"Basic scheme", f.post_authorized(good, "Basic czNjcmV0LXRva2VuLTE="), http::status::unauthorized,
                   R"({"error":"missing or wrong bearer token"})"});
  cases.push_back({"prefix of a token", f.post(good, "s3cret"), http::status::unauthorized,
                   R"({"error":"missing or wrong bearer token"})"});
  cases.push_back({"malformed JSON", f.post(R"({"events": [)"), http::status::bad_request,
                   R"({"error":"malformed JSON at byte 13: parse error at line 1, column 13: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal"})"});
  cases.push_back({"not JSON at all", f.post("events=1"), http::status::bad_request,
                   R"({"error":"malformed JSON at byte 1: parse error at line 1, column 1: syntax error while parsing value - invalid literal; last read: 'e'"})"});
  cases.push_back({"deep nesting", f.post(std::string(200, '[') + std::string(200, ']')), http::status::bad_request,
                   R"({"error":"malformed JSON: nested deeper than 16 levels"})"});
  cases.push_back({"number overflow", f.post(R"({"events": [{"score": 3e4656429}]})"), http::status::bad_request,
                   R"({"error":"malformed JSON: number overflow parsing '3e4656429'"})"});
  cases.push_back({"no events key", f.post(R"({"event": []})"), http::status::bad_request,
                   R"({"error":"body: expected {\"events\": [...]}"})"});
  cases.push_back({"events not an array", f.post(R"({"events": {}})"), http::status::bad_request,
                   R"({"error":"body: expected {\"events\": [...]}"})"});
  cases.push_back({"extra top-level key", f.post(R"({"events": [], "sensor": "x"})"), http::status::bad_request,
                   R"({"error":"sensor: unknown field"})"});
  cases.push_back({"oversized body", f.post(std::string(2001, ' ')), http::status::payload_too_large,
                   R"({"error":"body larger than 2000 bytes"})"});
  cases.push_back({"too many events", f.post(R"({"events": [1,2,3,4,5,6]})"), http::status::payload_too_large,
                   R"({"error":"events: more than 5 events in one batch"})"});
  Request get{http::verb::get, "/api/v1/events", 11};
  cases.push_back({"GET", f.api.handle_events_post(get), http::status::method_not_allowed, R"({"error":"use POST"})"});
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(c.response.result() == c.status);
    CHECK(c.response.body() == c.body + "\n");
  }
  CHECK(cases[0].response[http::field::www_authenticate] == "Bearer");
  f.check_nothing_stored();
  CHECK(f.post(good, "other-token-22").result() == http::status::ok);  // sensor2's token works, for sensor2's events
  CHECK(f.db.count_events() == 0);  // ...but sensor1's event was rejected
  CHECK(f.post_authorized(good, "bearer s3cret-token-1").result() == http::status::ok);  // scheme: any case
  CHECK(f.db.count_events() == 1);
}

TEST_CASE("an IPv6 subscriber without a delegation maps by the DHCPv6 address lease of its source address") {
  Fixture f;
  const Micros ts = *parse_rfc3339("2026-11-25T10:00:00Z");
  f.db.upsert_lease({*Prefix::parse("2001:db8:2000:5::77/128"), ts - kHour, mapping::kOpenEnd, "gina", "kea6", "na"});
  auto e = event(1, "2001:db8:2000:5::/64");
  e["address"] = "2001:db8:2000:5::77";
  auto outside = event(2, "2001:db8:2000:6::/64");
  outside["address"] = "2001:db8:2000:5::77";  // not inside its subscriber prefix: not used
  CHECK(f.post(json{{"events", {e, outside}}}.dump()).result() == http::status::ok);
  CHECK(f.db.find_open_incident("account:gina").has_value());
  CHECK(f.db.find_open_incident("subscriber:2001:db8:2000:6::/64").has_value());
}

TEST_CASE("offline JSON lines: counts and rejected lines with their numbers") {
  Fixture f;
  auto bad = event(2);
  bad.erase("detector");
  std::stringstream in;
  in << event(1).dump() << "\n\n" << bad.dump() << "\n{oops\n" << event(1).dump() << "\n" << event(3).dump();
  std::vector<std::string> lines;
  const auto counts = f.ingester.ingest_jsonl(in, kNow, [&](std::size_t n, const EventResult& r) {
    if (r.status == EventStatus::rejected) lines.push_back(std::to_string(n) + ": " + r.reason);
  }, 2);
  CHECK(counts.accepted == 2);
  CHECK(counts.duplicate == 1);
  CHECK(counts.rejected == 2);
  CHECK(lines == std::vector<std::string>{
                     "3: detector: required field missing",
                     "4: malformed JSON at byte 2: parse error at line 1, column 2: syntax error while parsing object key - invalid literal; last read: '{o'; expected string literal"});
  CHECK(f.db.count_events() == 2);
}

TEST_CASE("a batch cut at every offset is refused or answered, and never stores a partial event") {
  Fixture f;
  const std::string body = json{{"events", {event(1), event(2)}}}.dump();
  for (std::size_t cut = 0; cut < body.size(); ++cut) {
    CAPTURE(cut);
    const auto response = f.post(body.substr(0, cut));
    CHECK(response.result() == http::status::bad_request);
  }
  f.check_nothing_stored();
  CHECK(f.post(body).result() == http::status::ok);
  CHECK(f.db.count_events() == 2);
}

TEST_CASE("hostile bytes anywhere in a batch never crash ingestion nor store an invalid event") {
  Fixture f;
  const std::string body = json{{"events", {event(1), event(2, "2001:db8:1000:ab12::/64")}}}.dump();
  std::uint32_t seed = 12345;
  const auto next = [&] {
    seed = seed * 1664525u + 1013904223u;  // a fixed LCG: the same cases on every run
    return seed >> 8;
  };
  const std::string alphabet = "{}[]\",:0123456789.-eE \\/\x00\xff\xc3tfnul";
  int ok = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string mutated = body;
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      mutated[next() % mutated.size()] = alphabet[next() % alphabet.size()];
    }
    const auto response = f.post(mutated);
    CAPTURE(mutated);
    REQUIRE((response.result() == http::status::ok || response.result() == http::status::bad_request));
    if (response.result() == http::status::ok) ++ok;
  }
  CHECK(ok > 0);
  // Whatever was stored passed validation: re-validating every stored event succeeds.
  for (const auto& incident : f.db.list_incidents({})) {
    for (const auto& stored : f.db.events_of_incident(incident.id)) {
      CAPTURE(stored.json);
      CHECK(error_of(json::parse(stored.json)) == "valid");
    }
  }
}

TEST_CASE("concurrent batches from several threads store every event exactly once") {
  Fixture f;
  EventsApi api{f.ingester, {{"sensor1", "s3cret-token-1"}}, {1 << 20, 100}, [] { return kNow; }};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&api, t] {
      for (int b = 0; b < 25; ++b) {
        json events = json::array();
        // Overlapping ranges: every event is sent by two threads.
        for (int i = 0; i < 10; ++i) events.push_back(event(((t * 125 + b * 10 + i) % 500), "100.64.0." + std::to_string(i)));
        Request req{http::verb::post, "/api/v1/events", 11};
        req.set(http::field::authorization, "Bearer s3cret-token-1");
        req.body() = json{{"events", events}}.dump();
        CHECK(api.handle_events_post(req).result() == http::status::ok);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(f.db.count_events() == 500);
  std::int64_t counted = 0;
  for (const auto& incident : f.db.list_incidents({})) counted += incident.detection_count;
  CHECK(counted == 500);
  CHECK(f.db.count_incidents({}) == 10);
}
