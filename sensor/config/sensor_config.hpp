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

struct SensorConfig {
  std::string name = "sensor1";              // names this sensor in events
  std::vector<Prefix> subscriber_prefixes;   // required: the ISP's subscriber space
  std::vector<Prefix> smtp_relays;           // required: the ISP's own relays
  std::string log_level = "info";
  DetectConfig detect;                       // detector keys (sensor/config/detect_config.hpp)
};

// Reads and validates [sensor]; throws ConfigError naming file, line and key.
SensorConfig load_sensor_config(const ConfigFile& file);

}  // namespace botwarden
