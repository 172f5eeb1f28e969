// Bounded line reading, CSV splitting and date arithmetic for the mapping parsers.
#include "notifier/mapping/text.hpp"

#include <cctype>
#include <charconv>
#include <limits>

#include "notifier/mapping/parse_result.hpp"

namespace botwarden::mapping {

std::string Problem::to_string() const {
  return file + ":" + std::to_string(line) + ": " + message;
}

void ParseResult::add_problem(std::string_view file, std::size_t line, std::string message) {
  ++problem_count;
  if (problems.size() < kMaxProblems) {
    problems.push_back(Problem{std::string(file), line, std::move(message)});
  }
}

std::string normalize_identity(std::string_view t) { return text::lower(text::trim(t)); }

namespace text {

LineReader::LineReader(std::istream& in) : in_(in) { buffer_.resize(kMaxLineBytes + 2); }

bool LineReader::next(std::string_view& line, bool& too_long) {
  too_long = false;
  if (!in_.good()) return false;
  // getline(buf, n) stores at most n-1 characters and sets failbit when the
  // line is longer; the buffer holds kMaxLineBytes plus a CR.
  in_.getline(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  const auto count = static_cast<std::size_t>(in_.gcount());
  std::size_t length = 0;
  if (in_.eof()) {
    if (count == 0) return false;
    length = count;  // a last line without LF; the stream is no longer good()
  } else if (in_.fail()) {
    too_long = true;
    in_.clear();
    in_.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    length = kMaxLineBytes;
  } else {
    length = count - 1;  // gcount() counted the LF
  }
  ++line_number_;
  if (!too_long && length > 0 && buffer_[length - 1] == '\r') --length;
  if (length > kMaxLineBytes) {
    too_long = true;
    length = kMaxLineBytes;
  }
  line = std::string_view(buffer_.data(), length);
  return true;
}

std::optional<std::vector<std::string>> split_csv(std::string_view line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  bool field_was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field.push_back(c);
      }
    } else if (c == ',') {
      fields.push_back(field_was_quoted ? field : std::string(trim(field)));
      field.clear();
      field_was_quoted = false;
    } else if (c == '"' && trim(field).empty()) {
      quoted = true;
      field_was_quoted = true;
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  if (quoted) return std::nullopt;
  fields.push_back(field_was_quoted ? field : std::string(trim(field)));
  return fields;
}

std::string kea_unescape(std::string_view f) {
  std::string out;
  out.reserve(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '&' && i + 5 <= f.size() && f.substr(i, 3) == "&#x" &&
        std::isxdigit(static_cast<unsigned char>(f[i + 3])) &&
        std::isxdigit(static_cast<unsigned char>(f[i + 4]))) {
      unsigned value = 0;
      std::from_chars(f.data() + i + 3, f.data() + i + 5, value, 16);
      out.push_back(static_cast<char>(value));
      i += 4;
    } else {
      out.push_back(f[i]);
    }
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view s) {
  const auto v = lower(trim(s));
  if (v == "yes" || v == "true" || v == "1") return true;
  if (v == "no" || v == "false" || v == "0" || v.empty()) return false;
  return std::nullopt;
}

std::optional<std::int64_t> days_from_date(int year, int month, int day) {
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1) return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int month_days = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  if (day > month_days) return std::nullopt;
  // Howard Hinnant's days_from_civil.
  std::int64_t y = year - (month <= 2 ? 1 : 0);
  const std::int64_t era = y / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const auto m = static_cast<unsigned>(month);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + static_cast<unsigned>(day) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> epoch_seconds(int year, int month, int day, int hour, int minute,
                                          int second) {
  const auto days = days_from_date(year, month, day);
  if (!days || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  return *days * 86400 + hour * 3600 + minute * 60 + second;
}

std::optional<int> month_number(std::string_view name) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  const auto l = lower(name);
  for (int i = 0; i < 12; ++i) {
    if (l == kMonths[i]) return i + 1;
  }
  return std::nullopt;
}

std::optional<Micros> seconds_to_micros(std::int64_t seconds) {
  if (seconds < 0 || seconds > std::numeric_limits<Micros>::max() / kMicrosPerSecond - 1) {
    return std::nullopt;
  }
  return seconds * kMicrosPerSecond;
}

}  // namespace text
}  // namespace botwarden::mapping
