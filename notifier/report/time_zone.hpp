// Time zones for reports: local calendar days and months. libstdc++ 12 has
// no std::chrono::locate_zone, so an IANA name is read from the system
// zoneinfo (TZif, RFC 8536) once; "UTC" and fixed offsets need no file.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/common/time.hpp"

namespace botwarden::report {

class TimeZoneError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TimeZone {
 public:
  TimeZone() = default;  // UTC
  // "UTC", "+01:00" / "-05:30" (fixed), or an IANA name such as
  // "Europe/Berlin" read from `zoneinfo_dir`. Throws TimeZoneError naming
  // the zone and what is wrong.
  static TimeZone load(std::string_view name, const std::string& zoneinfo_dir = "/usr/share/zoneinfo");

  const std::string& name() const { return name_; }
  // Seconds east of UTC at the instant `utc`.
  std::int64_t offset_at(Micros utc) const;
  // The local calendar day of an instant.
  std::chrono::year_month_day local_day(Micros utc) const;
  // The instant local midnight of `day` begins (the first instant of the day
  // when a DST change skips midnight).
  Micros start_of(std::chrono::year_month_day day) const;

 private:
  std::string name_ = "UTC";
  std::int64_t fixed_offset_ = 0;
  std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
  std::vector<std::int64_t> offsets_;      // offset from transitions_[i] on
  std::int64_t initial_offset_ = 0;        // before the first transition
};

// "2026-11-05" -> the calendar day; nullopt when not a valid date.
std::optional<std::chrono::year_month_day> parse_date(std::string_view text);
std::string format_date(std::chrono::year_month_day day);

}  // namespace botwarden::report
