// End to end: the outbox against a real SMTP server (aiosmtpd on loopback),
// the real SQLite store and the real incident manager. Each infected account
// gets exactly one notice in its language, benign accounts none; 5xx fails,
// 4xx retries; with the server stopped notices stay queued, and after a
// restart everything queued is delivered exactly once.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "../../unit/notices/mail_reader.hpp"
#include "notifier/incident/manager.hpp"
#include "notifier/notices/outbox.hpp"
#include "notifier/store/sqlite_store.hpp"

extern char** environ;

using namespace botwarden;
using namespace botwarden::notices;
namespace fs = std::filesystem;

namespace {

constexpr Micros kSecond = kMicrosPerSecond;
constexpr Micros kNow = 1795623200LL * kSecond;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "bw-e2e-notices-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

// aiosmtpd through Debian's /usr/bin/python3 (the python3 on PATH may not see it).
class SmtpSink {
 public:
  SmtpSink(fs::path maildir, int port, std::vector<std::string> extra = {})
      : maildir_(std::move(maildir)), extra_(std::move(extra)) {
    start(port);
  }
  ~SmtpSink() { stop(); }
  int port() const { return port_; }

  void start(int port) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    // The server's own complaints (e.g. a TLS alert we provoke) go beside the mail, not into the test output.
    const std::string log = (maildir_.parent_path() / "smtp_sink.log").string();
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::string script = BOTWARDEN_SOURCE_DIR "/tests/e2e/notices/smtp_sink.py";
    std::string maildir = maildir_.string();
    std::string port_text = std::to_string(port);
    std::vector<char*> argv{const_cast<char*>("/usr/bin/python3"), script.data(), const_cast<char*>("--maildir"),
                            maildir.data(), const_cast<char*>("--port"), port_text.data()};
    for (auto& a : extra_) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, "/usr/bin/python3", &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    std::string line;
    char c = 0;
    while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    close(fds[0]);
    INFO("smtp_sink said: ", line);
    REQUIRE(line.rfind("READY ", 0) == 0);
    port_ = std::stoi(line.substr(6));
  }

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  fs::path maildir_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
  int port_ = 0;
};

std::vector<std::string> mailbox(const fs::path& maildir, const std::string& address) {
  std::vector<std::string> out;
  const fs::path folder = maildir / address;
  if (!fs::exists(folder)) return out;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() != ".eml") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  return out;
}

struct World {
  TempDir dir;
  store::SqliteStore db{(dir.path / "bw.db").string()};
  incident::IncidentManager manager{db, incident::Policy{}};
  TemplateCatalog templates = TemplateCatalog::load(BOTWARDEN_SOURCE_DIR "/configs/templates");
  fs::path maildir = dir.path / "mail";
  int next_event = 0;

  void account(const std::string& id, const std::string& language) {
    mapping::Account a;
    a.id = id;
    a.email = id + "@customer.example";
    a.language = language;
    a.name = "Customer " + id;
    db.upsert_account(a);
  }

  // A detection through the real incident manager, as ingest does it.
  store::IncidentId detect(const std::string& account, const std::string& subscriber, const std::string& helo) {
    char id[33];
    std::snprintf(id, sizeof id, "%032x", ++next_event);
    store::EventRecord e;
    e.id = id;
    e.json = R"({"type":"detection","evidence":{"sessions":5,"transactions":9,"window_seconds":300,)"
             R"("distinct_destinations":4,"sample_helos":[")" + helo + R"("]}})";
    e.subscriber = subscriber;
    e.detector = "bad_helo";
    e.sensor = "sensor1";
    e.ts = kNow - 600 * kSecond;
    e.received_at = kNow - 590 * kSecond;
    incident::Detection d;
    d.event_id = e.id;
    d.subscriber = subscriber;
    d.account = account;
    d.detector = "bad_helo";
    d.ts = e.ts;
    const auto incident = manager.on_detection(d, e.received_at);
    e.incident_id = incident;
    REQUIRE(db.insert_event(e));
    return incident;
  }
};

OutboxSettings fast_settings() {
  OutboxSettings s;
  s.backoff_initial = 30 * kSecond;
  s.backoff_max = 60 * kSecond;
  s.max_attempts = 5;
  s.claim_timeout = 120 * kSecond;
  return s;
}

}  // namespace

