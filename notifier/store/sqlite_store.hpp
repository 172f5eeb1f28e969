// The SQLite implementation of store::Store: one database file in WAL mode
// with synchronous=FULL (an accepted event is on disk before the answer),
// numbered schema migrations applied at open, prepared statements with bound
// parameters only.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "notifier/store/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace botwarden::store {

class SqliteStore final : public Store {
 public:
  // Opens (creating when absent) and migrates the database. Throws StoreError.
  explicit SqliteStore(const std::string& path, int busy_timeout_ms = 5000);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // The schema version this program writes, and the one the file has.
  static int latest_schema_version();
  int schema_version();
  const std::string& path() const { return path_; }

  void transaction(const std::function<void()>& work) override;

  bool insert_event(const EventRecord& event) override;
  bool has_event(std::string_view id) override;
  std::optional<EventRecord> find_event(std::string_view id) override;
  std::vector<EventRecord> events_of_incident(IncidentId id, std::size_t limit = 1000) override;
  std::int64_t count_events() override;

  void upsert_account(const mapping::Account& account) override;
  std::optional<mapping::Account> find_account(std::string_view id) override;
  std::vector<mapping::Account> list_accounts() override;
  bool upsert_lease(const mapping::Lease& lease) override;
  std::int64_t count_leases() override;
  std::optional<mapping::Lease> lookup_lease(const Prefix& subscriber, Micros t) override;
  std::vector<mapping::Lease> leases_of_account(std::string_view account, Micros t) override;

  IncidentId insert_incident(const IncidentRecord& incident) override;
  void update_incident(const IncidentRecord& incident) override;
  std::optional<IncidentRecord> find_incident(IncidentId id) override;
  std::optional<IncidentRecord> find_incident_by_token(std::string_view token) override;
  std::optional<IncidentRecord> find_open_incident(std::string_view key) override;
  std::optional<IncidentRecord> find_latest_resolved_incident(std::string_view key) override;
  std::vector<IncidentRecord> list_incidents(const IncidentFilter& filter) override;
  std::int64_t count_incidents(const IncidentFilter& filter) override;
  void append_transition(const TransitionRecord& transition) override;
  std::vector<TransitionRecord> transitions_of(IncidentId id) override;
  std::int64_t count_self_releases(std::string_view account, Micros since) override;

  std::optional<NoticeId> enqueue_notice(const NoticeRecord& notice) override;
  std::vector<NoticeRecord> claim_due_notices(Micros now, std::size_t limit, Micros claim_timeout) override;
  void mark_notice_sent(NoticeId id, Micros at) override;
  void mark_notice_failed(NoticeId id, std::string_view error, Micros at) override;
  void mark_notice_retry(NoticeId id, std::string_view error, Micros next_attempt_at) override;
  std::optional<NoticeRecord> find_notice(NoticeId id) override;
  std::vector<NoticeRecord> list_notices(const NoticeFilter& filter) override;
  std::int64_t count_notices(const NoticeFilter& filter) override;

  PurgeResult purge_evidence_before(Micros cutoff) override;
  void backup_to(const std::string& path) override;

  class Statement;  // a cached prepared statement, reset after each use

 private:
  Statement prepare(const char* sql);
  void exec(const char* sql);
  void migrate();
  [[noreturn]] void fail(std::string_view what) const;

  std::string path_;
  sqlite3* db_ = nullptr;
  std::recursive_mutex mutex_;
  int transaction_depth_ = 0;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace botwarden::store
