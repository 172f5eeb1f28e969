// The M3AAWG / CSRIC bot metrics report for a period: what it counts
// (Report), where it reads from (ReportSource, a narrow read-only view of the
// store) and how (compute_report). docs/METRICS.md defines every figure.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "notifier/incident/lifecycle.hpp"
#include "notifier/report/time_zone.hpp"
#include "notifier/store/store.hpp"
#include "sensor/common/time.hpp"

namespace botwarden::report {

// ---- what the source delivers: facts, not figures ---------------------------

// An incident that was alive during the period (first detection before its
// end, not closed before its start).
struct IncidentFacts {
  store::IncidentId id = 0;
  std::optional<std::string> account;  // nullopt: unattributed
  std::string subscriber;
  bool exempt = false;
  std::vector<std::string> detectors;
  incident::State state = incident::State::detected;  // now
  Micros state_since = 0;                             // when `state` was entered
  Micros opened_at = 0;
  Micros first_detection = 0;
  Micros last_detection = 0;
};

// Only the audit-log rows a report needs: entries (from != to) into
// walled_garden, acknowledged, resolved or escalated, and exits from resolved
// (operator_reopen). Refused actions (audited with from == to) are not entries.
struct TransitionFacts {
  store::IncidentId incident_id = 0;
  incident::State to = incident::State::detected;
  bool from_resolved = false;     // leaves resolved: a reopen
  bool self_release = false;      // action subscriber_acknowledged
  bool quiet_monitoring = false;  // action monitoring_period_passed
  Micros at = 0;
};

struct NoticeFacts {
  store::IncidentId incident_id = 0;
  std::string channel;
  store::NoticeStatus status = store::NoticeStatus::queued;
  Micros created_at = 0;
  std::optional<Micros> sent_at;
};

// A later incident of the same key that re-detects a resolved one.
struct Redetection {
  store::IncidentId resolved_incident = 0;  // IncidentRecord::linked_incident of the new one
  Micros first_detection = 0;
};

// Counts per 15-minute slot (slot = UTC seconds / 900): fine enough to
// regroup into local days of any real time zone.
inline constexpr std::int64_t kSlotSeconds = 900;
using SlotCounts = std::map<std::int64_t, std::int64_t>;

// Read-only access to what a report needs. Each call is one aggregate read.
class ReportSource {
 public:
  virtual ~ReportSource() = default;
  // Accounts holding at least one lease that overlaps [from, to).
  virtual std::int64_t count_active_accounts(Micros from, Micros to) = 0;
  // Incidents with first_detection < to and not closed before from.
  virtual std::vector<IncidentFacts> incidents_alive(Micros from, Micros to) = 0;
  // Those transitions with at < before of incidents with id >= min_incident,
  // each incident's in log order.
  virtual std::vector<TransitionFacts> transitions(store::IncidentId min_incident, Micros before) = 0;
  // The state each incident had just before `at` (its last audit-log row
  // before then); only asked for incidents whose state changed since.
  virtual std::map<store::IncidentId, incident::State> states_at(const std::vector<store::IncidentId>& ids,
                                                                 Micros at) = 0;
  // Notices of incidents with id >= min_incident created before `before`.
  virtual std::vector<NoticeFacts> notices(store::IncidentId min_incident, Micros before) = 0;
  // Incidents linked to a resolved incident with id >= min_incident.
  virtual std::vector<Redetection> redetections(store::IncidentId min_incident) = 0;
  // Detection events with from <= ts < to, per slot. (Notices sent per day
  // come from notices(): a notice is sent while its incident is open, so
  // the notices of incidents alive in the period hold all sent in it.)
  virtual SlotCounts detections_per_slot(Micros from, Micros to) = 0;
};

// ---- the period -----------------------------------------------------------------

class PeriodError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct Period {
  Micros from = 0;  // inclusive
  Micros to = 0;    // exclusive
  std::string label;  // "2026-10-01 .. 2026-10-31 (Europe/Berlin)"
};

enum class PeriodLength { day, week, month };
inline constexpr std::int64_t kMaxPeriodDays = 3660;  // ten years of daily rows at most
std::optional<PeriodLength> parse_period_length(std::string_view text);

// --from/--to as dates ("2026-10-01": local midnight in `zone`; --to names
// the last day, included) or RFC 3339 instants (--to excluded). Without
// --to, `length` (default: month) after --from. Without --from, the
// current `length` containing `now`. Throws PeriodError, word for word:
//   "--from: expected a date (2026-10-01) or an RFC 3339 time, got 'x'"
//   "--to must be after --from"
//   "the period is longer than 3660 days"
Period make_period(std::string_view from, std::string_view to, std::optional<PeriodLength> length,
                   const TimeZone& zone, Micros now);

// ---- the figures ----------------------------------------------------------------

// Duration buckets of the histograms: upper bounds in seconds, exclusive; a
// last bucket takes the rest.
inline constexpr std::array<std::int64_t, 7> kDurationBucketBounds = {
    3600, 6 * 3600, 24 * 3600, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400};
inline constexpr std::array<std::string_view, 8> kDurationBucketLabels = {
    "<1h", "1h-6h", "6h-24h", "1d-3d", "3d-7d", "7d-14d", "14d-30d", ">=30d"};
inline constexpr std::array<std::string_view, 4> kAgeBucketLabels = {"<1d", "1d-7d", "7d-30d", ">=30d"};

struct Distribution {
  std::int64_t count = 0;
  std::optional<std::int64_t> median_seconds;  // nearest rank: value at rank ceil(n/2)
  std::optional<std::int64_t> p90_seconds;     // value at rank ceil(0.9 n)
  std::array<std::int64_t, kDurationBucketLabels.size()> histogram{};
};

struct DayFigures {
  std::string date;  // local date, "2026-10-01"
  std::int64_t detections = 0;
  std::int64_t notices_sent = 0;
};

struct Report {
  Period period;
  std::string timezone;
  Micros generated_at = 0;