TEST_CASE("notices reach a real SMTP server exactly once, in the subscriber's language, across a server outage") {
  World w;
  const std::map<std::string, std::string> infected{
      {"alice", "en"}, {"bruno", "de"}, {"claire", "fr"}, {"daan", "nl"}, {"elena", "es"}};
  for (const auto& [id, lang] : infected) w.account(id, lang);
  w.account("benign1", "en");
  w.account("benign2", "de");
  w.account("reject-me", "en");
  w.account("tempfail-me", "en");
  int octet = 10;
  for (const auto& [id, lang] : infected) w.detect(id, "100.64.0." + std::to_string(octet++), "bot-" + id + "\\r\\nBcc: x@y");
  w.detect("reject-me", "100.64.0.50", "[100.64.0.50]");
  w.detect("tempfail-me", "100.64.0.51", "[100.64.0.51]");

  SmtpSink sink(w.maildir, 0);
  SmtpSettings smtp;
  smtp.url = "smtp://127.0.0.1:" + std::to_string(sink.port());
  smtp.timeout_seconds = 20;
  const SmtpSender sender(smtp);
  Outbox outbox(w.db, w.templates, NoticeSettings{}, fast_settings());
  const auto on_sent = [&](store::IncidentId id, Micros at) { w.manager.record_notice_sent(id, at); };

  CHECK(outbox.enqueue_due(kNow).queued == 7);
  auto run = outbox.send_due(sender, kNow, on_sent);
  CHECK(run.sent == 5);
  CHECK(run.failed == 1);
  CHECK(run.retried == 1);

  const std::map<std::string, std::string> expected_subject{
      {"en", "Example ISP: a device on your connection is sending spam"},
      {"de", "Example ISP: Ein Gerät an Ihrem Anschluss versendet Spam"},
      {"fr", "Example ISP : un appareil de votre connexion envoie du spam"},
      {"nl", "Example ISP: een apparaat op uw aansluiting verstuurt spam"},
      {"es", "Example ISP: a device on your connection is sending spam"}};
  for (const auto& entry : infected) {
    const std::string id = entry.first;  // not a structured binding: CAPTURE's lambda captures it
    const std::string lang = entry.second;
    CAPTURE(id);
    const auto mails = mailbox(w.maildir, id + "@customer.example");
    REQUIRE(mails.size() == 1);
    const auto m = mail_reader::split(mails[0]);
    CHECK(mail_reader::value(m, "To") == "\"Customer " + id + "\" <" + id + "@customer.example>");
    CHECK(mail_reader::decode_words(mail_reader::value(m, "Subject")).rfind(expected_subject.at(lang), 0) == 0);
    CHECK(mail_reader::value(m, "Content-Language") == (lang == "es" ? "en" : lang));
    const auto parts = mail_reader::parts(m);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].decoded.find("bot-" + id + "??Bcc: x@y") != std::string::npos);  // escaped, in the body only
  }
  CHECK(mailbox(w.maildir, "benign1@customer.example").empty());
  CHECK(mailbox(w.maildir, "benign2@customer.example").empty());
  CHECK(mailbox(w.maildir, "reject-me@customer.example").empty());
  store::IncidentFilter notified;
  notified.state = incident::State::notified;
  CHECK(w.db.count_incidents(notified) == 5);

  store::NoticeFilter failed;
  failed.status = store::NoticeStatus::failed;
  const auto failures = w.db.list_notices(failed);
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].to == "reject-me@customer.example");
  CHECK(failures[0].last_error.rfind("550 from server: ", 0) == 0);
  store::NoticeFilter queued;
  queued.status = store::NoticeStatus::queued;
  auto waiting = w.db.list_notices(queued);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].to == "tempfail-me@customer.example");
  CHECK(waiting[0].last_error.rfind("451 from server: ", 0) == 0);
  CHECK(waiting[0].next_attempt_at == kNow + 30 * kSecond);

  SUBCASE("server stopped mid-run: notices stay queued, then are delivered exactly once after the restart") {
    const int port = sink.port();
    sink.stop();
    w.account("frank", "de");
    w.account("gina", "fr");
    w.detect("frank", "100.64.0.60", "frank-pc");
    w.detect("gina", "100.64.0.61", "gina-pc");
    CHECK(outbox.enqueue_due(kNow + 10 * kSecond).queued == 2);
    run = outbox.send_due(sender, kNow + 10 * kSecond, on_sent);
    CHECK(run.retried == 2);
    CHECK(run.sent == 0);
    waiting = w.db.list_notices(queued);
    CHECK(waiting.size() == 3);  // frank, gina, tempfail-me (not yet due)
    for (const auto& n : waiting) {
      if (n.to == "tempfail-me@customer.example") continue;
      CHECK(n.attempts == 1);
      CHECK(n.last_error.find("Failed to connect to 127.0.0.1 port " + std::to_string(port)) == 0);
    }
    // A worker that claims and dies (crash between claim and send) ...
    const auto orphan = w.db.claim_due_notices(kNow + 40 * kSecond, 1, outbox.settings().claim_timeout);
    REQUIRE(orphan.size() == 1);

    sink.start(port);
    // ... its claim expires; a fresh worker (restart) sends everything once.
    Outbox restarted(w.db, w.templates, NoticeSettings{}, fast_settings());
    std::int64_t sent = 0;
    for (Micros t = kNow + 40 * kSecond; t <= kNow + 400 * kSecond; t += 20 * kSecond)
      sent += restarted.send_due(sender, t, on_sent).sent;
    CHECK(sent == 2);  // frank and gina; tempfail-me keeps getting 451
    CHECK(mailbox(w.maildir, "frank@customer.example").size() == 1);
    CHECK(mailbox(w.maildir, "gina@customer.example").size() == 1);
    for (const auto& [id, lang] : infected) CHECK(mailbox(w.maildir, id + "@customer.example").size() == 1);
    const auto frank = mail_reader::split(mailbox(w.maildir, "frank@customer.example")[0]);
    CHECK(mail_reader::value(frank, "Content-Language") == "de");
    // tempfail-me gave up after max_attempts, visible to the abuse desk.
    const auto gave_up = w.db.list_notices(failed);
    CHECK(gave_up.size() == 2);
    CHECK(gave_up[1].last_error.rfind("gave up after 5 attempts: 451 from server: ", 0) == 0);
    CHECK(w.db.list_notices(queued).empty());
  }
}

