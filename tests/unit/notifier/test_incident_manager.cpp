// The incident manager on a real (in-memory) SQLite store: incidents opened,
// moved and audited as docs/INCIDENTS.md says, over time.
#include <doctest/doctest.h>

#include "notifier/incident/manager.hpp"
#include "notifier/store/sqlite_store.hpp"

using namespace botwarden;
using namespace botwarden::incident;
using store::IncidentRecord;

namespace {
constexpr Micros kHour = 3600LL * kMicrosPerSecond;
constexpr Micros kDay = 24 * kHour;
const Micros t0 = *parse_rfc3339("2026-11-01T00:00:00Z");

struct Fixture {
  store::SqliteStore db{":memory:"};
  Policy policy = [] {
    Policy p;
    p.walled_garden_after_hours = 72;
    p.acknowledge_grace_hours = 1;
    p.monitoring_days = 14;
    p.self_release_limit = 2;
    p.exempt_accounts = {"hospital"};
    return p;
  }();
  IncidentManager manager{db, policy};
  int next_event = 0;

  store::IncidentId detect(const std::optional<std::string>& account, Micros ts, const std::string& detector = "bad_helo",
                           const std::string& subscriber = "100.64.0.7") {
    char id[33];
    std::snprintf(id, sizeof id, "%032x", next_event++);
    return manager.on_detection({id, subscriber, account, detector, ts, false}, ts);
  }
  IncidentRecord get(store::IncidentId id) { return *db.find_incident(id); }
  State state(store::IncidentId id) { return get(id).state; }
};
}  // namespace

TEST_CASE("a detection opens one incident per account and later ones update it") {
  Fixture f;
  const auto id = f.detect("alice", t0);
  CHECK(f.detect("alice", t0 + kHour, "snowshoe") == id);
  CHECK(f.detect("alice", t0 - kHour) == id);
  const auto r = f.get(id);
  CHECK(r.state == State::detected);
  CHECK(r.detection_count == 3);
  CHECK(r.first_detection == t0 - kHour);
  CHECK(r.last_detection == t0 + kHour);
  CHECK(r.detectors == std::vector<std::string>{"bad_helo", "snowshoe"});
  CHECK(r.token.size() == 32);
  CHECK(f.detect("bob", t0) != id);
  const auto log = f.db.transitions_of(id);
  REQUIRE(log.size() == 1);  // only state changes are written for the system
  CHECK(log[0].action == "opened");
  CHECK(log[0].reason == "opened by bad_helo event 00000000000000000000000000000000");
}

TEST_CASE("unattributed incidents are keyed by subscriber") {
  Fixture f;
  const auto a = f.detect(std::nullopt, t0, "bad_helo", "100.64.0.7");
  CHECK(f.detect(std::nullopt, t0, "bad_helo", "100.64.0.7") == a);
  const auto b = f.detect(std::nullopt, t0, "bad_helo", "2001:db8:1000:1::/64");
  CHECK(a != b);
  CHECK_FALSE(f.get(a).account.has_value());
  CHECK(f.get(b).subscriber == "2001:db8:1000:1::/64");
}

