// FreeRADIUS accounting detail files (rlm_detail): records separated by blank
// lines, a ctime header line, then "\tAttribute = value" lines. A session is
// Start..Stop keyed by Acct-Session-Id; Interim-Update extends it (and opens
// it when the Start was lost); Accounting-On/Off from a NAS closes its open
// sessions; a session without Stop stays open (kOpenEnd).
#include <algorithm>
#include <cstdio>
#include <map>

#include "notifier/mapping/parsers.hpp"
#include "notifier/mapping/text.hpp"

namespace botwarden::mapping {

namespace {

constexpr std::size_t kMaxAttributesPerRecord = 512;

struct Record {
  std::size_t line = 0;
  std::optional<Micros> header_time;
  std::map<std::string, std::string, std::less<>> attributes;  // first value of each
  std::vector<std::pair<std::string, std::string>> address_attributes;  // every Framed-*/Delegated-*
  bool bad = false;
};

struct Session {
  std::string id, account, nas;
  Micros start = 0;
  Micros end = kOpenEnd;
  std::size_t line = 0;
  std::vector<Prefix> prefixes;
};

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::optional<Micros> clock_time(int year, std::string_view month, std::string_view day, std::string_view hms) {
  const auto m = text::month_number(month);
  const auto d = text::parse_uint(day);
  int h = 0, mi = 0, se = 0;
  char extra = 0;
  const std::string hms_text(hms);
  if (!m || !d || *d > 31 || std::sscanf(hms_text.c_str(), "%2d:%2d:%2d%c", &h, &mi, &se, &extra) != 3) {
    return std::nullopt;
  }
  const auto secs = text::epoch_seconds(year, *m, static_cast<int>(*d), h, mi, se);
  if (!secs) return std::nullopt;
  return text::seconds_to_micros(*secs);
}

// "Wed Nov 25 18:00:00 2026" (ctime, taken as UTC).
std::optional<Micros> parse_header_time(std::string_view line) {
  const auto w = words(line);
  if (w.size() != 5) return std::nullopt;
  const auto year = text::parse_uint(w[4]);
  if (!year || *year > 9999) return std::nullopt;
  return clock_time(static_cast<int>(*year), w[1], w[2], w[3]);
}

// Event-Timestamp: "Nov 25 2026 18:00:00 UTC" or epoch seconds.
std::optional<Micros> parse_event_timestamp(std::string_view value) {
  if (const auto epoch = text::parse_uint(value)) {
    return *epoch < (1ull << 40) ? text::seconds_to_micros(static_cast<std::int64_t>(*epoch)) : std::nullopt;
  }
  const auto w = words(value);
  if (w.size() != 5 || (w[4] != "UTC" && w[4] != "GMT")) return std::nullopt;
  const auto year = text::parse_uint(w[2]);
  if (!year || *year > 9999) return std::nullopt;
  return clock_time(static_cast<int>(*year), w[0], w[1], w[3]);
}

std::string unquote(std::string_view v) {
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  std::string out;
  for (std::size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) ++i;
    out.push_back(v[i]);
  }
  return out;
}

bool is_address_attribute(std::string_view name) {
  return name == "Framed-IP-Address" || name == "Framed-IPv6-Prefix" || name == "Delegated-IPv6-Prefix" ||
         name == "Framed-IPv6-Address";
}

class RadiusParser {
 public:
  explicit RadiusParser(std::string_view file) : file_(file) {}

  ParseResult run(std::istream& in) {
    text::LineReader reader(in);
    std::string_view line;
    bool too_long = false;
    while (reader.next(line, too_long)) {
      const std::size_t n = reader.line_number();
      ++result_.lines;
      if (too_long) {
        problem(n, "line is longer than " + std::to_string(kMaxLineBytes) + " bytes");
        if (record_) record_->bad = true;
        continue;
      }
      if (text::trim(line).empty()) {
        finish_record();
        continue;
      }
      if (line[0] != ' ' && line[0] != '\t') {  // a header: a new record
        finish_record();
        record_ = Record{};
        record_->line = n;
        record_->header_time = parse_header_time(line);
        if (!record_->header_time) {
          problem(n, "expected a record header date such as 'Wed Nov 25 18:00:00 2026'");
          record_->bad = true;
        }
        continue;
      }
      if (!record_) {
        if (!orphan_reported_) problem(n, "attribute line before any record header date");
        orphan_reported_ = true;
        continue;
      }
      const auto trimmed = text::trim(line);
      const auto eq = trimmed.find(" = ");
      if (eq == std::string_view::npos || eq == 0) {
        problem(n, "expected 'Attribute = value'");
        record_->bad = true;
        continue;
      }
      if (record_->attributes.size() + record_->address_attributes.size() >= kMaxAttributesPerRecord) {
        if (!record_->bad) problem(n, "record has more than " + std::to_string(kMaxAttributesPerRecord) + " attributes");
        record_->bad = true;
        continue;
      }
      std::string name(text::trim(trimmed.substr(0, eq)));
      std::string value = unquote(text::trim(trimmed.substr(eq + 3)));
      if (is_address_attribute(name)) {
        record_->address_attributes.emplace_back(std::move(name), std::move(value));
      } else {
        record_->attributes.emplace(std::move(name), std::move(value));
      }
    }
    finish_record();
    for (auto& s : sessions_) emit(s);
    return std::move(result_);
  }

