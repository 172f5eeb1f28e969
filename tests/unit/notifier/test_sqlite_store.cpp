// SQLite store: migrations, lease lookup by time and prefix, idempotency,
// outbox, retention, backup, the append-only audit log.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <thread>

#include "notifier/store/sqlite_store.hpp"
#include "temp_dir.hpp"

using namespace botwarden;
using namespace botwarden::store;

namespace {
constexpr Micros kHour = 3600LL * kMicrosPerSecond;
const Micros t0 = *parse_rfc3339("2026-11-01T00:00:00Z");

mapping::Lease lease(const std::string& prefix, Micros start, Micros end, const std::string& account,
                     const std::string& key, const std::string& source = "kea4") {
  return {*Prefix::parse(prefix), start, end, account, source, key};
}
std::optional<std::string> who(SqliteStore& s, const std::string& subscriber, Micros t) {
  const auto l = s.lookup_lease(*Prefix::parse(subscriber), t);
  if (!l) return std::nullopt;
  return l->account;
}
IncidentRecord incident_for(const std::string& account, const std::string& token) {
  IncidentRecord r;
  r.account = account;
  r.subscriber = "100.64.0.7";
  r.opened_at = r.state_since = r.first_detection = r.last_detection = t0;
  r.detectors = {"bad_helo", "snowshoe"};
  r.detection_count = 1;
  r.token = token;
  return r;
}
int raw_exec(const std::string& path, const char* sql, std::string* error) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  if (message) *error = message;
  sqlite3_free(message);
  sqlite3_close(db);
  return rc;
}
}  // namespace

TEST_CASE("a new database is migrated to the latest schema and re-opening keeps its data") {
  testing::TempDir dir;
  const auto path = dir.file("botwarden.db");
  {
    SqliteStore s(path);
    CHECK(s.schema_version() == SqliteStore::latest_schema_version());
    CHECK(s.insert_event({"0123456789abcdef0123456789abcdef", "{}", "100.64.0.7", "bad_helo", "sensor1", t0, t0,
                          std::nullopt, false}));
  }
  SqliteStore again(path);
  CHECK(again.schema_version() == SqliteStore::latest_schema_version());
  CHECK(again.count_events() == 1);
}

TEST_CASE("a database from a newer program is refused, naming both versions") {
  testing::TempDir dir;
  const auto path = dir.file("botwarden.db");
  { SqliteStore s(path); }
  std::string error;
  REQUIRE(raw_exec(path, "INSERT INTO schema_version VALUES (99, 'later')", &error) == SQLITE_OK);
  CHECK_THROWS_WITH_AS(SqliteStore{path}, (path + ": database schema version 99 is newer than this program's (" +
                                           std::to_string(SqliteStore::latest_schema_version()) + ")")
                                              .c_str(),
                       StoreError);
}

TEST_CASE("a database path that cannot be opened is an error naming it") {
  CHECK_THROWS_WITH_AS(SqliteStore{"/nonexistent-dir/x.db"},
                       "/nonexistent-dir/x.db: cannot open database: unable to open database file", StoreError);
}

TEST_CASE("an address reused by another customer later maps by time") {
  SqliteStore s(":memory:");
  s.upsert_lease(lease("100.64.0.7", t0, t0 + 10 * kHour, "alice", "100.64.0.7@1"));
  s.upsert_lease(lease("100.64.0.7", t0 + 10 * kHour, mapping::kOpenEnd, "bob", "100.64.0.7@2"));
  CHECK_FALSE(who(s, "100.64.0.7", t0 - 1).has_value());
  CHECK(who(s, "100.64.0.7", t0) == "alice");
  CHECK(who(s, "100.64.0.7", t0 + 10 * kHour - 1) == "alice");
  CHECK(who(s, "100.64.0.7", t0 + 10 * kHour) == "bob");  // end is exclusive
  CHECK(who(s, "100.64.0.7", t0 + 1000 * kHour) == "bob");
  CHECK_FALSE(who(s, "100.64.0.8", t0 + kHour).has_value());
}

