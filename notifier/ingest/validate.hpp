// Strict validation of one detection event against
// docs/schemas/detection-event.v1.json: required fields, types, no unknown
// fields, bounds, detector enum, id pattern and impossible timestamps. The
// error text names the field: "events[3].ts: not an RFC 3339 timestamp".
#pragma once
#include <nlohmann/json_fwd.hpp>

#include <string>
#include <variant>

#include "sensor/common/ip.hpp"
#include "sensor/common/time.hpp"

namespace botwarden::ingest {

// The parts of a valid event the notifier acts on; `json` is the event itself.
struct DetectionEvent {
  std::string id;
  Micros ts = 0;
  std::string sensor;
  std::string subscriber;   // as sent
  Prefix subscriber_prefix; // IPv4 address as /32, or the IPv6 prefix
  IpAddress address;        // the last source address seen for the subscriber
  std::string detector;
  bool exempt = false;
  std::string json;         // compact JSON of the event
};

// An event is impossible when its time is before this (2000-01-01T00:00:00Z)...
inline constexpr Micros kEarliestEventTime = 946684800LL * kMicrosPerSecond;
// ...or more than this after the time the notifier received it.
inline constexpr Micros kMaxClockSkew = 24LL * 3600 * kMicrosPerSecond;

// `path` prefixes every error ("events[3]" gives "events[3].ts: ..."; "" gives "ts: ...").
// Returns the event, or the error text.
std::variant<DetectionEvent, std::string> validate_event(const nlohmann::json& event, const std::string& path,
                                                         Micros received_at);

}  // namespace botwarden::ingest
