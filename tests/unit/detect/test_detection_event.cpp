// Detection events against docs/schemas/detection-event.v1.json, with a small
// validator for the subset of JSON Schema 2020-12 that the file uses.
#include <algorithm>
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "records.hpp"
#include "sensor/detect/engine.hpp"
#include "sensor/events/jsonl_sink.hpp"

using namespace botwarden;
using namespace botwarden::testing;
using nlohmann::json;

namespace {

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool has_type(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  return false;
}

// Returns the first violation as "path: what", or "" when valid. Throws on a
// schema keyword it does not know, so the schema cannot outgrow the check.
std::string validate(const json& v, const json& schema, const std::string& path) {
  static const std::set<std::string> known = {"$schema", "$id", "title", "description", "type", "const",
                                              "enum", "required", "properties", "additionalProperties",
                                              "pattern", "minLength", "maxLength", "minimum", "maxItems",
                                              "items", "format"};
  for (const auto& [k, unused] : schema.items()) {
    (void)unused;
    if (!known.count(k)) throw std::runtime_error("validator: unsupported keyword " + k);
  }
  if (schema.contains("type") && !has_type(v, schema["type"])) {
    return path + ": expected " + schema["type"].get<std::string>();
  }
  if (schema.contains("const") && v != schema["const"]) return path + ": expected " + schema["const"].dump();
  if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), v) == schema["enum"].end()) {
    return path + ": not one of " + schema["enum"].dump();
  }
  if (v.is_string()) {
    const auto s = v.get<std::string>();
    if (schema.contains("minLength") && utf8_length(s) < schema["minLength"].get<std::size_t>()) return path + ": too short";
    if (schema.contains("maxLength") && utf8_length(s) > schema["maxLength"].get<std::size_t>()) return path + ": too long";
    if (schema.contains("pattern") && !std::regex_search(s, std::regex(schema["pattern"].get<std::string>()))) {
      return path + ": does not match " + schema["pattern"].get<std::string>();
    }
    if (schema.value("format", "") == "date-time" && !parse_rfc3339(s)) return path + ": not an RFC 3339 date-time";
  }
  if (v.is_number() && schema.contains("minimum") && v.get<double>() < schema["minimum"].get<double>()) {
    return path + ": below minimum";
  }
  if (v.is_array()) {
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<std::size_t>()) return path + ": too many items";
    if (schema.contains("items")) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (auto e = validate(v[i], schema["items"], path + "[" + std::to_string(i) + "]"); !e.empty()) return e;
      }
    }
  }
  if (v.is_object()) {
    for (const auto& r : schema.value("required", json::array())) {
      if (!v.contains(r.get<std::string>())) return path + "." + r.get<std::string>() + ": required";
    }
    const json props = schema.value("properties", json::object());
    for (const auto& [k, item] : v.items()) {
      if (props.contains(k)) {
        if (auto e = validate(item, props[k], path + "." + k); !e.empty()) return e;
      } else if (schema.contains("additionalProperties")) {
        const auto& extra = schema["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>()) return path + "." + k + ": not allowed";
        if (extra.is_object()) {
          if (auto e = validate(item, extra, path + "." + k); !e.empty()) return e;
        }
      }
    }
  }
  return "";
}

const json& schema() {
  static const json s = [] {
    std::ifstream in(BOTWARDEN_SOURCE_DIR "/docs/schemas/detection-event.v1.json");
    REQUIRE(in.good());
    return json::parse(in);
  }();
  return s;
}

struct Collect : events::EventSink {
  std::vector<events::DetectionEvent> events;
  void emit(const events::DetectionEvent& e) override { events.push_back(e); }
};

// Events of all three detectors, from IPv4 and IPv6 subscribers.
std::vector<events::DetectionEvent> sample_events() {
  static const DetectConfig config;
  Collect sink;
  detect::Engine engine("sensor1", config, sink);
  for (unsigned i = 0; i < 20; ++i) {
    auto r = blocklisted("100.64.3.4", mx(i), std::string("bad\xff_helo\x01", 11), kT0 + i * kMicrosPerSecond);
    engine.on_session(r);
    engine.on_session(delivery("2001:db8:1000:1200::7", "2001:db8:f000::" + std::to_string(i + 1),
                               "[IPv6:2001:db8:dead::1]", kT0 + i * kMicrosPerSecond));
  }
  for (unsigned i = 0; i < 30; ++i) {  // a burst with forged senders: direct_to_mx
    const std::string sender = "a@shop" + std::to_string(i) + ".com";
    engine.on_session(delivery("100.64.3.20", mx(i), "mail.example.com", kT0 + i * kMicrosPerSecond, sender));
  }
  for (unsigned m = 0; m < 6; ++m) {
    const std::string client = "100.64.4." + std::to_string(m + 1);
    engine.on_session(delivery(client.c_str(), mx(m), "qwhrtzpk.com", kT0 + m * kMicrosPerSecond, "a@deals.biz"));
  }
  return sink.events;
}

}  // namespace

TEST_CASE("every event the engine emits is valid against the v1 schema") {
  const auto events = sample_events();
  std::set<std::string> detectors;
  for (const auto& e : events) {
    const json j = json::parse(events::to_json_line(e));
    CAPTURE(j.dump());
    CHECK(validate(j, schema(), "event") == "");
    detectors.insert(j["detector"]);
  }
  CHECK(detectors == std::set<std::string>{"bad_helo", "direct_to_mx", "snowshoe"});
}

