// A known month of history (November 2026), written through the real store
// and incident manager, with every figure of its report worked out by hand
// in test_report.cpp. Shared by the unit tests and the browser test's seeder.
#pragma once
#include <string>

#include "notifier/incident/manager.hpp"
#include "notifier/store/sqlite_store.hpp"

namespace botwarden::testing {

inline constexpr Micros kHour = 3600LL * kMicrosPerSecond;
inline constexpr Micros kDay = 24 * kHour;
inline Micros at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

class ReportHistory {
 public:
  explicit ReportHistory(const std::string& path) : store_(path), manager_(store_, policy()) {}

  static incident::Policy policy() {
    incident::Policy p;
    p.walled_garden_after_hours = 72;
    p.acknowledge_grace_hours = 1;
    p.monitoring_days = 14;
    p.self_release_limit = 2;
    return p;
  }

  // Writes the whole history; see the timeline in the body.
  void write() {
    for (const char* id : {"a01", "a02", "a04", "a05", "a06", "a07", "a08", "a09", "a10"}) account(id, false);
    account("a03", true);  // carol: exempt
    const Micros nov1 = at("2026-11-01T00:00:00Z");
    for (const char* id : {"a01", "a02", "a04", "a05", "a06", "a07", "a08", "a09", "a10"}) {
      lease("100.64.0." + std::to_string(std::stoi(id + 1)), id, at("2026-09-01T00:00:00Z"), mapping::kOpenEnd);
    }
    lease("100.64.1.3", "a03", at("2026-09-01T00:00:00Z"), nov1 + 10 * kDay);  // carol: two leases, one subscriber
    lease("100.64.2.3", "a03", nov1 + 10 * kDay, mapping::kOpenEnd);
    lease("100.64.3.1", "gone", at("2026-08-01T00:00:00Z"), at("2026-10-15T00:00:00Z"));  // not in November's base
    lease("100.64.3.2", "newbie", at("2026-11-20T00:00:00Z"), mapping::kOpenEnd);

    // erin: infected in October, resolved on Nov 4, re-detected on Dec 20.
    const auto erin = detect("a05", "100.64.0.5", "bad_helo", "2026-10-20T08:00:00Z");
    notice(erin, "a05", "email", "first", "2026-10-20T09:00:00Z", true);
    self_release(erin, "2026-10-21T08:00:00Z");
    tick("2026-10-21T09:00:00Z");  // -> monitoring
    // alice: notified after 2 h, self-release, resolved on Nov 17, re-detected on Nov 25.
    const auto alice = detect("a01", "100.64.0.1", "bad_helo", "2026-11-02T10:00:00Z");
    notice(alice, "a01", "email", "first", "2026-11-02T12:00:00Z", true);
    self_release(alice, "2026-11-03T10:00:00Z");
    tick("2026-11-03T11:00:00Z");  // alice -> monitoring
    tick("2026-11-04T09:00:00Z");  // erin -> resolved
    // bob: notified after 25 h, walled, self-release, reinfected in monitoring, escalated.
    const auto bob = detect("a02", "100.64.0.2", "direct_to_mx", "2026-11-05T08:00:00Z");
    detect("a02", "100.64.0.2", "snowshoe", "2026-11-05T09:00:00Z");
    notice(bob, "a02", "email", "first", "2026-11-06T09:00:00Z", true);
    detect("a03", "100.64.1.3", "bad_helo", "2026-11-07T12:00:00Z");  // carol (exempt)
    detect(std::nullopt, "198.51.100.9", "snowshoe", "2026-11-08T12:00:00Z");
    detect("a02", "100.64.0.2", "direct_to_mx", "2026-11-09T10:00:00Z");  // past the wall deadline
    detect(std::nullopt, "2001:db8:9::/64", "bad_helo", "2026-11-09T12:00:00Z");
    const auto dave = detect("a04", "100.64.0.4", "bad_helo", "2026-11-10T08:00:00Z");
    notice(dave, "a04", "email", "first", "2026-11-10T08:30:00Z", false);  // the mail server refused it
    self_release(bob, "2026-11-10T12:00:00Z");
    tick("2026-11-10T13:00:00Z");  // bob -> monitoring
    detect("a02", "100.64.0.2", "direct_to_mx", "2026-11-12T10:00:00Z");  // bob -> reinfected
    operator_action(bob, incident::Action::operator_escalate, "2026-11-13T10:00:00Z");
    const auto frank = detect("a06", "100.64.0.6", "bad_helo", "2026-11-14T10:00:00Z");
    notice(frank, "a06", "sms", "first", "2026-11-14T10:30:00Z", true);
    tick("2026-11-17T11:00:00Z");  // alice -> resolved
    operator_action(frank, incident::Action::operator_close, "2026-11-20T10:00:00Z");
    const auto alice2 = detect("a01", "100.64.0.1", "bad_helo", "2026-11-25T10:00:00Z");
    notice(alice2, "a01", "email", "first", "2026-11-26T10:00:00Z", true);
    const auto grace = detect("a07", "100.64.0.7", "direct_to_mx", "2026-11-28T23:30:00Z");
    notice(grace, "a07", "email", "first", "2026-12-01T01:00:00Z", true);  // after November
    detect("a05", "100.64.0.5", "bad_helo", "2026-12-20T10:00:00Z");     // erin again
  }

