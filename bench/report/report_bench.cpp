// Report benchmark: seeds a store with a year of history for 1 million
// accounts (1.5 % infected a month, realistic notices and transitions)
// directly with SQL in a temporary file, then times the year and month
// reports beside a reference (one full scan of the same tables).
//   botwarden-report-bench [--accounts N] [--keep FILE] [--reuse FILE]
// --keep leaves the seeded database in FILE; --reuse reports on one seeded before.
// Budget (issue #10): a year's report for 1 M accounts in <= 3 s.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>

#include "notifier/report/report_format.hpp"
#include "notifier/report/sqlite_report_source.hpp"
#include "notifier/store/sqlite_store.hpp"

using namespace botwarden;

namespace {

constexpr Micros kMinute = 60 * kMicrosPerSecond, kHour = 60 * kMinute, kDay = 24 * kHour;

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "report-bench: %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

struct Insert {
  sqlite3* db;
  sqlite3_stmt* stmt = nullptr;
  Insert(sqlite3* d, const char* sql) : db(d) { check(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), db, sql); }
  ~Insert() { sqlite3_finalize(stmt); }
  Insert& i(int col, std::int64_t v) { check(sqlite3_bind_int64(stmt, col, v), db, "bind"); return *this; }
  Insert& n(int col) { check(sqlite3_bind_null(stmt, col), db, "bind"); return *this; }
  Insert& t(int col, const std::string& v) {
    check(sqlite3_bind_text(stmt, col, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT), db, "bind");
    return *this;
  }
  Insert& b(int col, const unsigned char* p, int size) {
    check(sqlite3_bind_blob(stmt, col, p, size, SQLITE_TRANSIENT), db, "bind");
    return *this;
  }
  void run() {
    check(sqlite3_step(stmt), db, "step");
    sqlite3_reset(stmt);
  }
};

std::string address(std::uint32_t n) {
  return std::to_string(10 + (n >> 24 & 0x3f)) + "." + std::to_string(n >> 16 & 255) + "." +
         std::to_string(n >> 8 & 255) + "." + std::to_string(n & 255);
}

struct Seeded {
  std::int64_t leases = 0, incidents = 0, transitions = 0, notices = 0, events = 0;
};

