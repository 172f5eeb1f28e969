// ReportSource over the notifier's SQLite database, opened READ-ONLY with its
// own connection: a report never takes the writer's lock, and a bug here
// cannot change the store.
#pragma once
#include <string>

#include "notifier/report/report.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace botwarden::report {

class SqliteReportSource final : public ReportSource {
 public:
  // Throws store::StoreError when the database cannot be opened or is not a
  // botwarden database ("<path>: cannot open database read-only: ...").
  explicit SqliteReportSource(const std::string& path);
  ~SqliteReportSource() override;
  SqliteReportSource(const SqliteReportSource&) = delete;
  SqliteReportSource& operator=(const SqliteReportSource&) = delete;

  std::int64_t count_active_accounts(Micros from, Micros to) override;
  std::vector<IncidentFacts> incidents_alive(Micros from, Micros to) override;
  std::vector<TransitionFacts> transitions(store::IncidentId min_incident, Micros before) override;
  std::map<store::IncidentId, incident::State> states_at(const std::vector<store::IncidentId>& ids,
                                                         Micros at) override;
  std::vector<NoticeFacts> notices(store::IncidentId min_incident, Micros before) override;
  std::vector<Redetection> redetections(store::IncidentId min_incident) override;
  SlotCounts detections_per_slot(Micros from, Micros to) override;

 private:
  class Query;
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace botwarden::report