TEST_CASE("on overlapping leases the longest prefix wins, then the latest start") {
  SqliteStore s(":memory:");
  // A static /24 business block, a never-closed lease and a later one on the same address.
  s.upsert_lease(lease("100.64.1.0/24", t0, mapping::kOpenEnd, "business", "block", "static"));
  s.upsert_lease(lease("100.64.1.9", t0, mapping::kOpenEnd, "carol", "a"));
  s.upsert_lease(lease("100.64.1.9", t0 + 5 * kHour, mapping::kOpenEnd, "dave", "b"));
  CHECK(who(s, "100.64.1.9", t0 + kHour) == "carol");
  CHECK(who(s, "100.64.1.9", t0 + 6 * kHour) == "dave");
  CHECK(who(s, "100.64.1.10", t0 + 6 * kHour) == "business");
  const auto l = s.lookup_lease(*Prefix::parse("100.64.1.9"), t0 + 6 * kHour);
  REQUIRE(l.has_value());
  CHECK(l->prefix.to_string() == "100.64.1.9/32");
  CHECK(l->source == "kea4");
  CHECK(l->source_key == "b");
}

TEST_CASE("an IPv6 /56 delegation maps an address in any /64 under it") {
  SqliteStore s(":memory:");
  s.upsert_lease(lease("2001:db8:1000:ab00::/56", t0, t0 + 100 * kHour, "erin", "pd1", "kea6"));
  for (const char* sub : {"2001:db8:1000:ab00::/64", "2001:db8:1000:ab01::/64", "2001:db8:1000:abff::/64"}) {
    CAPTURE(sub);
    CHECK(who(s, sub, t0 + kHour) == "erin");
  }
  CHECK_FALSE(who(s, "2001:db8:1000:ac00::/64", t0 + kHour).has_value());
  CHECK_FALSE(who(s, "2001:db8:1000:ab00::/48", t0 + kHour).has_value());  // wider than the delegation
  CHECK_FALSE(who(s, "2001:db8:1000:ab00::/64", t0 + 100 * kHour).has_value());
  // A /64 lease inside it is more specific.
  s.upsert_lease(lease("2001:db8:1000:ab07::/64", t0, mapping::kOpenEnd, "frank", "na1", "kea6"));
  CHECK(who(s, "2001:db8:1000:ab07::/64", t0 + kHour) == "frank");
  CHECK(who(s, "2001:db8:1000:ab08::/64", t0 + kHour) == "erin");
  // IPv4 and IPv6 never mix.
  CHECK_FALSE(who(s, "0.0.0.0", t0 + kHour).has_value());
}

TEST_CASE("re-importing a lease updates it and does not duplicate it") {
  SqliteStore s(":memory:");
  CHECK(s.upsert_lease(lease("100.64.0.7", t0, mapping::kOpenEnd, "alice", "k1")));
  CHECK_FALSE(s.upsert_lease(lease("100.64.0.7", t0, t0 + kHour, "alice", "k1")));
  CHECK(s.count_leases() == 1);
  CHECK_FALSE(who(s, "100.64.0.7", t0 + 2 * kHour).has_value());  // the end was updated
  CHECK(s.upsert_lease(lease("100.64.0.7", t0, t0 + kHour, "alice", "k1", "dhcpd")));  // same key, other source
  CHECK(s.count_leases() == 2);
}

TEST_CASE("accounts are upserted by id") {
  SqliteStore s(":memory:");
  s.upsert_account({"alice", "alice@example.net", "en", false, false, "Alice"});
  s.upsert_account({"alice", "a@example.net", "de", true, true, "Alice A."});
  const auto a = s.find_account("alice");
  REQUIRE(a.has_value());
  CHECK(a->email == "a@example.net");
  CHECK(a->language == "de");
  CHECK(a->business);
  CHECK(a->exempt);
  CHECK(s.list_accounts().size() == 1);
  CHECK_FALSE(s.find_account("nobody").has_value());
}

TEST_CASE("an event id is stored once") {
  SqliteStore s(":memory:");
  EventRecord e{"0123456789abcdef0123456789abcdef", "{\"a\":1}", "100.64.0.7", "bad_helo", "sensor1", t0, t0,
                std::nullopt, false};
  CHECK(s.insert_event(e));
  e.json = "{\"a\":2}";
  CHECK_FALSE(s.insert_event(e));
  CHECK(s.count_events() == 1);
  CHECK(s.find_event(e.id)->json == "{\"a\":1}");
  CHECK(s.has_event(e.id));
  CHECK_FALSE(s.has_event("ffffffffffffffffffffffffffffffff"));
}

