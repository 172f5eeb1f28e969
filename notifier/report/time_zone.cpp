// TimeZone: fixed offsets and TZif (RFC 8536) files; civil-date helpers.
#include "time_zone.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>

namespace botwarden::report {

namespace {

using namespace std::chrono;

// "+01:00", "-05:30", "+0100": seconds east of UTC, or nullopt.
std::optional<std::int64_t> parse_fixed_offset(std::string_view text) {
  if (text.size() < 3 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  std::string digits;
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] == ':' && i == 3) continue;
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    digits += text[i];
  }
  if (digits.size() != 2 && digits.size() != 4) return std::nullopt;
  const int hours = (digits[0] - '0') * 10 + (digits[1] - '0');
  const int minutes = digits.size() == 4 ? (digits[2] - '0') * 10 + (digits[3] - '0') : 0;
  if (hours > 14 || minutes > 59) return std::nullopt;
  const std::int64_t seconds = hours * 3600 + minutes * 60;
  return text[0] == '-' ? -seconds : seconds;
}

bool is_safe_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.find("..") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
           c == '-' || c == '+';
  });
}

// Big-endian reads over a bounds-checked byte view.
class Reader {
 public:
  Reader(const std::string& data, std::size_t at) : data_(data), at_(at) {}
  bool has(std::size_t n) const { return at_ <= data_.size() && data_.size() - at_ >= n; }
  std::uint64_t be(std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(data_[at_ + i]);
    at_ += n;
    return v;
  }
  void skip(std::size_t n) { at_ += n; }
  std::size_t at() const { return at_; }

 private:
  const std::string& data_;
  std::size_t at_;
};

}  // namespace

TimeZone TimeZone::load(std::string_view name, const std::string& zoneinfo_dir) {
  TimeZone zone;
  zone.name_ = std::string(name);
  if (name == "UTC" || name == "Z" || name == "Etc/UTC") return zone;
  if (const auto offset = parse_fixed_offset(name)) {
    zone.fixed_offset_ = *offset;
    return zone;
  }
  const std::string what = "time zone '" + std::string(name) + "'";
  if (!is_safe_zone_name(name)) {
    throw TimeZoneError(what + ": expected UTC, an offset such as +01:00, or an IANA name such as Europe/Berlin");
  }
  const std::string path = zoneinfo_dir + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TimeZoneError(what + ": no such zone (" + path + " cannot be read)");
  std::string data;
  char chunk[4096];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    data.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (data.size() > (1u << 20)) throw TimeZoneError(what + ": " + path + ": larger than 1 MiB, not a TZif file");
  }
  const auto bad = [&](const std::string& why) { return TimeZoneError(what + ": " + path + ": " + why); };

  // RFC 8536 §3.1: a v1 header and block with 32-bit times, then (v2+) the
  // same again with 64-bit times, which we read.
  struct Counts {
    std::uint64_t isut, isstd, leap, time, type, chars;
  };
  const auto header = [&](Reader& r) {
    if (!r.has(44) || data.compare(r.at(), 4, "TZif") != 0) throw bad("not a TZif file");
    r.skip(4);
    const auto version = r.be(1);
    r.skip(15);
    Counts c{r.be(4), r.be(4), r.be(4), r.be(4), r.be(4), r.be(4)};
    if (c.type == 0 || c.time > 100000 || c.type > 256 || c.leap > 10000 || c.chars > 65536) throw bad("bad counts");
    return std::pair{version, c};
  };
  Reader r(data, 0);
  auto [version, c] = header(r);
  if (version < '2') throw bad("version 1 files are not supported (no 64-bit data)");
  r.skip(c.time * 4 + c.time + c.type * 6 + c.chars + c.leap * 8 + c.isstd + c.isut);
  auto [version2, c2] = header(r);
  (void)version2;
  if (!r.has(c2.time * 8 + c2.time + c2.type * 6)) throw bad("truncated");
  std::vector<std::int64_t> times(c2.time);
  for (auto& t : times) t = static_cast<std::int64_t>(r.be(8));
  std::vector<std::uint64_t> type_of(c2.time);
  for (auto& t : type_of) {
    t = r.be(1);
    if (t >= c2.type) throw bad("transition to an unknown type");
  }
  std::vector<std::int64_t> type_offsets;
  for (std::uint64_t i = 0; i < c2.type; ++i) {
    type_offsets.push_back(static_cast<std::int32_t>(static_cast<std::uint32_t>(r.be(4))));
    r.skip(2);  // isdst, designation index
    if (i == 0) zone.initial_offset_ = type_offsets.back();  // RFC 8536 §3.2: type 0 before the first transition
  }
  // The rest of the v2 block (designations, leap seconds, std/ut flags) is
  // not used, but a file that ends inside it is broken.
  if (!r.has(c2.chars + c2.leap * 12 + c2.isstd + c2.isut)) throw bad("truncated");
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (!zone.transitions_.empty() && times[i] <= zone.transitions_.back()) throw bad("transitions out of order");
    zone.transitions_.push_back(times[i]);
    zone.offsets_.push_back(type_offsets[type_of[i]]);
  }
  // After the last transition the last offset holds; Debian ships "fat"
  // files with explicit transitions up to 2037, so the POSIX TZ footer rule
  // is not read.
  return zone;
}

std::int64_t TimeZone::offset_at(Micros utc) const {
  if (transitions_.empty()) return fixed_offset_;
  const std::int64_t seconds = utc >= 0 ? utc / kMicrosPerSecond : -((-utc + kMicrosPerSecond - 1) / kMicrosPerSecond);
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), seconds);
  if (it == transitions_.begin()) return initial_offset_;
  return offsets_[static_cast<std::size_t>(it - transitions_.begin() - 1)];
}

std::chrono::year_month_day TimeZone::local_day(Micros utc) const {
  const auto local = utc + offset_at(utc) * kMicrosPerSecond;
  return year_month_day{floor<days>(sys_time<microseconds>(microseconds(local)))};
}

Micros TimeZone::start_of(std::chrono::year_month_day day) const {
  const Micros local = duration_cast<microseconds>(sys_days(day).time_since_epoch()).count();
  // Two rounds find the offset in force at that local time; when midnight
  // does not exist (skipped by a DST change) the result is the first
  // instant of the day.
  Micros t = local - offset_at(local) * kMicrosPerSecond;
  t = local - offset_at(t) * kMicrosPerSecond;
  while (local_day(t) != day && local_day(t) < day) t += 15 * 60 * kMicrosPerSecond;
  return t;
}

std::optional<std::chrono::year_month_day> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  const auto num = [&](std::size_t at, std::size_t n, auto& out) {
    const auto [p, ec] = std::from_chars(text.data() + at, text.data() + at + n, out);
    return ec == std::errc() && p == text.data() + at + n;
  };
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d)) return std::nullopt;
  const year_month_day day{year{y}, month{m}, std::chrono::day{d}};
  if (!day.ok()) return std::nullopt;
  return day;
}

std::string format_date(std::chrono::year_month_day day) {
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(day.year()), static_cast<unsigned>(day.month()),
                static_cast<unsigned>(day.day()));
  return out;
}

}  // namespace botwarden::report
