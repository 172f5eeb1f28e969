// The detection event (docs/schemas/detection-event.v1.json): its value
// type, deterministic id, JSON form, and the sink interface detectors emit to.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sensor/common/time.hpp"

namespace botwarden::events {

enum class Detector : std::uint8_t { bad_helo, direct_to_mx, snowshoe };
const char* to_string(Detector d);

struct Evidence {
  std::uint64_t sessions = 0;
  std::uint64_t transactions = 0;
  std::uint64_t window_seconds = 0;
  std::uint64_t distinct_destinations = 0;
  std::uint64_t rejections_5xx = 0;
  std::uint64_t rcpt_count = 0;
  std::map<std::string, std::uint64_t> helo_classes;  // class name -> sessions
  std::uint64_t distinct_helos = 0;
  std::vector<std::string> sample_helos;             // at most 10, raw wire bytes
  std::vector<std::string> sample_destinations;      // at most 10
  std::vector<std::string> sample_mailfrom_domains;  // at most 10
  std::optional<std::string> cluster_id;             // snowshoe only
  std::optional<std::uint64_t> cluster_size;
};

struct DetectionEvent {
  std::string id;          // make_event_id()
  Micros ts = 0;           // capture time of the triggering evidence
  std::string sensor;
  std::string subscriber;  // "192.0.2.7" or "2001:db8:1:2::/64"
  std::string address;     // last source address seen
  Detector detector = Detector::bad_helo;
  double score = 0;        // log-likelihood ratio when emitted
  Micros first_seen = 0;
  Micros last_seen = 0;
  bool exempt = false;
  Evidence evidence;
};

// 32 lower-case hex digits: SHA-256 over sensor, subscriber, detector, window
// start, the time of the first session the sensor holds for this subscriber
// (tracked_since) and the report number within that window (0 for the first
// event), truncated to 128 bits. Same capture, same ids (a replay is a
// duplicate for the notifier); a sensor restarted within the window, or a
// subscriber evicted and seen again, gets new ids for its new evidence
// instead of repeating the ones the notifier already holds.
std::string make_event_id(const std::string& sensor, const std::string& subscriber, Detector detector,
                          Micros window_start, Micros tracked_since, unsigned report_number);

// The schema's object. Wire strings that are not UTF-8 get U+FFFD per bad byte
// when dumped (to_json_line), never an exception.
nlohmann::json to_json(const DetectionEvent& e);
std::string to_json_line(const DetectionEvent& e);  // one line, no trailing newline

// Where detectors send events. emit() must not block on the network.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(const DetectionEvent& event) = 0;
  virtual void flush() {}
};

}  // namespace botwarden::events
