// The notifier's storage interface, grouped by use. SqliteStore
// (sqlite_store.hpp) implements it; another database could stand behind it.
// Stable interface: methods are added, never changed (notices, enforce, web
// and report code build on it).
//
// Thread safety: every method is safe to call from several threads; a
// transaction() holds the store for the duration of its function.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "notifier/incident/lifecycle.hpp"
#include "notifier/mapping/lease.hpp"
#include "sensor/common/ip.hpp"
#include "sensor/common/time.hpp"

namespace botwarden::store {

using IncidentId = std::int64_t;
using NoticeId = std::int64_t;

// Any failure of the database (I/O, corruption, constraint): the message
// names the operation and carries the database's own text.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ---- events -----------------------------------------------------------------
// One accepted detection event (docs/schemas/detection-event.v1.json), kept as
// the JSON it arrived in plus the columns that are queried.
struct EventRecord {
  std::string id;                          // 32 hex digits, unique
  std::string json;                        // the event as received (evidence purged after retention_days)
  std::string subscriber;                  // "192.0.2.7" or "2001:db8:1:2::/64"
  std::string detector;                    // bad_helo | direct_to_mx | snowshoe
  std::string sensor;
  Micros ts = 0;                           // event time (capture time)
  Micros received_at = 0;                  // when the notifier accepted it
  std::optional<IncidentId> incident_id;   // the incident it was counted in
  bool evidence_purged = false;
};

// ---- incidents ----------------------------------------------------------------
struct IncidentRecord {
  IncidentId id = 0;
  std::optional<std::string> account;       // nullopt: unattributed (no lease matched)
  std::string subscriber;                   // subscriber of the first detection
  incident::State state = incident::State::detected;
  Micros opened_at = 0;
  std::optional<Micros> closed_at;          // set when resolved
  Micros state_since = 0;                   // when the current state was entered
  Micros first_detection = 0;               // earliest event ts
  Micros last_detection = 0;                // latest event ts
  std::vector<std::string> detectors;       // sorted, distinct
  std::int64_t detection_count = 0;
  std::optional<Micros> first_notice_at;    // first notice of the current notice path (wall deadline counts from it)
  std::int64_t self_releases = 0;           // subscriber self-releases of this incident
  std::optional<IncidentId> linked_incident;// the resolved incident this one re-detects
  std::string token;                        // random (libsodium), 32 hex chars: the cleanup link
  bool exempt = false;                      // recorded, never notified

  // Open incidents are keyed by account, or by subscriber when unattributed.
  std::string key() const { return account ? "account:" + *account : "subscriber:" + subscriber; }
};

struct IncidentFilter {
  std::optional<incident::State> state;
  std::optional<std::string> account;
  bool open_only = false;
  std::size_t limit = 1000;
  std::size_t offset = 0;
};

// The append-only audit log: one row per transition or human action.
struct TransitionRecord {
  std::int64_t id = 0;
  IncidentId incident_id = 0;
  std::optional<incident::State> from;      // nullopt when the incident was opened
  incident::State to = incident::State::detected;
  std::string action;                       // incident::Action name, or "opened"
  std::string actor;                        // "botwarden", the operator's name, the subscriber's account
  incident::ActorKind actor_kind = incident::ActorKind::system;
  std::string reason;
  Micros at = 0;
};

// ---- notices outbox -------------------------------------------------------------
enum class NoticeStatus : std::uint8_t { queued, sending, sent, failed };
std::string_view to_string(NoticeStatus s);
std::optional<NoticeStatus> parse_notice_status(std::string_view text);

struct NoticeRecord {
  NoticeId id = 0;
  IncidentId incident_id = 0;
  std::string account;
  std::string channel;        // "email", ...
  std::string stage;          // e.g. "first", "reminder", "walled_garden" (the notices code names them)
  std::string language;       // "en", ...
  std::string to;
  std::string subject;
  std::string body;
  NoticeStatus status = NoticeStatus::queued;
  std::int64_t attempts = 0;
  Micros next_attempt_at = 0;
  std::string last_error;
  Micros created_at = 0;
  std::optional<Micros> sent_at;
};

struct NoticeFilter {
  std::optional<IncidentId> incident_id;
  std::optional<NoticeStatus> status;
  std::size_t limit = 1000;
};

// ---- retention -------------------------------------------------------------------
struct PurgeResult {
  std::int64_t events_purged = 0;  // events whose evidence was removed
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `work` in one transaction: all or nothing; nested calls join the
  // outer one. An exception from `work` rolls back and is rethrown.
  virtual void transaction(const std::function<void()>& work) = 0;