TEST_CASE("the validator catches what the notifier would reject") {
  json j = json::parse(events::to_json_line(sample_events().at(0)));
  auto broken = j;
  broken.erase("ts");
  CHECK(validate(broken, schema(), "event") == "event.ts: required");
  broken = j;
  broken["id"] = "ABC";
  CHECK(validate(broken, schema(), "event") == "event.id: does not match ^[0-9a-f]{32}$");
  broken = j;
  broken["detector"] = "spam";
  CHECK(validate(broken, schema(), "event") == R"(event.detector: not one of ["bad_helo","direct_to_mx","snowshoe"])");
  broken = j;
  broken["evidence"]["colour"] = 1;
  CHECK(validate(broken, schema(), "event") == "event.evidence.colour: not allowed");
  broken = j;
  broken["first_seen"] = "yesterday";
  CHECK(validate(broken, schema(), "event") == "event.first_seen: not an RFC 3339 date-time");
}

TEST_CASE("wire bytes that are not UTF-8 become U+FFFD, control bytes are escaped") {
  const auto events = sample_events();
  const auto bad = std::find_if(events.begin(), events.end(), [](const auto& e) { return e.subscriber == "100.64.3.4"; });
  REQUIRE(bad != events.end());
  const auto line = events::to_json_line(*bad);
  CHECK(line.find("bad\xEF\xBF\xBD_helo\\u0001") != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("an event has the fields the notifier reads, in their wire form") {
  events::DetectionEvent e;
  e.id = events::make_event_id("sensor1", "192.0.2.7", events::Detector::direct_to_mx, 0, 0, 0);
  e.ts = 1'764'096'021'123'456;
  e.sensor = "sensor1";
  e.subscriber = "192.0.2.7";
  e.address = "192.0.2.7";
  e.detector = events::Detector::direct_to_mx;
  e.score = 7.123456;
  e.first_seen = 1'764'096'000'000'000;
  e.last_seen = e.ts;
  e.evidence.sessions = 12;
  e.evidence.window_seconds = 3600;
  CHECK(events::to_json_line(e) ==
        R"({"address":"192.0.2.7","detector":"direct_to_mx","evidence":{"distinct_destinations":0,)"
        R"("distinct_helos":0,"helo_classes":{},"rcpt_count":0,"rejections_5xx":0,"sample_destinations":[],)"
        R"("sample_helos":[],"sample_mailfrom_domains":[],"sessions":12,"transactions":0,"window_seconds":3600},)"
        R"("exempt":false,"first_seen":"2025-11-25T18:40:00Z","id":")" + e.id +
        R"(","last_seen":"2025-11-25T18:40:21.123456Z","schema":1,"score":7.123,"sensor":"sensor1",)"
        R"("subscriber":"192.0.2.7","ts":"2025-11-25T18:40:21.123456Z","type":"detection"})");
}

TEST_CASE("event ids are 32 hex digits that change with every input") {
  using events::Detector;
  const auto id = events::make_event_id("sensor1", "192.0.2.7", Detector::bad_helo, 0, 0, 0);
  CHECK(std::regex_match(id, std::regex("[0-9a-f]{32}")));
  CHECK(id == events::make_event_id("sensor1", "192.0.2.7", Detector::bad_helo, 0, 0, 0));
  CHECK(id != events::make_event_id("sensor2", "192.0.2.7", Detector::bad_helo, 0, 0, 0));
  CHECK(id != events::make_event_id("sensor1", "192.0.2.8", Detector::bad_helo, 0, 0, 0));
  CHECK(id != events::make_event_id("sensor1", "192.0.2.7", Detector::snowshoe, 0, 0, 0));
  CHECK(id != events::make_event_id("sensor1", "192.0.2.7", Detector::bad_helo, 1, 0, 0));
  CHECK(id != events::make_event_id("sensor1", "192.0.2.7", Detector::bad_helo, 0, 0, 1));
  CHECK(id != events::make_event_id("sensor1", "192.0.2.7", Detector::bad_helo, 0, 1, 0));
}

TEST_CASE("the JSON-lines sink appends one line per event") {
  const std::string path = BOTWARDEN_BINARY_DIR "/unit-detect-events.jsonl";
  std::remove(path.c_str());
  const auto events = sample_events();
  {
    events::JsonLinesSink sink(path);
    for (const auto& e : events) sink.emit(e);
    CHECK(sink.written() == events.size());
  }
  std::ifstream in(path);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    CHECK(json::parse(line)["id"] == events.at(n).id);
    ++n;
  }
  CHECK(n == events.size());
  std::remove(path.c_str());
}

TEST_CASE("the JSON-lines sink starts afresh unless told to append") {
  const std::string path = BOTWARDEN_BINARY_DIR "/unit-detect-afresh.jsonl";
  const auto events = sample_events();
  for (int run = 0; run < 2; ++run) {
    events::JsonLinesSink sink(path, false);
    sink.emit(events.at(0));
  }
  {
    events::JsonLinesSink sink(path, true);
    sink.emit(events.at(1));
  }
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  CHECK(n == 2);
  std::remove(path.c_str());
}

TEST_CASE("the JSON-lines sink names the path it cannot open") {
  CHECK_THROWS_WITH(events::JsonLinesSink("/nonexistent/dir/events.jsonl"),
                    "/nonexistent/dir/events.jsonl: cannot open for writing: No such file or directory");
}