  store::SqliteStore& store() { return store_; }

 private:
  void account(const std::string& id, bool exempt) {
    mapping::Account a;
    a.id = id;
    a.email = id + "@example.net";
    a.exempt = exempt;
    store_.upsert_account(a);
  }
  void lease(const std::string& address, const std::string& account, Micros start, Micros end) {
    mapping::Lease l;
    l.prefix = *Prefix::parse(address + "/32");
    l.start = start;
    l.end = end;
    l.account = account;
    l.source = "static";
    l.source_key = address + "@" + std::to_string(start);
    store_.upsert_lease(l);
  }
  store::IncidentId detect(const std::optional<std::string>& account, const std::string& subscriber,
                           const std::string& detector, const char* when) {
    const Micros ts = at(when);
    char id[33];
    std::snprintf(id, sizeof id, "%032x", next_event_++);
    const auto incident = manager_.on_detection({id, subscriber, account, detector, ts, false}, ts);
    store::EventRecord e;
    e.id = id;
    e.json = "{}";
    e.subscriber = subscriber;
    e.detector = detector;
    e.sensor = "sensor-1";
    e.ts = ts;
    e.received_at = ts;
    e.incident_id = incident;
    store_.insert_event(e);
    return incident;
  }
  void notice(store::IncidentId incident, const std::string& account, const std::string& channel,
              const std::string& stage, const char* when, bool sent) {
    const Micros t = at(when);
    store::NoticeRecord n;
    n.incident_id = incident;
    n.account = account;
    n.channel = channel;
    n.stage = stage;
    n.language = "en";
    n.to = account + "@example.net";
    n.subject = "Your connection sends spam";
    n.body = "...";
    n.created_at = t;
    n.next_attempt_at = t;
    const auto id = store_.enqueue_notice(n);
    if (sent) {
      store_.mark_notice_sent(*id, t);
      manager_.record_notice_sent(incident, t);
    } else {
      store_.mark_notice_failed(*id, "550 5.1.1 mailbox unknown", t);
    }
  }
  void self_release(store::IncidentId incident, const char* when) {
    manager_.acknowledge_by_token(store_.find_incident(incident)->token, at(when));
  }
  void operator_action(store::IncidentId incident, incident::Action action, const char* when) {
    manager_.apply(incident, action, {"olga", incident::ActorKind::operator_}, "test", at(when));
  }
  void tick(const char* when) { manager_.tick(at(when)); }

  store::SqliteStore store_;
  incident::IncidentManager manager_;
  int next_event_ = 0;
};

}  // namespace botwarden::testing