  // ---- events
  // false (and nothing changed) when an event with this id is already stored.
  virtual bool insert_event(const EventRecord& event) = 0;
  virtual bool has_event(std::string_view id) = 0;
  virtual std::optional<EventRecord> find_event(std::string_view id) = 0;
  virtual std::vector<EventRecord> events_of_incident(IncidentId id, std::size_t limit = 1000) = 0;
  virtual std::int64_t count_events() = 0;

  // ---- accounts and leases
  virtual void upsert_account(const mapping::Account& account) = 0;
  virtual std::optional<mapping::Account> find_account(std::string_view id) = 0;
  virtual std::vector<mapping::Account> list_accounts() = 0;
  // Inserts, or replaces the lease with the same (source, source_key).
  // Returns true when it was new.
  virtual bool upsert_lease(const mapping::Lease& lease) = 0;
  virtual std::int64_t count_leases() = 0;
  // Who held `subscriber` at `t`: among leases whose prefix contains the
  // whole subscriber prefix (a /32 for an IPv4 address, a /64 for IPv6) and
  // start <= t < end, the longest prefix wins, then the latest start.
  virtual std::optional<mapping::Lease> lookup_lease(const Prefix& subscriber, Micros t) = 0;
  // The leases of `account` with start <= t < end (each prefix once: the
  // latest start), whether or not another lease has taken the prefix over
  // since; callers that act on an address confirm it with lookup_lease.
  virtual std::vector<mapping::Lease> leases_of_account(std::string_view account, Micros t) = 0;

  // ---- incidents, transitions, audit
  // Returns the new id; `incident.id` is ignored.
  virtual IncidentId insert_incident(const IncidentRecord& incident) = 0;
  virtual void update_incident(const IncidentRecord& incident) = 0;
  virtual std::optional<IncidentRecord> find_incident(IncidentId id) = 0;
  virtual std::optional<IncidentRecord> find_incident_by_token(std::string_view token) = 0;
  // The open (not resolved) incident for IncidentRecord::key(), if any.
  virtual std::optional<IncidentRecord> find_open_incident(std::string_view key) = 0;
  // The most recent resolved incident for the key (to link a re-detection).
  virtual std::optional<IncidentRecord> find_latest_resolved_incident(std::string_view key) = 0;
  virtual std::vector<IncidentRecord> list_incidents(const IncidentFilter& filter) = 0;
  virtual std::int64_t count_incidents(const IncidentFilter& filter) = 0;
  virtual void append_transition(const TransitionRecord& transition) = 0;
  virtual std::vector<TransitionRecord> transitions_of(IncidentId id) = 0;
  // Subscriber self-releases of this account's incidents at or after `since`.
  virtual std::int64_t count_self_releases(std::string_view account, Micros since) = 0;

  // ---- notices outbox
  // nullopt (nothing changed) when a notice for the same incident, channel
  // and stage exists already: enqueueing is idempotent.
  virtual std::optional<NoticeId> enqueue_notice(const NoticeRecord& notice) = 0;
  // Claims up to `limit` notices due at `now` (queued, or sending with an
  // expired claim): status -> sending, attempts + 1, next_attempt_at ->
  // now + claim_timeout, so a sender that dies has its notices retried.
  virtual std::vector<NoticeRecord> claim_due_notices(Micros now, std::size_t limit, Micros claim_timeout) = 0;
  virtual void mark_notice_sent(NoticeId id, Micros at) = 0;
  virtual void mark_notice_failed(NoticeId id, std::string_view error, Micros at) = 0;  // permanent
  virtual void mark_notice_retry(NoticeId id, std::string_view error, Micros next_attempt_at) = 0;
  virtual std::optional<NoticeRecord> find_notice(NoticeId id) = 0;
  virtual std::vector<NoticeRecord> list_notices(const NoticeFilter& filter) = 0;
  // How many notices list_notices(filter) would give without its limit (one
  // COUNT: /metrics asks every scrape, listing 150 k rows took 0.3 s).
  virtual std::int64_t count_notices(const NoticeFilter& filter) = 0;

  // ---- retention and backup
  // Removes evidence (sample HELOs, destinations, MAIL FROM domains, address)
  // from events with ts < cutoff; keeps ids, counts, timestamps.
  virtual PurgeResult purge_evidence_before(Micros cutoff) = 0;
  // A consistent copy of the whole database to `path` (online).
  virtual void backup_to(const std::string& path) = 0;
};

}  // namespace botwarden::store
