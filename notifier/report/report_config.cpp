// [report] section: the time zone reports count local days and months in.
#include "report_config.hpp"

namespace botwarden::report {

ReportConfig load_report_config(const ConfigFile& file) {
  auto section = file.section("report");
  ReportConfig config;
  const auto name = section.get_string("timezone", "UTC");
  try {
    config.zone = TimeZone::load(name);
  } catch (const TimeZoneError& e) {
    section.fail("timezone", e.what());
  }
  config.metrics_cache_seconds = section.get_int("metrics_cache_seconds", 60, 0, 86400);
  section.finish();
  return config;
}

}  // namespace botwarden::report
