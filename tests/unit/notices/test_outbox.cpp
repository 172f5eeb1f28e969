// The outbox against the real SQLite store: what is queued, what is not and
// why, retry/backoff/give-up on transport failures, config errors.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "mail_reader.hpp"
#include "notifier/notices/notices_config.hpp"
#include "notifier/notices/outbox.hpp"
#include "notifier/store/sqlite_store.hpp"

using namespace botwarden;
using namespace botwarden::notices;

namespace {

constexpr Micros kSecond = kMicrosPerSecond;
constexpr Micros kNow = 1795623200LL * kSecond;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bw-outbox-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

const TemplateCatalog& shipped() {
  static const TemplateCatalog catalog = TemplateCatalog::load(BOTWARDEN_SOURCE_DIR "/configs/templates");
  return catalog;
}

struct Fixture {
  TempDir dir;
  store::SqliteStore db{(dir.path / "bw.db").string()};

  store::IncidentId add_incident(const std::string& account, incident::State state, const std::string& token,
                                 std::string helo = "[192.0.2.7]") {
    store::IncidentRecord r;
    r.account = account;
    r.subscriber = "100.64.0.7";
    r.state = state;
    r.opened_at = kNow - 3600 * kSecond;
    r.state_since = r.opened_at;
    r.first_detection = kNow - 7200 * kSecond;
    r.last_detection = kNow - 3600 * kSecond;
    r.detectors = {"bad_helo"};
    r.detection_count = 1;
    r.token = token;
    if (state == incident::State::resolved) r.closed_at = kNow - 1800 * kSecond;
    const auto id = db.insert_incident(r);
    store::EventRecord e;
    e.id = std::string(31, '0') + std::to_string(id % 10) + token.substr(0, 0);
    e.id = e.id.substr(0, 32);
    e.json = nlohmann_event(helo);
    e.subscriber = "100.64.0.7";
    e.detector = "bad_helo";
    e.sensor = "sensor1";
    e.ts = r.last_detection;
    e.received_at = r.last_detection;
    e.incident_id = id;
    db.insert_event(e);
    return id;
  }

  static std::string nlohmann_event(const std::string& helo) {
    // The fields the outbox reads; the HELO is escaped as JSON would carry it.
    std::string escaped;
    for (char c : helo) {
      if (c == '"' || c == '\\') escaped += '\\';
      if (c == '\r') { escaped += "\\r"; continue; }
      if (c == '\n') { escaped += "\\n"; continue; }
      escaped += c;
    }
    return R"({"type":"detection","evidence":{"sessions":12,"transactions":30,"window_seconds":600,)"
           R"("distinct_destinations":9,"sample_helos":[")" + escaped + R"("]}})";
  }

  void add_account(const std::string& id, const std::string& email, const std::string& language = "en") {
    mapping::Account a;
    a.id = id;
    a.email = email;
    a.language = language;
    a.name = "Customer " + id;
    db.upsert_account(a);
  }
};

NoticeSettings settings() { return NoticeSettings{}; }

}  // namespace

TEST_CASE("an incident's notice is composed, queued once, with its evidence and language") {
  Fixture f;
  f.add_account("acct-1", "one@customer.example", "fr");
  const auto id = f.add_incident("acct-1", incident::State::detected, "aaaa1111bbbb2222cccc3333dddd4444",
                                 "<script>x</script>");
  Outbox outbox(f.db, shipped(), settings(), OutboxSettings{});
  const auto plan = outbox.enqueue_due(kNow);
  CHECK(plan.queued == 1);
  CHECK(outbox.enqueue_due(kNow).queued == 0);  // idempotent
  const auto incident = f.db.find_incident(id);
  const auto again = outbox.enqueue(*incident, "first", kNow);
  CHECK(again.kind == EnqueueResult::Kind::already_queued);
  CHECK(again.reason == "a 'first' notice exists for this incident");

  const auto notices = f.db.list_notices({});
  REQUIRE(notices.size() == 1);
  const auto& n = notices[0];
  CHECK(n.status == store::NoticeStatus::queued);
  CHECK(n.stage == "first");
  CHECK(n.language == "fr");
  CHECK(n.to == "one@customer.example");
  CHECK(n.subject == "Example ISP : un appareil de votre connexion envoie du spam (" + incident_code(id, incident->token) + ")");
  const auto parts = mail_reader::parts(mail_reader::split(n.body));
  CHECK(parts[0].decoded.find("12 connexions de messagerie, 30 messages, vers 9 serveurs") != std::string::npos);
  CHECK(parts[1].decoded.find("&lt;script&gt;x&lt;/script&gt;") != std::string::npos);
  CHECK(parts[0].decoded.find("https://garden.isp.example/cleanup/aaaa1111bbbb2222cccc3333dddd4444") != std::string::npos);
}

