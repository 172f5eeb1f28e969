// compute_report: facts from a ReportSource -> the figures of docs/METRICS.md.
#include "report.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

namespace botwarden::report {

namespace {

using namespace std::chrono;
using incident::State;

constexpr Micros kDay = 86400LL * kMicrosPerSecond;

std::optional<double> share(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return std::nullopt;
  return static_cast<double>(part) / static_cast<double>(whole);
}

// Nearest-rank percentile of sorted values: the value at rank ceil(q n).
std::int64_t nearest_rank(const std::vector<std::int64_t>& sorted, int percent) {
  const auto n = static_cast<std::int64_t>(sorted.size());
  const auto rank = std::max<std::int64_t>(1, (percent * n + 99) / 100);
  return sorted[static_cast<std::size_t>(rank - 1)];
}

Distribution distribution_of(std::vector<std::int64_t> seconds) {
  Distribution d;
  d.count = static_cast<std::int64_t>(seconds.size());
  if (seconds.empty()) return d;
  std::sort(seconds.begin(), seconds.end());
  d.median_seconds = nearest_rank(seconds, 50);
  d.p90_seconds = nearest_rank(seconds, 90);
  for (const auto s : seconds) {
    const auto it = std::upper_bound(kDurationBucketBounds.begin(), kDurationBucketBounds.end(), s);
    ++d.histogram[static_cast<std::size_t>(it - kDurationBucketBounds.begin())];
  }
  return d;
}

std::int64_t seconds_between(Micros from, Micros to) { return std::max<Micros>(0, to - from) / kMicrosPerSecond; }

// Detector and channel names as bits: a handful of names, many subscribers.
class NameBits {
 public:
  explicit NameBits(const char* what) : what_(what) {}
  std::uint64_t bit(const std::string& name) {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return std::uint64_t{1} << i;
    }
    if (names_.size() == 64) throw std::runtime_error(std::string("report: more than 64 distinct ") + what_);
    names_.push_back(name);
    return std::uint64_t{1} << (names_.size() - 1);
  }
  // Adds one to each name whose bit is set.
  void count(std::uint64_t mask, std::map<std::string, std::int64_t>& out) const {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (mask & (std::uint64_t{1} << i)) ++out[names_[i]];
    }
  }

 private:
  const char* what_;
  std::vector<std::string> names_;
};

// What the transitions and notices say about one incident, up to the period's end.
struct IncidentStory {
  std::optional<State> state_at_end;
  bool walled = false;
  bool acknowledged = false;
  bool notice_failed = false;
  std::optional<Micros> last_release;        // latest entry into acknowledged
  std::optional<Micros> resolved_at;         // latest entry into resolved (still resolved)
  std::optional<Micros> remediation_start;   // the release before a resolution by quiet monitoring
  std::optional<Micros> first_notice_sent;
  std::uint64_t channels = 0;
};

// Per subscriber (account, or subscriber address/prefix when unattributed).
struct SubscriberFigures {
  bool detected = false, attributed = false, exempt = false, notifiable = false, notified = false;
  bool within_24h = false, notice_failed = false, walled = false, acknowledged = false, remediated = false;
  bool resolved = false, reinfected_30d = false, reinfected_90d = false;
  std::uint64_t detectors = 0, channels = 0;
};

}  // namespace

std::optional<PeriodLength> parse_period_length(std::string_view text) {
  if (text == "day") return PeriodLength::day;
  if (text == "week") return PeriodLength::week;
  if (text == "month") return PeriodLength::month;
  return std::nullopt;
}

namespace {
year_month_day advance(year_month_day day, PeriodLength length) {
  switch (length) {
    case PeriodLength::day: return year_month_day{sys_days(day) + days{1}};
    case PeriodLength::week: return year_month_day{sys_days(day) + days{7}};
    case PeriodLength::month: break;
  }
  auto next = day + months{1};  // Jan 31 -> Feb 28/29: the month's last day
  if (!next.ok()) next = next.year() / next.month() / std::chrono::last;
  return next;
}
}  // namespace

