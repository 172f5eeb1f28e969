// Detection event validation (schema v1). Checks are written out by hand,
// field by field, so each error message says exactly what was expected.
#include "validate.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <stdexcept>

namespace botwarden::ingest {

namespace {

using nlohmann::json;

// Thrown inside this file only; turned into the error text.
struct Invalid {
  std::string message;
};

std::string join(const std::string& path, std::string_view field) {
  return path.empty() ? std::string(field) : path + "." + std::string(field);
}
[[noreturn]] void invalid(const std::string& where, const std::string& what) { throw Invalid{where + ": " + what}; }

// JSON Schema maxLength counts characters (code points); the parser has
// already rejected invalid UTF-8, so counting non-continuation bytes is exact.
std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

const std::string& string_field(const json& v, const std::string& where, std::size_t max_length) {
  if (!v.is_string()) invalid(where, "expected a string");
  const auto& s = v.get_ref<const std::string&>();
  if (code_points(s) > max_length) {
    invalid(where, "longer than " + std::to_string(max_length) + " characters");
  }
  return s;
}

void non_negative_integer(const json& v, const std::string& where) {
  if (!v.is_number_integer()) invalid(where, "expected an integer");
  if (v.is_number_unsigned()) return;
  if (v.get<std::int64_t>() < 0) invalid(where, "expected an integer >= 0");
}

Micros timestamp(const json& v, const std::string& where, Micros received_at) {
  if (!v.is_string()) invalid(where, "not an RFC 3339 timestamp");
  const auto t = parse_rfc3339(v.get_ref<const std::string&>());
  if (!t) invalid(where, "not an RFC 3339 timestamp");
  if (*t < kEarliestEventTime) invalid(where, "before 2000-01-01T00:00:00Z");
  if (*t > received_at + kMaxClockSkew) {
    invalid(where, "more than one day after the receive time " + format_rfc3339(received_at));
  }
  return *t;
}

bool sensor_name_ok(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (const char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool id_ok(std::string_view s) {
  if (s.size() != 32) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

constexpr std::array<std::string_view, 13> kTopFields{"type",  "schema",  "id",         "ts",        "sensor",
                                                      "subscriber", "address", "detector", "score", "first_seen",
                                                      "last_seen",  "exempt",  "evidence"};
constexpr std::array<std::string_view, 3> kDetectors{"bad_helo", "direct_to_mx", "snowshoe"};

void validate_evidence(const json& e, const std::string& where) {
  if (!e.is_object()) invalid(where, "expected an object");
  for (const auto& [key, value] : e.items()) {
    const std::string at = join(where, key);
    if (key == "sessions" || key == "transactions" || key == "window_seconds" || key == "distinct_destinations" ||
        key == "rejections_5xx" || key == "rcpt_count" || key == "distinct_helos" || key == "cluster_size") {
      non_negative_integer(value, at);
    } else if (key == "helo_classes") {
      if (!value.is_object()) invalid(at, "expected an object");
      for (const auto& [helo_class, count] : value.items()) non_negative_integer(count, join(at, helo_class));
    } else if (key == "sample_helos" || key == "sample_destinations" || key == "sample_mailfrom_domains") {
      if (!value.is_array()) invalid(at, "expected an array");
      if (value.size() > 10) invalid(at, "more than 10 items");
      const std::size_t max_length = key == "sample_destinations" ? 64 : 256;
      for (std::size_t i = 0; i < value.size(); ++i) {
        string_field(value[i], at + "[" + std::to_string(i) + "]", max_length);
      }
    } else if (key == "cluster_id") {
      string_field(value, at, 64);
    } else {
      invalid(at, "unknown field");
    }
  }
  for (const char* required : {"sessions", "window_seconds"}) {
    if (!e.contains(required)) invalid(join(where, required), "required field missing");
  }
}

DetectionEvent validate(const json& j, const std::string& path, Micros received_at) {
  if (!j.is_object()) invalid(path.empty() ? "event" : path, "expected an object");
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const auto f : kTopFields) known = known || f == key;
    if (!known) invalid(join(path, key), "unknown field");
  }
  for (const auto f : kTopFields) {
    if (!j.contains(f)) invalid(join(path, f), "required field missing");
  }
  DetectionEvent ev;
  if (j["type"] != "detection") invalid(join(path, "type"), "expected \"detection\"");
  if (!j["schema"].is_number_integer() || j["schema"] != 1) invalid(join(path, "schema"), "expected 1");
  const auto& id = j["id"];
  if (!id.is_string() || !id_ok(id.get_ref<const std::string&>())) {
    invalid(join(path, "id"), "expected 32 lowercase hex digits");
  }
  ev.id = id.get<std::string>();
  ev.ts = timestamp(j["ts"], join(path, "ts"), received_at);
  const auto& sensor = j["sensor"];
  if (!sensor.is_string() || !sensor_name_ok(sensor.get_ref<const std::string&>())) {
    invalid(join(path, "sensor"), "expected 1 to 64 characters of A-Z a-z 0-9 . _ -");
  }
  ev.sensor = sensor.get<std::string>();

  ev.subscriber = string_field(j["subscriber"], join(path, "subscriber"), 64);
  const bool has_slash = ev.subscriber.find('/') != std::string::npos;
  const auto prefix = Prefix::parse(ev.subscriber);
  if (!prefix || (prefix->network.is_v4() && has_slash) || (!prefix->network.is_v4() && !has_slash)) {
    invalid(join(path, "subscriber"), "expected an IPv4 address or an IPv6 prefix");
  }
  ev.subscriber_prefix = *prefix;

  const auto& address = string_field(j["address"], join(path, "address"), 45);
  const auto parsed_address = IpAddress::parse(address);
  if (!parsed_address) invalid(join(path, "address"), "expected an IP address");
  ev.address = *parsed_address;

  const auto& detector = j["detector"];
  bool known_detector = false;
  if (detector.is_string()) {
    for (const auto d : kDetectors) known_detector = known_detector || d == detector.get_ref<const std::string&>();
  }
  if (!known_detector) invalid(join(path, "detector"), "expected one of bad_helo, direct_to_mx, snowshoe");
  ev.detector = detector.get<std::string>();

  const auto& score = j["score"];
  if (!score.is_number() || !std::isfinite(score.get<double>()) || score.get<double>() < 0) {
    invalid(join(path, "score"), "expected a number >= 0");
  }
  const auto first_seen = timestamp(j["first_seen"], join(path, "first_seen"), received_at);
  const auto last_seen = timestamp(j["last_seen"], join(path, "last_seen"), received_at);
  if (first_seen > last_seen) invalid(join(path, "first_seen"), "after last_seen");
  if (!j["exempt"].is_boolean()) invalid(join(path, "exempt"), "expected true or false");
  ev.exempt = j["exempt"].get<bool>();
  validate_evidence(j["evidence"], join(path, "evidence"));
  ev.json = j.dump();
  return ev;
}

}  // namespace

std::variant<DetectionEvent, std::string> validate_event(const json& event, const std::string& path,
                                                         Micros received_at) {
  try {
    return validate(event, path, received_at);
  } catch (const Invalid& e) {
    return e.message;
  }
}

}  // namespace botwarden::ingest