TEST_CASE("the whole path: notice, wall, self-release, grace, monitoring, resolved, re-detection") {
  Fixture f;
  const auto id = f.detect("alice", t0);
  CHECK(f.manager.record_notice_sent(id, t0 + kHour).to == State::notified);
  CHECK(f.get(id).first_notice_at == t0 + kHour);
  f.manager.record_notice_sent(id, t0 + 2 * kHour);  // a reminder does not move the deadline
  CHECK(f.get(id).first_notice_at == t0 + kHour);
  f.detect("alice", t0 + 72 * kHour);  // before first notice + 72 h
  CHECK(f.state(id) == State::notified);
  f.detect("alice", t0 + 73 * kHour);  // at the deadline
  CHECK(f.state(id) == State::walled_garden);

  const auto ack = f.manager.acknowledge_by_token(f.get(id).token, t0 + 80 * kHour);
  REQUIRE(ack.has_value());
  CHECK(ack->applied);
  CHECK(ack->to == State::acknowledged);
  CHECK_FALSE(f.manager.acknowledge_by_token("nope", t0).has_value());
  f.detect("alice", t0 + 80 * kHour + 1);  // grace: in-flight evidence
  CHECK(f.state(id) == State::acknowledged);

  CHECK(f.manager.tick(t0 + 81 * kHour - 1).total() == 0);
  auto tick = f.manager.tick(t0 + 81 * kHour);
  CHECK(tick.transitions["grace_period_passed"] == 1);
  CHECK(f.state(id) == State::monitoring);
  CHECK(f.manager.tick(t0 + 81 * kHour).total() == 0);  // idempotent

  f.detect("alice", t0 + 80 * kHour + 2);  // late delivery of evidence from before monitoring
  CHECK(f.state(id) == State::monitoring);
  CHECK(f.manager.tick(t0 + 81 * kHour + 14 * kDay - 1).total() == 0);
  tick = f.manager.tick(t0 + 81 * kHour + 14 * kDay);
  CHECK(tick.transitions["monitoring_period_passed"] == 1);
  auto resolved = f.get(id);
  CHECK(resolved.state == State::resolved);
  CHECK(resolved.closed_at == t0 + 81 * kHour + 14 * kDay);

  const auto next = f.detect("alice", t0 + 100 * kDay);
  CHECK(next != id);
  CHECK(f.get(next).linked_incident == id);
  CHECK(f.get(next).token != resolved.token);

  std::vector<std::string> path;
  for (const auto& t : f.db.transitions_of(id)) path.push_back(std::string(to_string(t.to)) + " by " + t.action);
  CHECK(path == std::vector<std::string>{"detected by opened", "notified by notice_sent",
                                         "walled_garden by wall_deadline_passed",
                                         "acknowledged by subscriber_acknowledged",
                                         "monitoring by grace_period_passed", "resolved by monitoring_period_passed"});
  const auto log = f.db.transitions_of(id);
  CHECK(log[3].actor == "alice");
  CHECK(log[3].actor_kind == ActorKind::subscriber);
}

TEST_CASE("a detection during monitoring is a reinfection, back into the notice path") {
  Fixture f;
  const auto id = f.detect("alice", t0);
  f.manager.record_notice_sent(id, t0);
  f.manager.apply(id, Action::operator_release, {"olga", ActorKind::operator_}, "cleaned on the phone", t0 + kHour);
  f.manager.tick(t0 + 2 * kHour);
  REQUIRE(f.state(id) == State::monitoring);
  f.detect("alice", t0 + 3 * kHour);
  CHECK(f.state(id) == State::reinfected);
  CHECK_FALSE(f.get(id).first_notice_at.has_value());
  f.manager.record_notice_sent(id, t0 + 4 * kHour);
  CHECK(f.state(id) == State::notified);
  CHECK(f.get(id).first_notice_at == t0 + 4 * kHour);  // a new deadline
  f.detect("alice", t0 + 75 * kHour);
  CHECK(f.state(id) == State::notified);
  f.detect("alice", t0 + 76 * kHour);
  CHECK(f.state(id) == State::walled_garden);
}

TEST_CASE("the self-release limit counts the account's self-releases in the last 30 days") {
  Fixture f;
  Micros t = t0;
  using store::IncidentFilter;
  const auto wall_and_ack = [&]() {
    const auto id = f.detect("alice", t);
    f.manager.record_notice_sent(id, t);
    f.detect("alice", t + 72 * kHour);
    REQUIRE(f.state(id) == State::walled_garden);
    const auto result = *f.manager.acknowledge_by_token(f.get(id).token, t + 73 * kHour);
    if (result.to == State::acknowledged) f.manager.apply(id, Action::operator_close, {"olga", ActorKind::operator_}, "", t + 74 * kHour);
    t += 5 * kDay;
    return result;
  };
  CHECK(wall_and_ack().to == State::acknowledged);
  CHECK(wall_and_ack().to == State::acknowledged);
  const auto third = wall_and_ack();
  CHECK(third.to == State::escalated);
  CHECK(third.reason == "self-release limit reached: 2 of 2 in 30 days");
  // Close the escalated one; 30 days after the first release a self-release is allowed again.
  IncidentFilter escalated;
  escalated.state = State::escalated;
  const auto open = f.db.list_incidents(escalated);
  REQUIRE(open.size() == 1);
  f.manager.apply(open[0].id, Action::operator_close, {"olga", ActorKind::operator_}, "", t);
  t = t0 + 31 * kDay;
  CHECK(wall_and_ack().to == State::acknowledged);
}