 private:
  void problem(std::size_t line, std::string message) { result_.add_problem(file_, line, std::move(message)); }

  std::string attribute(const Record& r, std::string_view name) const {
    const auto found = r.attributes.find(name);
    return found == r.attributes.end() ? std::string() : found->second;
  }

  void finish_record() {
    if (!record_) return;
    Record r = std::move(*record_);
    record_.reset();
    orphan_reported_ = false;
    if (r.bad) return;
    const auto status = attribute(r, "Acct-Status-Type");
    auto bad = [&](std::string message) { problem(r.line, std::move(message)); };

    Micros t = *r.header_time;
    if (const auto event = attribute(r, "Event-Timestamp"); !event.empty()) {
      const auto parsed = parse_event_timestamp(event);
      if (!parsed) {
        bad("Event-Timestamp: '" + event + "' is not 'Mon DD YYYY hh:mm:ss UTC' or epoch seconds");
        return;
      }
      t = *parsed;
    } else if (const auto stamp = attribute(r, "Timestamp"); !stamp.empty()) {
      const auto parsed = parse_event_timestamp(stamp);
      if (!parsed) {
        bad("Timestamp: '" + stamp + "' is not epoch seconds");
        return;
      }
      t = *parsed;
    }
    std::string nas = attribute(r, "NAS-IP-Address");
    if (nas.empty()) nas = attribute(r, "NAS-Identifier");

    if (status == "Accounting-On" || status == "Accounting-Off") {  // the NAS restarted: its sessions are over
      for (auto it = open_.begin(); it != open_.end();) {
        Session& s = sessions_[it->second];
        if (s.nas == nas) {
          s.end = std::max(s.start, t);
          it = open_.erase(it);
        } else {
          ++it;
        }
      }
      return;
    }
    if (status.empty()) {
      bad("record has no Acct-Status-Type");
      return;
    }
    const bool start = status == "Start";
    const bool interim = status == "Interim-Update" || status == "Alive";
    const bool stop = status == "Stop";
    if (!start && !interim && !stop) {
      ++result_.skipped;  // Failed, Tunnel-*: no address holding to record
      return;
    }
    const auto id = attribute(r, "Acct-Session-Id");
    if (id.empty()) {
      bad("record has no Acct-Session-Id");
      return;
    }
    const auto user = attribute(r, "User-Name");
    if (user.empty()) {
      bad("record has no User-Name");
      return;
    }
    std::optional<std::uint64_t> session_time;
    if (const auto st = attribute(r, "Acct-Session-Time"); !st.empty()) {
      session_time = text::parse_uint(st);
      if (!session_time || *session_time > (1ull << 32)) {
        bad("Acct-Session-Time: '" + st + "' is not a number of seconds");
        return;
      }
    }
    std::vector<Prefix> prefixes;
    for (const auto& [name, value] : r.address_attributes) {
      std::string error;
      auto prefix = Prefix::parse(value, &error);
      const bool v4_attribute = name == "Framed-IP-Address";
      if (!prefix || prefix->network.is_v4() != v4_attribute ||
          (name == "Framed-IPv6-Address" && prefix->length != 128)) {
        bad(name + ": '" + value + "' is not an " + (v4_attribute ? "IPv4 address" : "IPv6 prefix"));
        return;
      }
      prefixes.push_back(*prefix);
    }

    const Micros elapsed = session_time ? static_cast<Micros>(*session_time) * kMicrosPerSecond : 0;
    auto found = open_.find(id);
    if (found == open_.end()) {
      if (stop && !session_time) {
        bad("Stop for session '" + id + "' without a Start and without Acct-Session-Time");
        return;
      }
      Session s;
      s.id = id;
      s.account = user;
      s.nas = nas;
      s.line = r.line;
      s.start = start ? t : std::max<Micros>(0, t - elapsed);
      found = open_.emplace(id, sessions_.size()).first;
      sessions_.push_back(std::move(s));
    }
    Session& s = sessions_[found->second];
    for (const auto& p : prefixes) {
      if (std::find(s.prefixes.begin(), s.prefixes.end(), p) == s.prefixes.end()) s.prefixes.push_back(p);
    }
    if (stop) {
      s.end = std::max(s.start, t);
      open_.erase(found);
    }
  }

  void emit(const Session& s) {
    if (s.prefixes.empty()) {
      problem(s.line, "session '" + s.id + "' of '" + s.account +
                          "' has no Framed-IP-Address, Framed-IPv6-Prefix or Delegated-IPv6-Prefix");
      return;
    }
    for (const auto& p : s.prefixes) {
      Lease lease;
      lease.prefix = p;
      lease.start = s.start;
      lease.end = s.end;
      lease.account = s.account;
      lease.source = "radius";
      lease.source_key = s.id + "/" + p.to_string();
      result_.leases.push_back(std::move(lease));
    }
  }

  std::string_view file_;
  ParseResult result_;
  std::optional<Record> record_;
  bool orphan_reported_ = false;
  std::vector<Session> sessions_;
  std::map<std::string, std::size_t> open_;  // Acct-Session-Id -> open session
};

}  // namespace

ParseResult parse_radius(std::istream& in, std::string_view file) { return RadiusParser(file).run(in); }

}  // namespace botwarden::mapping
