// [report] keys of botwarden.toml.
#pragma once
#include <cstdint>

#include "notifier/report/time_zone.hpp"
#include "sensor/common/config.hpp"

namespace botwarden::report {

struct ReportConfig {
  TimeZone zone;  // [report] timezone: "UTC" (default), "+01:00", or an IANA name
  // [report] metrics_cache_seconds: the botwarden_report_* gauges of /metrics
  // are recomputed at most this often (a month over 1 M accounts takes about
  // a second). 0 leaves them out of /metrics. 0..86400, default 60.
  std::int64_t metrics_cache_seconds = 60;
};

// Throws ConfigError naming file, line and key, e.g.
// "botwarden.toml:40: report.timezone: time zone 'Mars/Olympus': no such zone (...)".
ReportConfig load_report_config(const ConfigFile& file);

}  // namespace botwarden::report
