// The [sensor] section of botwarden.toml: what the sensor pipeline needs.
// Stages add their own sub-structs here and parse them in sensor_config.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sensor/common/config.hpp"
#include "sensor/common/ip.hpp"
#include "sensor/config/detect_config.hpp"

namespace botwarden {

// Capture keys (sensor/capture): live interface settings.
struct CaptureConfig {
  int snaplen = 65535;              // bytes kept per packet
  int buffer_mb = 64;               // kernel capture buffer
  bool promiscuous = true;
  std::string bpf_filter;           // empty: every packet
  std::string user;                 // drop root to this user after opening; empty: stay
  int stats_interval_seconds = 60;  // live: a stats line this often; 0: never
  bool live_fanout = true;          // live, workers > 1: one handle per worker in a PACKET_FANOUT group
};

// Flow table and reassembly keys (sensor/flow, sensor/smtp).
struct FlowConfig {
  std::int64_t max_flows = 100000;
  std::int64_t flow_idle_timeout_seconds = 300;   // RFC 5321 §4.5.3.2.7: servers wait 5 minutes
  std::int64_t flow_max_age_seconds = 3600;
  std::int64_t max_ooo_bytes = 65536;             // out-of-order bytes buffered per direction
};

// Session log rotation (live; files read offline never rotate).
struct SessionLogConfig {
  std::int64_t rotate_mb = 100;        // 0: never by size
  std::int64_t rotate_seconds = 86400; // 0: never by age
};

struct SensorConfig {
  std::string name = "sensor1";              // names this sensor in events
  std::vector<Prefix> subscriber_prefixes;   // required: the ISP's subscriber space
  std::vector<Prefix> smtp_relays;           // required: the ISP's own relays
  std::string log_level = "info";
  int workers = 1;                           // pipeline threads (sensor/pipeline/workers.hpp)
  CaptureConfig capture;
  FlowConfig flows;
  SessionLogConfig session_log;
  DetectConfig detect;                       // detector keys (sensor/config/detect_config.hpp)
};

// Reads and validates [sensor]; throws ConfigError naming file, line and key.
SensorConfig load_sensor_config(const ConfigFile& file);

}  // namespace botwarden