Period make_period(std::string_view from_text, std::string_view to_text, std::optional<PeriodLength> length,
                   const TimeZone& zone, Micros now) {
  const auto len = length.value_or(PeriodLength::month);
  Period p;
  std::optional<year_month_day> from_day, last_day;
  if (from_text.empty()) {
    if (!to_text.empty()) throw PeriodError("--to needs --from");
    auto day = zone.local_day(now);
    if (len == PeriodLength::month) day = day.year() / day.month() / 1;
    if (len == PeriodLength::week) day = year_month_day{sys_days(day) - (weekday(sys_days(day)) - Monday)};
    p.from = zone.start_of(day);
    p.to = zone.start_of(advance(day, len));
  } else {
    if ((from_day = parse_date(from_text))) {
      p.from = zone.start_of(*from_day);
    } else if (const auto t = parse_rfc3339(from_text)) {
      p.from = *t;
    } else {
      throw PeriodError("--from: expected a date (2026-10-01) or an RFC 3339 time, got '" + std::string(from_text) +
                        "'");
    }
    if (to_text.empty()) {
      const auto day = from_day.value_or(zone.local_day(p.from));
      p.to = zone.start_of(advance(day, len)) + (p.from - zone.start_of(day));
    } else if ((last_day = parse_date(to_text))) {
      p.to = zone.start_of(year_month_day{sys_days(*last_day) + days{1}});
    } else if (const auto t = parse_rfc3339(to_text)) {
      p.to = *t;
    } else {
      throw PeriodError("--to: expected a date (2026-10-31) or an RFC 3339 time, got '" + std::string(to_text) + "'");
    }
  }
  if (p.to <= p.from) throw PeriodError("--to must be after --from");
  if (p.to - p.from > kMaxPeriodDays * 86400 * kMicrosPerSecond) {
    throw PeriodError("the period is longer than " + std::to_string(kMaxPeriodDays) + " days");
  }
  const bool whole_days = p.from == zone.start_of(zone.local_day(p.from)) && p.to == zone.start_of(zone.local_day(p.to));
  if (whole_days) {
    const auto last = year_month_day{sys_days(zone.local_day(p.to)) - days{1}};
    p.label = format_date(zone.local_day(p.from)) + " .. " + format_date(last) + " (" + zone.name() + ")";
  } else {
    p.label = format_rfc3339(p.from) + " .. " + format_rfc3339(p.to);
  }
  return p;
}