Seeded seed(const std::string& path, int accounts) {
  { store::SqliteStore schema(path); }  // the real schema and migrations
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db), db, "open");
  check(sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN", nullptr, nullptr, nullptr), db, "begin");
  std::mt19937_64 rng(20261125);
  const auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  const Micros year = *parse_rfc3339("2026-01-01T00:00:00Z");
  const Micros year_end = *parse_rfc3339("2027-01-01T00:00:00Z");
  Seeded s;

  Insert account(db, "INSERT INTO accounts (id, email, language, business, exempt, name) VALUES (?1, ?2, 'en', 0, ?3, '')");
  Insert lease(db,
               "INSERT INTO leases (family, prefix_length, network, prefix, start, end, account, source, source_key) "
               "VALUES (4, 32, ?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  std::uint32_t next_address = 0;
  const auto add_lease = [&](const std::string& id, Micros start, Micros end, const char* source) {
    const std::uint32_t a = next_address++;
    const unsigned char blob[4] = {static_cast<unsigned char>(10 + (a >> 24 & 0x3f)), static_cast<unsigned char>(a >> 16),
                                   static_cast<unsigned char>(a >> 8), static_cast<unsigned char>(a)};
    lease.b(1, blob, 4).t(2, address(a) + "/32").i(3, start).i(4, end).t(5, id).t(6, source).t(7, address(a) + "@" + std::to_string(start)).run();
    ++s.leases;
  };
  std::vector<std::string> ids;
  ids.reserve(static_cast<std::size_t>(accounts));
  for (int n = 0; n < accounts; ++n) {
    char id[16];
    std::snprintf(id, sizeof id, "c%07d", n);
    ids.emplace_back(id);
    account.t(1, id).t(2, std::string(id) + "@example.net").i(3, chance(0.001) ? 1 : 0).run();
    if (chance(0.7)) {
      add_lease(id, year - 200 * kDay, mapping::kOpenEnd, "static");
    } else {  // DHCP: three leases over the year
      const Micros a = year + uniform(0, 120) * kDay, b = a + uniform(60, 120) * kDay;
      add_lease(id, year - 30 * kDay, a, "kea4");
      add_lease(id, a, b, "kea4");
      add_lease(id, b, mapping::kOpenEnd, "kea4");
    }
  }

  Insert incident(db,
                  "INSERT INTO incidents (account, subscriber, incident_key, state, opened_at, closed_at, state_since, "
                  "first_detection, last_detection, detectors, detection_count, first_notice_at, self_releases, "
                  "linked_incident, token, exempt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0, ?13, ?14, ?15)");
  Insert transition(db,
                    "INSERT INTO transitions (incident_id, from_state, to_state, action, actor, actor_kind, reason, at) "
                    "VALUES (?1, ?2, ?3, ?4, 'botwarden', ?5, '', ?6)");
  Insert notice(db,
                "INSERT INTO notices (incident_id, account, channel, stage, language, recipient, subject, body, status, "
                "attempts, next_attempt_at, last_error, created_at, sent_at) VALUES (?1, ?2, 'email', ?3, 'en', 'x', "
                "'Your connection sends spam', 'body', ?4, 1, ?5, '', ?5, ?6)");
  Insert event(db,
               "INSERT INTO events (id, json, subscriber, detector, sensor, ts, received_at, incident_id) "
               "VALUES (?1, '{}', ?2, ?3, 'sensor-1', ?4, ?4, ?5)");
  const char* detectors[] = {"bad_helo", "direct_to_mx", "snowshoe"};

  // 1.5 % of accounts a month, in time order so ids grow with time.
  const std::int64_t per_month = accounts * 15 / 1000;
  std::vector<std::pair<Micros, std::int64_t>> starts;  // (first detection, account index or -1)
  for (int month = 0; month < 12; ++month) {
    const Micros m0 = year + month * 30 * kDay + (month * 5 * kDay) / 12;
    for (std::int64_t k = 0; k < per_month; ++k) {
      starts.emplace_back(m0 + uniform(0, 30 * kDay - 1), chance(0.1) ? -1 : uniform(0, accounts - 1));
    }
  }
  std::sort(starts.begin(), starts.end());
  std::int64_t event_counter = 0;
  std::int64_t last_resolved_id = 0;
  for (const auto& [first, who] : starts) {
    const bool attributed = who >= 0;
    const std::string subscriber = attributed ? "acct" : address(static_cast<std::uint32_t>(uniform(0, 1 << 24)) | 0x3f000000u);
    const std::string key = attributed ? "account:" + ids[static_cast<std::size_t>(who)] : "subscriber:" + subscriber;
    const bool exempt = attributed && chance(0.02);
    const int detections = 1 + static_cast<int>(uniform(0, 6));
    const Micros last = first + uniform(0, 4 * kDay);
    // The path: (state, action, at)
    struct Step { const char* to; const char* action; Micros at; const char* kind; };
    std::vector<Step> steps{{"detected", "opened", first, "system"}};
    std::optional<Micros> sent;
    bool failed = false;
    std::optional<Micros> closed;
    if (attributed && !exempt) {
      if (chance(0.03)) failed = true;
      else {
        sent = first + uniform(10 * kMinute, 30 * kHour);
        steps.push_back({"notified", "notice_sent", *sent, "system"});
        if (chance(0.2)) steps.push_back({"walled_garden", "wall_deadline_passed", *sent + 72 * kHour, "system"});
        if (chance(0.03)) {
          steps.push_back({"escalated", "operator_escalate", *sent + uniform(1, 96) * kHour, "operator"});
        } else if (chance(0.88)) {
          const Micros ack = *sent + uniform(1, 120) * kHour;
          const bool self = chance(0.8);
          steps.push_back({"acknowledged", self ? "subscriber_acknowledged" : "operator_release", ack, self ? "subscriber" : "operator"});
          steps.push_back({"monitoring", "grace_period_passed", ack + kHour, "system"});
          steps.push_back({"resolved", "monitoring_period_passed", ack + kHour + 14 * kDay, "system"});
        }
      }
    }
    while (!steps.empty() && steps.back().at >= year_end) steps.pop_back();
    if (std::strcmp(steps.back().to, "resolved") == 0) closed = steps.back().at;
    const bool link = last_resolved_id > 0 && chance(0.05);
    char token[40];
    std::snprintf(token, sizeof token, "%032llx", static_cast<unsigned long long>(s.incidents + 1));
    incident.n(1);
    if (attributed) incident.t(1, ids[static_cast<std::size_t>(who)]);
    incident.t(2, subscriber).t(4, steps.back().to)
        .i(5, first).i(7, steps.back().at).i(8, first).i(9, last).t(10, detectors[s.incidents % 3]).i(11, detections)
        .t(14, token).i(15, exempt ? 1 : 0);
    if (closed) incident.i(6, *closed); else incident.n(6);
    if (sent) incident.i(12, *sent); else incident.n(12);
    if (link) incident.i(13, last_resolved_id); else incident.n(13);
    // Open incidents share a key only once (the partial unique index): give
    // every synthetic incident its own key when it is open too.
    incident.t(3, key + "#" + std::to_string(s.incidents));
    incident.run();
    const std::int64_t id = sqlite3_last_insert_rowid(db);
    ++s.incidents;
    if (closed) last_resolved_id = id;
    const char* from = nullptr;
    for (const auto& step : steps) {
      transition.i(1, id).t(3, step.to).t(4, step.action).t(5, step.kind).i(6, step.at);
      if (from) transition.t(2, from); else transition.n(2);
      transition.run();
      from = step.to;
      ++s.transitions;
    }
    if (attributed && (sent || failed)) {
      notice.i(1, id).t(2, ids[static_cast<std::size_t>(who)]).t(3, "first").t(4, sent ? "sent" : "failed")
          .i(5, sent.value_or(first + kHour));
      if (sent) notice.i(6, *sent); else notice.n(6);
      notice.run();
      ++s.notices;
    }
    for (int d = 0; d < detections; ++d) {
      char eid[40];
      std::snprintf(eid, sizeof eid, "%032llx", static_cast<unsigned long long>(event_counter++));
      event.t(1, eid).t(2, subscriber).t(3, detectors[s.incidents % 3]).i(4, first + (last - first) * d / detections).i(5, id).run();
      ++s.events;
    }
  }
  check(sqlite3_exec(db, "COMMIT; ANALYZE", nullptr, nullptr, nullptr), db, "commit");
  sqlite3_close(db);
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Times each call of the source it wraps, to show where a report spends its time.
class TimedSource final : public report::ReportSource {
 public:
  explicit TimedSource(report::ReportSource& inner) : inner_(inner) {}
  std::int64_t count_active_accounts(Micros f, Micros t) override { return timed("subscriber base", [&] { return inner_.count_active_accounts(f, t); }); }
  std::vector<report::IncidentFacts> incidents_alive(Micros f, Micros t) override { return timed("incidents", [&] { return inner_.incidents_alive(f, t); }); }
  std::vector<report::TransitionFacts> transitions(store::IncidentId m, Micros b) override { return timed("transitions", [&] { return inner_.transitions(m, b); }); }
  std::map<store::IncidentId, incident::State> states_at(const std::vector<store::IncidentId>& ids, Micros at) override { return timed("states at end", [&] { return inner_.states_at(ids, at); }); }
  std::vector<report::NoticeFacts> notices(store::IncidentId m, Micros b) override { return timed("notices", [&] { return inner_.notices(m, b); }); }
  std::vector<report::Redetection> redetections(store::IncidentId m) override { return timed("redetections", [&] { return inner_.redetections(m); }); }
  report::SlotCounts detections_per_slot(Micros f, Micros t) override { return timed("daily detections", [&] { return inner_.detections_per_slot(f, t); }); }
  std::string summary() const { return summary_; }

 private:
  template <typename F>
  auto timed(const char* what, F&& f) -> decltype(f()) {
    const auto t0 = std::chrono::steady_clock::now();
    auto result = f();
    char line[96];
    std::snprintf(line, sizeof line, "%s %.3f s; ", what, seconds_since(t0));
    summary_ += line;
    return result;
  }
  report::ReportSource& inner_;
  std::string summary_;
};

}  // namespace

int main(int argc, char** argv) {
  int accounts = 1'000'000;
  std::string keep, reuse;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--accounts") accounts = std::stoi(argv[i + 1]);
    else if (std::string(argv[i]) == "--keep") keep = argv[i + 1];
    else if (std::string(argv[i]) == "--reuse") reuse = argv[i + 1];
  }
  const std::string path = !reuse.empty() ? reuse : keep.empty() ? (std::filesystem::temp_directory_path() /
                                           ("botwarden-report-bench-" + std::to_string(::getpid()) + ".db")).string()
                                        : keep;
  auto t0 = std::chrono::steady_clock::now();
  if (reuse.empty()) {
    std::filesystem::remove(path);
    const auto s = seed(path, accounts);
    std::printf("seeded %d accounts, %lld leases, %lld incidents, %lld transitions, %lld notices, %lld events in %.1f s\n",
                accounts, static_cast<long long>(s.leases), static_cast<long long>(s.incidents),
                static_cast<long long>(s.transitions), static_cast<long long>(s.notices),
                static_cast<long long>(s.events), seconds_since(t0));
  }

  // Reference: one plain scan of every table the report reads.
  {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    t0 = std::chrono::steady_clock::now();
    for (const char* table : {"leases", "incidents", "transitions", "notices", "events"}) {
      sqlite3_stmt* stmt = nullptr;
      const std::string sql = std::string("SELECT COUNT(*) FROM ") + table;
      sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
      sqlite3_step(stmt);
      sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
  }
  const double reference = seconds_since(t0);
  std::printf("reference: COUNT(*) over leases, incidents, transitions, notices, events: %.3f s\n", reference);

  const report::TimeZone utc;
  const Micros now = *parse_rfc3339("2027-01-15T00:00:00Z");
  int status = 0;
  for (const auto& [name, from, to] : {std::tuple{"year 2026", "2026-01-01", "2026-12-31"},
                                       std::tuple{"month 2026-11", "2026-11-01", "2026-11-30"}}) {
    t0 = std::chrono::steady_clock::now();
    report::SqliteReportSource sqlite(path);
    TimedSource source(sqlite);
    const auto r = report::compute_report(source, report::make_period(from, to, std::nullopt, utc, now), utc, now);
    const double took = seconds_since(t0);
    std::printf("  %s\n", source.summary().c_str());
    std::printf("%s report: %.3f s (%.1fx reference); base %lld, detected %lld, infected %.2f %%, notified %.2f %%, "
                "median time to notify %lld s\n",
                name, took, took / reference, static_cast<long long>(r.subscriber_base),
                static_cast<long long>(r.subscribers_detected), 100.0 * r.infected_share.value_or(0),
                100.0 * r.notified_share.value_or(0), static_cast<long long>(r.time_to_notify.median_seconds.value_or(-1)));
    if (std::string(name) == "year 2026" && accounts >= 1'000'000 && took > 3.0) {
      std::printf("OVER BUDGET: the year report must take <= 3 s\n");
      status = 3;
    }
  }
  if (keep.empty() && reuse.empty()) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  return status;
}
