// Detection event JSON and ids (docs/schemas/detection-event.v1.json).
#include "detection_event.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <stdexcept>

namespace botwarden::events {

const char* to_string(Detector d) {
  switch (d) {
    case Detector::bad_helo: return "bad_helo";
    case Detector::direct_to_mx: return "direct_to_mx";
    case Detector::snowshoe: return "snowshoe";
  }
  return "unknown";
}

std::string make_event_id(const std::string& sensor, const std::string& subscriber, Detector detector,
                          Micros window_start, Micros tracked_since, unsigned report_number) {
  // Fields joined by NUL, which none of them can contain, so no two inputs collide.
  std::string input = sensor;
  input += '\0';
  input += subscriber;
  input += '\0';
  input += to_string(detector);
  input += '\0';
  input += std::to_string(window_start);
  input += '\0';
  input += std::to_string(tracked_since);
  input += '\0';
  input += std::to_string(report_number);
  static const int sodium_ready = sodium_init();  // idempotent; only selects implementations
  (void)sodium_ready;
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(input.data()), input.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (std::size_t i = 0; i < 16; ++i) {
    id += kHex[digest[i] >> 4];
    id += kHex[digest[i] & 0xF];
  }
  return id;
}

nlohmann::json to_json(const DetectionEvent& e) {
  nlohmann::json ev = {
      {"sessions", e.evidence.sessions},
      {"transactions", e.evidence.transactions},
      {"window_seconds", e.evidence.window_seconds},
      {"distinct_destinations", e.evidence.distinct_destinations},
      {"rejections_5xx", e.evidence.rejections_5xx},
      {"rcpt_count", e.evidence.rcpt_count},
      {"helo_classes", e.evidence.helo_classes},
      {"distinct_helos", e.evidence.distinct_helos},
      {"sample_helos", e.evidence.sample_helos},
      {"sample_destinations", e.evidence.sample_destinations},
      {"sample_mailfrom_domains", e.evidence.sample_mailfrom_domains},
  };
  if (e.evidence.cluster_id) ev["cluster_id"] = *e.evidence.cluster_id;
  if (e.evidence.cluster_size) ev["cluster_size"] = *e.evidence.cluster_size;
  return {
      {"type", "detection"},
      {"schema", 1},
      {"id", e.id},
      {"ts", format_rfc3339(e.ts)},
      {"sensor", e.sensor},
      {"subscriber", e.subscriber},
      {"address", e.address},
      {"detector", to_string(e.detector)},
      {"score", e.score < 0 ? 0.0 : std::round(e.score * 1000.0) / 1000.0},
      {"first_seen", format_rfc3339(e.first_seen)},
      {"last_seen", format_rfc3339(e.last_seen)},
      {"exempt", e.exempt},
      {"evidence", std::move(ev)},
  };
}

std::string to_json_line(const DetectionEvent& e) {
  return to_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace botwarden::events