TEST_CASE("incidents round-trip and only one per key is open") {
  SqliteStore s(":memory:");
  auto r = incident_for("alice", "tok1");
  r.first_notice_at = t0 + kHour;
  const auto id = s.insert_incident(r);
  auto back = s.find_incident(id);
  REQUIRE(back.has_value());
  CHECK(back->account == "alice");
  CHECK(back->detectors == std::vector<std::string>{"bad_helo", "snowshoe"});
  CHECK(back->first_notice_at == t0 + kHour);
  CHECK_FALSE(back->closed_at.has_value());
  CHECK(s.find_incident_by_token("tok1")->id == id);
  CHECK(s.find_open_incident("account:alice")->id == id);
  CHECK_THROWS_AS(s.insert_incident(incident_for("alice", "tok2")), StoreError);  // a second open one
  back->state = incident::State::resolved;
  back->closed_at = t0 + 2 * kHour;
  s.update_incident(*back);
  CHECK_FALSE(s.find_open_incident("account:alice").has_value());
  CHECK(s.find_latest_resolved_incident("account:alice")->id == id);
  const auto id2 = s.insert_incident(incident_for("alice", "tok2"));
  CHECK(id2 != id);
  IncidentFilter open;
  open.open_only = true;
  CHECK(s.count_incidents(open) == 1);
  IncidentFilter resolved;
  resolved.state = incident::State::resolved;
  CHECK(s.list_incidents(resolved).size() == 1);
  CHECK(s.count_incidents({}) == 2);
}

TEST_CASE("the audit log is append-only, enforced by the database") {
  testing::TempDir dir;
  const auto path = dir.file("botwarden.db");
  {
    SqliteStore s(path);
    const auto id = s.insert_incident(incident_for("alice", "tok"));
    s.append_transition({0, id, std::nullopt, incident::State::detected, "opened", "botwarden",
                         incident::ActorKind::system, "first", t0});
    s.append_transition({0, id, incident::State::detected, incident::State::notified, "notice_sent", "botwarden",
                         incident::ActorKind::system, "notice sent", t0 + 1});
    const auto log = s.transitions_of(id);
    REQUIRE(log.size() == 2);
    CHECK_FALSE(log[0].from.has_value());
    CHECK(log[1].from == incident::State::detected);
    CHECK(log[1].to == incident::State::notified);
  }
  std::string error;
  CHECK(raw_exec(path, "UPDATE transitions SET reason = 'x'", &error) != SQLITE_OK);
  CHECK(error == "transitions are append-only");
  CHECK(raw_exec(path, "DELETE FROM transitions", &error) != SQLITE_OK);
  CHECK(error == "transitions are append-only");
}

TEST_CASE("the notices outbox: idempotent enqueue, claim, retry, expiry of a claim, sent, failed") {
  SqliteStore s(":memory:");
  const auto incident = s.insert_incident(incident_for("alice", "tok"));
  NoticeRecord n;
  n.incident_id = incident;
  n.account = "alice";
  n.channel = "email";
  n.stage = "first";
  n.language = "en";
  n.to = "alice@example.net";
  n.subject = "Your connection";
  n.body = "...";
  n.next_attempt_at = t0;
  n.created_at = t0;
  const auto id = s.enqueue_notice(n);
  REQUIRE(id.has_value());
  CHECK_FALSE(s.enqueue_notice(n).has_value());  // same incident, channel, stage
  CHECK(s.claim_due_notices(t0 - 1, 10, kHour).empty());
  auto claimed = s.claim_due_notices(t0, 10, kHour);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].status == NoticeStatus::sending);
  CHECK(claimed[0].attempts == 1);
  CHECK(s.claim_due_notices(t0 + 1, 10, kHour).empty());  // claimed
  // The sender died: the claim expires and the notice is claimed again.
  claimed = s.claim_due_notices(t0 + kHour, 10, kHour);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].attempts == 2);
  s.mark_notice_retry(*id, "451 try later", t0 + 3 * kHour);
  CHECK(s.find_notice(*id)->status == NoticeStatus::queued);
  CHECK(s.find_notice(*id)->last_error == "451 try later");
  CHECK(s.claim_due_notices(t0 + 2 * kHour, 10, kHour).empty());
  REQUIRE(s.claim_due_notices(t0 + 3 * kHour, 10, kHour).size() == 1);
  s.mark_notice_sent(*id, t0 + 3 * kHour);
  const auto sent = s.find_notice(*id);
  CHECK(sent->status == NoticeStatus::sent);
  CHECK(sent->sent_at == t0 + 3 * kHour);
  CHECK(s.claim_due_notices(t0 + 100 * kHour, 10, kHour).empty());
  n.stage = "reminder";
  const auto id2 = s.enqueue_notice(n);
  REQUIRE(id2.has_value());
  s.mark_notice_failed(*id2, "550 no such user", t0);
  NoticeFilter failed;
  failed.status = NoticeStatus::failed;
  REQUIRE(s.list_notices(failed).size() == 1);
  CHECK(s.list_notices(failed)[0].last_error == "550 no such user");
  CHECK_THROWS_AS(s.mark_notice_sent(9999, t0), StoreError);
}