TEST_CASE("STARTTLS and AUTH: delivered when verified, refused credentials fail, never sent in clear text") {
  TempDir dir;
  const std::string cert = (dir.path / "cert.pem").string();
  const std::string key = (dir.path / "key.pem").string();
  const std::string openssl = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                              "-addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert +
                              " >/dev/null 2>&1";
  REQUIRE(std::system(openssl.c_str()) == 0);
  const fs::path maildir = dir.path / "mail";
  const std::string message = "From: abuse@isp.example\r\nTo: tls@customer.example\r\nSubject: t\r\n\r\nbody\r\n";

  SmtpSink tls_sink(maildir, 0, {"--tls-cert", cert, "--tls-key", key, "--auth", "botwarden:s3cret"});
  SmtpSettings s;
  s.url = "smtp://127.0.0.1:" + std::to_string(tls_sink.port());
  s.starttls = true;
  s.ca_file = cert;
  s.username = "botwarden";
  s.password = "s3cret";
  s.timeout_seconds = 20;
  auto r = SmtpSender(s).send("abuse@isp.example", "tls@customer.example", message);
  CHECK(r.outcome == SendResult::Outcome::sent);
  CHECK(r.detail == "250 accepted");
  CHECK(mailbox(maildir, "tls@customer.example").size() == 1);

  SmtpSettings wrong = s;
  wrong.password = "guess";
  r = SmtpSender(wrong).send("abuse@isp.example", "tls@customer.example", message);
  CHECK(r.outcome == SendResult::Outcome::failed);
  CHECK(r.smtp_code == 535);

  SmtpSettings unverified = s;
  unverified.ca_file.clear();  // self-signed: the system CAs do not vouch for it
  r = SmtpSender(unverified).send("abuse@isp.example", "tls@customer.example", message);
  CHECK(r.outcome == SendResult::Outcome::retry);
  CHECK(r.detail.find("certificate") != std::string::npos);

  SmtpSink plain_sink(maildir, 0);  // offers no STARTTLS
  SmtpSettings plain = s;
  plain.url = "smtp://127.0.0.1:" + std::to_string(plain_sink.port());
  r = SmtpSender(plain).send("abuse@isp.example", "clear@customer.example", message);
  CHECK(r.outcome == SendResult::Outcome::retry);
  CAPTURE(r.detail);
  CHECK(r.detail.find("STARTTLS") != std::string::npos);
  CHECK(mailbox(maildir, "clear@customer.example").empty());
  CHECK(mailbox(maildir, "tls@customer.example").size() == 1);
}