  std::int64_t subscriber_base = 0;
  std::int64_t subscribers_detected = 0;
  std::int64_t attributed = 0;
  std::int64_t unattributed = 0;
  std::optional<double> infected_share;  // attributed / subscriber_base
  std::map<std::string, std::int64_t> detected_by_detector;
  std::int64_t exempt = 0;
  std::int64_t notifiable = 0;  // attributed, not exempt
  std::int64_t notified = 0;
  std::map<std::string, std::int64_t> notified_by_channel;
  std::optional<double> notified_share;  // notified / notifiable
  std::int64_t notified_within_24h = 0;
  std::optional<double> notified_within_24h_share;
  std::int64_t notice_failed = 0;
  Distribution time_to_notify;
  std::int64_t walled = 0;
  std::int64_t acknowledged = 0;
  std::int64_t remediated = 0;
  std::optional<double> remediated_share;  // remediated / subscribers_detected
  Distribution time_to_remediate;
  std::int64_t resolved = 0;  // subscribers whose incident was resolved in the period
  std::int64_t reinfected_30d = 0;
  std::int64_t reinfected_90d = 0;
  std::optional<double> reinfection_rate_30d;
  std::optional<double> reinfection_rate_90d;
  std::int64_t self_releases = 0;
  std::int64_t escalations = 0;
  std::map<std::string, std::int64_t> open_by_state;  // every open state, zeros included
  std::array<std::int64_t, kAgeBucketLabels.size()> open_by_age{};
  std::int64_t open_total = 0;
  std::vector<DayFigures> daily;
};

// The target line of the notified-share chart (M3AAWG: ISPs notify > 99 %).
inline constexpr double kNotifiedShareTarget = 0.99;

Report compute_report(ReportSource& source, const Period& period, const TimeZone& zone, Micros now);

}  // namespace botwarden::report