TEST_CASE("retention removes evidence and keeps ids, counts and times") {
  SqliteStore s(":memory:");
  const std::string json =
      R"({"id":"0123456789abcdef0123456789abcdef","address":"100.64.0.7","evidence":{"sessions":5,)"
      R"("window_seconds":60,"sample_helos":["evil"],"sample_destinations":["192.0.2.1"],)"
      R"("sample_mailfrom_domains":["x.example"]}})";
  s.insert_event({"0123456789abcdef0123456789abcdef", json, "100.64.0.7", "bad_helo", "sensor1", t0, t0,
                  std::nullopt, false});
  s.insert_event({"1123456789abcdef0123456789abcdef", json, "100.64.0.7", "bad_helo", "sensor1", t0 + kHour,
                  t0 + kHour, std::nullopt, false});
  CHECK(s.purge_evidence_before(t0 + 1).events_purged == 1);
  CHECK(s.purge_evidence_before(t0 + 1).events_purged == 0);  // already purged
  const auto old = s.find_event("0123456789abcdef0123456789abcdef");
  CHECK(old->evidence_purged);
  CHECK(old->json == R"({"id":"0123456789abcdef0123456789abcdef","evidence":{"sessions":5,"window_seconds":60}})");
  CHECK(old->ts == t0);
  CHECK(s.find_event("1123456789abcdef0123456789abcdef")->json == json);
}

TEST_CASE("backup writes a consistent copy and never overwrites a file") {
  testing::TempDir dir;
  SqliteStore s(dir.file("live.db"));
  s.upsert_lease(lease("100.64.0.7", t0, mapping::kOpenEnd, "alice", "k1"));
  s.backup_to(dir.file("copy.db"));
  {
    SqliteStore copy(dir.file("copy.db"));
    CHECK(copy.count_leases() == 1);
    CHECK(copy.schema_version() == SqliteStore::latest_schema_version());
  }
  CHECK_THROWS_WITH_AS(s.backup_to(dir.file("copy.db")), (dir.file("copy.db") + ": exists already; not overwriting it").c_str(),
                       StoreError);
}

TEST_CASE("a failed transaction leaves nothing behind") {
  SqliteStore s(":memory:");
  CHECK_THROWS_AS(s.transaction([&] {
    s.upsert_lease(lease("100.64.0.7", t0, mapping::kOpenEnd, "alice", "k1"));
    s.transaction([&] { s.upsert_account({"alice", "", "en", false, false, ""}); });
    throw std::runtime_error("boom");
  }),
                  std::runtime_error);
  CHECK(s.count_leases() == 0);
  CHECK(s.list_accounts().empty());
}

TEST_CASE("two connections to one file (serve and a CLI command) write without losing anything") {
  testing::TempDir dir;
  SqliteStore a(dir.file("shared.db"));
  SqliteStore b(dir.file("shared.db"));
  const auto writer = [](SqliteStore& s, const std::string& source) {
    for (int i = 0; i < 50; ++i) {
      s.transaction([&] {
        s.upsert_lease(lease("100.64.0." + std::to_string(i % 250), t0, mapping::kOpenEnd, "x", std::to_string(i), source));
        s.upsert_account({source + std::to_string(i), "", "en", false, false, ""});
      });
    }
  };
  std::thread first([&] { writer(a, "kea4"); });
  std::thread second([&] { writer(b, "dhcpd"); });
  first.join();
  second.join();
  CHECK(a.count_leases() == 100);
  CHECK(b.list_accounts().size() == 100);
}
