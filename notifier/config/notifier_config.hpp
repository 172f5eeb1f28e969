// The [notifier] section of botwarden.toml (every key, with its default, is
// documented in configs/botwarden.toml).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "notifier/incident/lifecycle.hpp"
#include "sensor/common/config.hpp"

namespace botwarden {

// One [[notifier.sensors]] entry: a sensor allowed to POST events.
struct SensorCredentialConfig {
  std::string name;   // must equal the "sensor" field of its events
  std::string token;  // from `token`, or the first line of `token_file`
};

struct NotifierConfig {
  std::string database = "botwarden.db";  // SQLite file (relative to the config file)
  std::string log_level = "info";
  incident::Policy policy;                // channels, walled_garden_after_hours, ... (docs/INCIDENTS.md)
  std::int64_t retention_days = 90;       // evidence older than this is purged
  std::int64_t body_limit_bytes = 1 << 20;    // POST /api/v1/events body limit (413 above)
  std::int64_t max_events_per_batch = 1000;   // events in one POST (413 above)
  std::int64_t tick_interval_seconds = 60;    // serve: how often time-based transitions run
  std::int64_t busy_timeout_ms = 5000;        // SQLite: wait this long for another writer
  std::vector<SensorCredentialConfig> sensors;
};

NotifierConfig load_notifier_config(const ConfigFile& file);

}  // namespace botwarden