TEST_CASE("exempt, unattributed and address-less incidents are not notified; bad addresses are recorded as failed") {
  Fixture f;
  f.add_account("acct-noaddr", "");
  f.add_account("acct-bad", "not an address");
  Outbox outbox(f.db, shipped(), settings(), OutboxSettings{});
  const auto a = f.db.find_incident(f.add_incident("acct-noaddr", incident::State::detected, "t1"));
  CHECK(outbox.enqueue(*a, "first", kNow).reason == "account acct-noaddr has no email address");
  const auto b = f.db.find_incident(f.add_incident("acct-unknown", incident::State::detected, "t2"));
  CHECK(outbox.enqueue(*b, "first", kNow).reason == "account acct-unknown is unknown");
  auto c = *f.db.find_incident(f.add_incident("acct-x", incident::State::detected, "t3"));
  c.exempt = true;
  CHECK(outbox.enqueue(c, "first", kNow).reason == "incident is exempt");
  c.exempt = false;
  c.account.reset();
  CHECK(outbox.enqueue(c, "first", kNow).reason == "incident has no account (unattributed)");

  const auto d = f.db.find_incident(f.add_incident("acct-bad", incident::State::detected, "t4"));
  const auto r = outbox.enqueue(*d, "first", kNow);
  CHECK(r.kind == EnqueueResult::Kind::unsendable);
  REQUIRE(r.id);
  const auto n = f.db.find_notice(*r.id);
  CHECK(n->status == store::NoticeStatus::failed);
  CHECK(n->last_error == "cannot compose: invalid email address 'not an address'");
}

TEST_CASE("one notice per account and stage within the rate-limit period") {
  Fixture f;
  f.add_account("acct-2", "two@customer.example");
  const auto old_id = f.add_incident("acct-2", incident::State::resolved, "old-token");
  Outbox outbox(f.db, shipped(), settings(), OutboxSettings{});
  CHECK(outbox.enqueue(*f.db.find_incident(old_id), "first", kNow - 3600 * kSecond).kind == EnqueueResult::Kind::queued);
  const auto new_id = f.add_incident("acct-2", incident::State::detected, "new-token");
  const auto r = outbox.enqueue(*f.db.find_incident(new_id), "first", kNow);
  CHECK(r.kind == EnqueueResult::Kind::rate_limited);
  CHECK(r.reason == "account acct-2 had a 'first' notice within the rate-limit period");
  // Another stage is not limited; after the period the same stage is allowed.
  CHECK(outbox.enqueue(*f.db.find_incident(new_id), "walled", kNow).kind == EnqueueResult::Kind::queued);
  CHECK(outbox.enqueue(*f.db.find_incident(new_id), "first", kNow + 24 * 3600 * kSecond).kind ==
        EnqueueResult::Kind::queued);
}

TEST_CASE("a refused connection is retried with exponential backoff, then failed after max attempts") {
  Fixture f;
  f.add_account("acct-3", "three@customer.example");
  f.add_incident("acct-3", incident::State::detected, "t3");
  OutboxSettings os;
  os.max_attempts = 3;
  os.backoff_initial = 10 * kSecond;
  os.backoff_max = 15 * kSecond;
  Outbox outbox(f.db, shipped(), settings(), os);
  CHECK(outbox.backoff(1) == 10 * kSecond);
  CHECK(outbox.backoff(2) == 15 * kSecond);
  CHECK(outbox.backoff(30) == 15 * kSecond);
  outbox.enqueue_due(kNow);
  SmtpSettings closed;
  closed.url = "smtp://127.0.0.1:1";  // nothing listens on port 1
  closed.connect_timeout_seconds = 2;
  const SmtpSender sender(closed);
  int callbacks = 0;
  const auto on_sent = [&](store::IncidentId, Micros) { ++callbacks; };

  auto run = outbox.send_due(sender, kNow, on_sent);
  CHECK(run.retried == 1);
  auto n = f.db.list_notices({})[0];
  CHECK(n.status == store::NoticeStatus::queued);
  CHECK(n.attempts == 1);
  CHECK(n.next_attempt_at == kNow + 10 * kSecond);
  CHECK(n.last_error.find("Failed to connect to 127.0.0.1 port 1") == 0);
  CHECK(outbox.send_due(sender, kNow + 5 * kSecond).retried == 0);  // not due yet
  CHECK(outbox.send_due(sender, kNow + 10 * kSecond).retried == 1);
  n = f.db.list_notices({})[0];
  CHECK(n.next_attempt_at == kNow + 25 * kSecond);
  run = outbox.send_due(sender, kNow + 25 * kSecond);
  CHECK(run.failed == 1);
  n = f.db.list_notices({})[0];
  CHECK(n.status == store::NoticeStatus::failed);
  CHECK(n.last_error.find("gave up after 3 attempts: Failed to connect") == 0);
  CHECK(callbacks == 0);
}

