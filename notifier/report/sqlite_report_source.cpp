// SqliteReportSource: one aggregate or range query per ReportSource call,
// prepared statements with bound parameters, over the store's own indexes
// (leases_account and transitions_report come from store migrations 2 and 3).
#include "sqlite_report_source.hpp"

#include <sqlite3.h>

namespace botwarden::report {

// One prepared statement for one call: bind, step, read columns, finalize.
class SqliteReportSource::Query {
 public:
  Query(SqliteReportSource& source, const char* sql) : source_(source) {
    if (sqlite3_prepare_v2(source.db_, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail("prepare");
  }
  ~Query() { sqlite3_finalize(stmt_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int i, std::int64_t v) {
    if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) fail("bind");
    return *this;
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("query");
    return false;
  }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<std::int64_t> optional_int64(int col) const {
    return is_null(col) ? std::nullopt : std::optional(int64(col));
  }
  std::string_view view(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string_view();
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw store::StoreError(source_.path_ + ": report " + what + ": " + sqlite3_errmsg(source_.db_));
  }
  SqliteReportSource& source_;
  sqlite3_stmt* stmt_ = nullptr;
};

SqliteReportSource::SqliteReportSource(const std::string& path) : path_(path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw store::StoreError(path + ": cannot open database read-only: " + message);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    // Fails early, with the database's words, when this is not a botwarden database.
    Query check(*this, "SELECT COUNT(*) FROM incidents WHERE 0");
    check.step();
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteReportSource::~SqliteReportSource() { sqlite3_close(db_); }

std::int64_t SqliteReportSource::count_active_accounts(Micros from, Micros to) {
  // GROUP BY walks leases_account (account, start, end) in order: no sort.
  Query q(*this,
          "SELECT COUNT(*) FROM (SELECT account FROM leases WHERE start < ?2 AND end > ?1 GROUP BY account)");
  q.bind(1, from).bind(2, to);
  q.step();
  return q.int64(0);
}

std::vector<IncidentFacts> SqliteReportSource::incidents_alive(Micros from, Micros to) {
  Query q(*this,
          "SELECT id, account, subscriber, exempt, detectors, opened_at, first_detection, last_detection, state, "
          "state_since "
          "FROM incidents WHERE first_detection < ?2 AND (closed_at IS NULL OR closed_at >= ?1)");
  q.bind(1, from).bind(2, to);
  std::vector<IncidentFacts> out;
  while (q.step()) {
    IncidentFacts f;
    f.id = q.int64(0);
    if (!q.is_null(1)) f.account = q.text(1);
    f.subscriber = q.text(2);
    f.exempt = q.int64(3) != 0;
    const auto text = q.text(4);
    std::string_view detectors = text;
    while (!detectors.empty()) {
      const auto comma = detectors.find(',');
      f.detectors.emplace_back(detectors.substr(0, comma));
      if (comma == std::string_view::npos) break;
      detectors.remove_prefix(comma + 1);
    }
    f.opened_at = q.int64(5);
    f.first_detection = q.int64(6);
    f.last_detection = q.int64(7);
    f.state = incident::parse_state(q.view(8)).value_or(incident::State::detected);
    f.state_since = q.int64(9);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<TransitionFacts> SqliteReportSource::transitions(store::IncidentId min_incident, Micros before) {
  // The WHERE repeats the partial index transitions_report (store migration
  // 3) word for word, so SQLite reads only that covering index.
  Query q(*this,
          "SELECT incident_id, to_state, from_state = 'resolved', action = 'subscriber_acknowledged', "
          "action = 'monitoring_period_passed', at FROM transitions "
          "WHERE incident_id >= ?1 AND at < ?2 AND from_state IS NOT to_state "
          "AND (to_state IN ('walled_garden', 'acknowledged', 'resolved', 'escalated') OR from_state = 'resolved') "
          "ORDER BY incident_id, id");
  q.bind(1, min_incident).bind(2, before);
  std::vector<TransitionFacts> out;
  while (q.step()) {
    const auto to = incident::parse_state(q.view(1));
    if (!to) continue;  // unknown state names are not counted
    out.push_back({q.int64(0), *to, q.int64(2) == 1, q.int64(3) == 1, q.int64(4) == 1, q.int64(5)});
  }
  return out;
}

std::map<store::IncidentId, incident::State> SqliteReportSource::states_at(const std::vector<store::IncidentId>& ids,
                                                                           Micros at) {
  Query q(*this, "SELECT to_state FROM transitions WHERE incident_id = ?1 AND at < ?2 ORDER BY id DESC LIMIT 1");
  std::map<store::IncidentId, incident::State> out;
  for (const auto id : ids) {
    q.reset();
    q.bind(1, id).bind(2, at);
    if (!q.step()) continue;
    if (const auto state = incident::parse_state(q.view(0))) out[id] = *state;
  }
  return out;
}

std::vector<NoticeFacts> SqliteReportSource::notices(store::IncidentId min_incident, Micros before) {
  Query q(*this,
          "SELECT incident_id, channel, status, created_at, sent_at FROM notices "
          "WHERE incident_id >= ?1 AND created_at < ?2");
  q.bind(1, min_incident).bind(2, before);
  std::vector<NoticeFacts> out;
  while (q.step()) {
    NoticeFacts n;
    n.incident_id = q.int64(0);
    n.channel = q.text(1);
    const auto status = store::parse_notice_status(q.text(2));
    if (!status) continue;
    n.status = *status;
    n.created_at = q.int64(3);
    n.sent_at = q.optional_int64(4);
    out.push_back(std::move(n));
  }
  return out;
}

std::vector<Redetection> SqliteReportSource::redetections(store::IncidentId min_incident) {
  // A re-detection is opened after the incident it links to: id > min_incident.
  Query q(*this,
          "SELECT linked_incident, first_detection FROM incidents "
          "WHERE id > ?1 AND linked_incident IS NOT NULL AND linked_incident >= ?1");
  q.bind(1, min_incident);
  std::vector<Redetection> out;
  while (q.step()) out.push_back({q.int64(0), q.int64(1)});
  return out;
}

namespace {
constexpr std::int64_t kSlotMicros = kSlotSeconds * kMicrosPerSecond;
}

SlotCounts SqliteReportSource::detections_per_slot(Micros from, Micros to) {
  // Walks events_ts in order and counts runs of one slot here: a GROUP BY
  // would sort every event in a temporary b-tree first.
  Query q(*this, "SELECT ts FROM events WHERE ts >= ?1 AND ts < ?2 ORDER BY ts");
  q.bind(1, from).bind(2, to);
  SlotCounts out;
  std::int64_t slot = 0, count = 0;
  while (q.step()) {
    const auto s = q.int64(0) / kSlotMicros;
    if (count > 0 && s != slot) {
      out[slot] += count;
      count = 0;
    }
    slot = s;
    ++count;
  }
  if (count > 0) out[slot] += count;
  return out;
}

}  // namespace botwarden::report