Report compute_report(ReportSource& source, const Period& period, const TimeZone& zone, Micros now) {
  const Micros from = period.from, to = period.to;
  Report r;
  r.period = period;
  r.timezone = zone.name();
  r.generated_at = now;
  r.subscriber_base = source.count_active_accounts(from, to);

  const auto incidents = source.incidents_alive(from, to);
  std::unordered_map<store::IncidentId, IncidentStory> stories;
  stories.reserve(incidents.size());
  store::IncidentId min_id = INT64_MAX;
  for (const auto& f : incidents) {
    stories[f.id];
    min_id = std::min(min_id, f.id);
  }
  NameBits detector_bits("detectors"), channel_bits("notice channels");
  SlotCounts notices_per_slot;

  if (!incidents.empty()) {
    for (const auto& t : source.transitions(min_id, to)) {
      const auto it = stories.find(t.incident_id);
      if (it == stories.end()) continue;
      auto& s = it->second;
      if (t.from_resolved) {  // reopened: the old resolution no longer stands
        s.resolved_at.reset();
        s.remediation_start.reset();
      }
      if (t.to == State::walled_garden) s.walled = true;
      if (t.to == State::acknowledged) {
        s.acknowledged = true;
        s.last_release = t.at;
      }
      if (t.to == State::resolved) {
        s.resolved_at = t.at;
        if (t.quiet_monitoring) s.remediation_start = s.last_release.value_or(t.at);
      }
      if (t.at >= from) {
        if (t.self_release && t.to == State::acknowledged) ++r.self_releases;
        if (t.to == State::escalated) ++r.escalations;
      }
    }
    // The state at the period's end: the current one, unless it changed since.
    std::vector<store::IncidentId> changed_since;
    for (const auto& f : incidents) {
      if (f.state_since < to) stories[f.id].state_at_end = f.state;
      else changed_since.push_back(f.id);
    }
    if (!changed_since.empty()) {
      for (const auto& [id, state] : source.states_at(changed_since, to)) stories[id].state_at_end = state;
    }
    for (const auto& n : source.notices(min_id, to)) {
      if (n.status == store::NoticeStatus::sent && n.sent_at && *n.sent_at >= from && *n.sent_at < to) {
        ++notices_per_slot[*n.sent_at / (kSlotSeconds * kMicrosPerSecond)];
      }
      const auto it = stories.find(n.incident_id);
      if (it == stories.end()) continue;
      auto& s = it->second;
      if (n.status == store::NoticeStatus::sent && n.sent_at && *n.sent_at < to) {
        s.first_notice_sent = std::min(s.first_notice_sent.value_or(*n.sent_at), *n.sent_at);
        s.channels |= channel_bits.bit(n.channel);
      }
      if (n.status == store::NoticeStatus::failed) s.notice_failed = true;
    }
  }
  std::unordered_map<store::IncidentId, Micros> first_redetection;
  if (!incidents.empty()) {
    for (const auto& d : source.redetections(min_id)) {
      auto [it, inserted] = first_redetection.emplace(d.resolved_incident, d.first_detection);
      if (!inserted) it->second = std::min(it->second, d.first_detection);
    }
  }

  // Subscribers: accounts, and unattributed addresses/prefixes, apart (no key strings to build).
  std::unordered_map<std::string_view, std::size_t> account_index, unattributed_index;
  account_index.reserve(incidents.size());
  std::vector<SubscriberFigures> subscribers;
  subscribers.reserve(incidents.size());
  std::vector<std::int64_t> notify_seconds, remediate_seconds;
  for (const auto s : incident::all_states()) {
    if (incident::is_open(s)) r.open_by_state[std::string(incident::to_string(s))] = 0;
  }
  const Micros as_of = std::min(to, now);
  for (const auto& f : incidents) {
    const auto& s = stories[f.id];
    auto& index = f.account ? account_index : unattributed_index;
    const auto [slot, added] = index.emplace(f.account ? std::string_view(*f.account) : f.subscriber, subscribers.size());
    if (added) subscribers.emplace_back();
    auto& sub = subscribers[slot->second];
    if (f.last_detection >= from) {  // detected in the period
      sub.detected = true;
      sub.attributed = f.account.has_value();
      for (const auto& d : f.detectors) sub.detectors |= detector_bits.bit(d);
      if (f.exempt) sub.exempt = true;
      if (f.account && !f.exempt) sub.notifiable = true;
      if (s.first_notice_sent) {
        sub.notified = true;
        sub.channels |= s.channels;
        notify_seconds.push_back(seconds_between(f.first_detection, *s.first_notice_sent));
        if (*s.first_notice_sent - f.first_detection <= kDay) sub.within_24h = true;
      }
      if (s.notice_failed) sub.notice_failed = true;
      if (s.walled) sub.walled = true;
      if (s.acknowledged) sub.acknowledged = true;
      if (s.remediation_start) {
        sub.remediated = true;
        remediate_seconds.push_back(seconds_between(f.first_detection, *s.remediation_start));
      }
    }
    if (s.resolved_at && *s.resolved_at >= from) {
      sub.resolved = true;
      const auto next = first_redetection.find(f.id);
      if (next != first_redetection.end()) {
        if (next->second - *s.resolved_at <= 30 * kDay) sub.reinfected_30d = true;
        if (next->second - *s.resolved_at <= 90 * kDay) sub.reinfected_90d = true;
      }
    }
    if (s.state_at_end && incident::is_open(*s.state_at_end) && f.opened_at < to) {
      ++r.open_by_state[std::string(incident::to_string(*s.state_at_end))];
      ++r.open_total;
      const Micros age = std::max<Micros>(0, as_of - f.opened_at);
      const std::size_t bucket = age < kDay ? 0 : age < 7 * kDay ? 1 : age < 30 * kDay ? 2 : 3;
      ++r.open_by_age[bucket];
    }
  }

  for (const auto& sub : subscribers) {
    if (sub.detected) {
      ++r.subscribers_detected;
      ++(sub.attributed ? r.attributed : r.unattributed);
      detector_bits.count(sub.detectors, r.detected_by_detector);
      r.exempt += sub.exempt;
      r.notifiable += sub.notifiable;
      r.notified += sub.notified;
      channel_bits.count(sub.channels, r.notified_by_channel);
      r.notified_within_24h += sub.within_24h;
      r.notice_failed += sub.notice_failed && !sub.notified;
      r.walled += sub.walled;
      r.acknowledged += sub.acknowledged;
      r.remediated += sub.remediated;
    }
    r.resolved += sub.resolved;
    r.reinfected_30d += sub.resolved && sub.reinfected_30d;
    r.reinfected_90d += sub.resolved && sub.reinfected_90d;
  }
  r.infected_share = share(r.attributed, r.subscriber_base);
  r.notified_share = share(r.notified, r.notifiable);
  r.notified_within_24h_share = share(r.notified_within_24h, r.notifiable);
  r.remediated_share = share(r.remediated, r.subscribers_detected);
  r.reinfection_rate_30d = share(r.reinfected_30d, r.resolved);
  r.reinfection_rate_90d = share(r.reinfected_90d, r.resolved);
  r.time_to_notify = distribution_of(std::move(notify_seconds));
  r.time_to_remediate = distribution_of(std::move(remediate_seconds));

  // Local days of the period, each with its detections and notices.
  std::map<std::string, DayFigures> days;
  for (auto day = zone.local_day(from); zone.start_of(day) < to; day = year_month_day{sys_days(day) + std::chrono::days{1}}) {
    const auto date = format_date(day);
    days[date].date = date;
  }
  const auto slot_day = [&](std::int64_t slot) { return format_date(zone.local_day(slot * kSlotSeconds * kMicrosPerSecond)); };
  for (const auto& [slot, count] : source.detections_per_slot(from, to)) days[slot_day(slot)].detections += count;
  for (const auto& [slot, count] : notices_per_slot) days[slot_day(slot)].notices_sent += count;
  for (auto& [date, figures] : days) {
    figures.date = date;
    r.daily.push_back(figures);
  }
  return r;
}

}  // namespace botwarden::report
