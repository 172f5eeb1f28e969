// [report] keys of botwarden.toml.
#pragma once
#include "notifier/report/time_zone.hpp"
#include "sensor/common/config.hpp"

namespace botwarden::report {

struct ReportConfig {
  TimeZone zone;  // [report] timezone: "UTC" (default), "+01:00", or an IANA name
};

// Throws ConfigError naming file, line and key, e.g.
// "botwarden.toml:40: report.timezone: time zone 'Mars/Olympus': no such zone (...)".
ReportConfig load_report_config(const ConfigFile& file);

}  // namespace botwarden::report