TEST_CASE("a notice claimed by a sender that died is claimed again after the claim expires") {
  Fixture f;
  f.add_account("acct-4", "four@customer.example");
  f.add_incident("acct-4", incident::State::walled_garden, "t4");
  Outbox outbox(f.db, shipped(), settings(), OutboxSettings{});
  CHECK(outbox.enqueue_due(kNow).queued == 1);
  CHECK(f.db.list_notices({})[0].stage == "walled");
  // A worker claims and "crashes" (never marks).
  const auto claimed = f.db.claim_due_notices(kNow, 10, outbox.settings().claim_timeout);
  REQUIRE(claimed.size() == 1);
  CHECK(f.db.claim_due_notices(kNow + kSecond, 10, outbox.settings().claim_timeout).empty());
  const auto again = f.db.claim_due_notices(kNow + outbox.settings().claim_timeout, 10, outbox.settings().claim_timeout);
  REQUIRE(again.size() == 1);
  CHECK(again[0].body == claimed[0].body);  // same bytes, same Message-ID
}

TEST_CASE("SMTP replies are classified: 5xx permanent, 4xx and no reply transient") {
  CHECK(classify_smtp(true, 250) == SendResult::Outcome::sent);
  CHECK(classify_smtp(false, 550) == SendResult::Outcome::failed);
  CHECK(classify_smtp(false, 554) == SendResult::Outcome::failed);
  CHECK(classify_smtp(false, 451) == SendResult::Outcome::retry);
  CHECK(classify_smtp(false, 421) == SendResult::Outcome::retry);
  CHECK(classify_smtp(false, 0) == SendResult::Outcome::retry);
}

TEST_CASE("incident codes are short, checkable and parse back") {
  const std::string code = incident_code(42, "0123456789abcdef0123456789abcdef");
  CHECK(code.size() == 12);
  CHECK(code.rfind("BW-001A-", 0) == 0);
  const auto parsed = parse_incident_code(code);
  REQUIRE(parsed);
  CHECK(parsed->incident_id == 42);
  CHECK(code.substr(8) == parsed->check);
  std::string lower;
  for (char c : code) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(parse_incident_code(lower)->incident_id == 42);
  CHECK(incident_code(42, "other-token") != code);
  CHECK(incident_code(123456789, "t").rfind("BW-3NQK8N-", 0) == 0);
  CHECK_FALSE(parse_incident_code("BW-12-AB"));
  CHECK_FALSE(parse_incident_code("XX-0001-ABCD"));
  CHECK_FALSE(parse_incident_code("BW-00U1-ABCD"));  // U is not Crockford
}

TEST_CASE("[notices] errors name the file, line and key") {
  const auto load = [](const std::string& text) {
    return load_notices_config(ConfigFile::parse(text, "bw.toml"));
  };
  const auto c = load("[notices]\nsmtp_url = \"smtp://127.0.0.1:2525\"\nrate_limit_hours = 12\n");
  CHECK(c.smtp.url == "smtp://127.0.0.1:2525");
  CHECK(c.outbox.rate_limit_period == 12 * 3600 * kSecond);
  CHECK(c.outbox.claim_timeout == (10 + 60 + 30) * kSecond);
  CHECK_THROWS_WITH_AS(load("[notices]\nsmtp_url = \"http://x\"\n"),
                       "bw.toml:2: notices.smtp_url: 'http://x' must start with smtp:// or smtps://", ConfigError);
  CHECK_THROWS_WITH_AS(load("[notices]\n\nfrom = \"abuse\"\n"),
                       "bw.toml:3: notices.from: 'abuse' is not an email address (local@domain, printable ASCII)",
                       ConfigError);
  CHECK_THROWS_WITH_AS(load("[notices]\nusername = \"u\"\n"),
                       "bw.toml:2: notices.username: AUTH needs password_file too (the password is never written in this file)",
                       ConfigError);
  CHECK_THROWS_WITH_AS(load("[notices]\ncleanup_base_url = \"javascript:alert(1)\"\n"),
                       "bw.toml:2: notices.cleanup_base_url: 'javascript:alert(1)' is not an http(s) URL", ConfigError);
  CHECK_THROWS_WITH_AS(load("[notices]\nsmtp_ulr = \"smtp://x\"\n"), doctest::Contains("notices.smtp_ulr"), ConfigError);
}

TEST_CASE("the shipped configs/botwarden.toml has a valid [notices] section and its templates load") {
  const auto c = load_notices_config(ConfigFile::load(BOTWARDEN_SOURCE_DIR "/configs/botwarden.toml"));
  CHECK(c.smtp.url == "smtp://127.0.0.1:2525");
  CHECK(c.templates_dir == BOTWARDEN_SOURCE_DIR "/configs/templates");
  CHECK(TemplateCatalog::load(c.templates_dir).languages() == std::vector<std::string>{"de", "en", "fr", "nl"});
}