TEST_CASE("exempt accounts are recorded and never notified nor walled") {
  Fixture f;
  SUBCASE("by policy") {
    const auto id = f.detect("hospital", t0);
    CHECK(f.get(id).exempt);
  }
  SUBCASE("by account record") {
    f.db.upsert_account({"lab", "", "en", true, true, ""});
    const auto id = f.detect("lab", t0);
    CHECK(f.get(id).exempt);
    const auto r = f.manager.record_notice_sent(id, t0);
    CHECK_FALSE(r.applied);
    CHECK(r.reason == "refused: exempt: never notified");
    f.detect("lab", t0 + 100 * kHour);
    CHECK(f.manager.tick(t0 + 200 * kHour).total() == 0);
    CHECK(f.state(id) == State::detected);
    CHECK(f.get(id).detection_count == 2);
  }
  SUBCASE("by operator") {
    const auto id = f.detect("alice", t0);
    f.manager.record_notice_sent(id, t0);
    f.detect("alice", t0 + 80 * kHour);
    REQUIRE(f.state(id) == State::walled_garden);
    const auto r = f.manager.apply(id, Action::operator_exempt, {"olga", ActorKind::operator_}, "test lab", t0 + 81 * kHour);
    CHECK(r.to == State::detected);
    CHECK(f.get(id).exempt);
    CHECK_FALSE(f.manager.record_notice_sent(id, t0 + 82 * kHour).applied);
  }
}

TEST_CASE("operator actions are audited with actor and reason, refusals too") {
  Fixture f;
  const auto id = f.detect("alice", t0);
  const auto refused = f.manager.apply(id, Action::operator_reopen, {"olga", ActorKind::operator_}, "typo", t0 + 1);
  CHECK_FALSE(refused.applied);
  CHECK(refused.reason == "refused: only a resolved incident can be reopened");
  f.manager.apply(id, Action::operator_escalate, {"olga", ActorKind::operator_}, "abuse desk asked", t0 + 2);
  CHECK(f.state(id) == State::escalated);
  const auto log = f.db.transitions_of(id);
  REQUIRE(log.size() == 3);
  CHECK(log[1].action == "operator_reopen");
  CHECK(log[1].from == State::detected);
  CHECK(log[1].to == State::detected);
  CHECK(log[1].reason == "refused: only a resolved incident can be reopened; typo");
  CHECK(log[2].actor == "olga");
  CHECK(log[2].actor_kind == ActorKind::operator_);
  CHECK(log[2].reason == "escalated by an operator; abuse desk asked");
  CHECK_THROWS_WITH_AS(f.manager.apply(999, Action::operator_close, {"olga", ActorKind::operator_}, "", t0),
                       "no incident 999", store::StoreError);
}

TEST_CASE("reopen is refused while another incident of the account is open") {
  Fixture f;
  const auto id = f.detect("alice", t0);
  f.manager.apply(id, Action::operator_close, {"olga", ActorKind::operator_}, "", t0 + 1);
  const auto second = f.detect("alice", t0 + 2);
  const auto r = f.manager.apply(id, Action::operator_reopen, {"olga", ActorKind::operator_}, "", t0 + 3);
  CHECK_FALSE(r.applied);
  CHECK(r.reason == "refused: incident " + std::to_string(second) + " is open for the same account");
  f.manager.apply(second, Action::operator_close, {"olga", ActorKind::operator_}, "", t0 + 4);
  CHECK(f.manager.apply(id, Action::operator_reopen, {"olga", ActorKind::operator_}, "", t0 + 5).to == State::detected);
  CHECK_FALSE(f.get(id).closed_at.has_value());
}

TEST_CASE("tick walls notified incidents whose detections passed the deadline") {
  Fixture f;
  f.policy.walled_garden_after_hours = 10;
  IncidentManager strict(f.db, f.policy);
  const auto id = f.detect("alice", t0);
  f.manager.record_notice_sent(id, t0);
  f.detect("alice", t0 + 11 * kHour);  // 72 h policy: not yet
  REQUIRE(f.state(id) == State::notified);
  CHECK(strict.tick(t0 + 12 * kHour).transitions["wall_deadline_passed"] == 1);  // a stricter policy at the next tick
  CHECK(f.state(id) == State::walled_garden);
}
