// Text helpers shared by the mapping parsers (internal to notifier/mapping):
// a bounded line reader, a CSV field splitter, number and date parsing.
#pragma once
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/common/time.hpp"

namespace botwarden::mapping::text {

// Reads LF-terminated lines (a trailing CR is dropped) of at most
// kMaxLineBytes; a longer line is returned with too_long set and its text
// cut, and the reader resumes after its LF.
class LineReader {
 public:
  explicit LineReader(std::istream& in);
  // False at end of input.
  bool next(std::string_view& line, bool& too_long);
  std::size_t line_number() const { return line_number_; }

 private:
  std::istream& in_;
  std::string buffer_;
  std::size_t line_number_ = 0;
};

// Splits one CSV record (RFC 4180: fields may be "quoted", "" inside quotes
// is a quote). Returns nullopt for an unterminated quote.
std::optional<std::vector<std::string>> split_csv(std::string_view line);
// Kea's memfile escapes ',' and '&' as "&#x2c" / "&#x26" (CSVRow::escapeCharacters).
std::string kea_unescape(std::string_view field);

std::string_view trim(std::string_view s);
std::string lower(std::string_view s);
// A whole unsigned decimal number; nullopt on anything else or overflow.
std::optional<std::uint64_t> parse_uint(std::string_view s);
std::optional<std::int64_t> parse_int(std::string_view s);
// "yes"/"no"/"true"/"false"/"1"/"0"/"" (false); nullopt otherwise.
std::optional<bool> parse_bool(std::string_view s);

// Days since 1970-01-01 of a proleptic Gregorian date; nullopt if invalid.
std::optional<std::int64_t> days_from_date(int year, int month, int day);
// Seconds since the epoch of a UTC civil time; nullopt if any part is out of range.
std::optional<std::int64_t> epoch_seconds(int year, int month, int day, int hour, int minute,
                                          int second);
// "Jan".."Dec" -> 1..12 (case-insensitive); nullopt otherwise.
std::optional<int> month_number(std::string_view name);
// Seconds -> Micros, nullopt when it would overflow.
std::optional<Micros> seconds_to_micros(std::int64_t seconds);

}  // namespace botwarden::mapping::text
