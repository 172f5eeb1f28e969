// Walled-garden export: ruleset golden text accepted by `nft -c`, ipset file,
// API JSON, config errors, the enforcer's change detection and store lookup.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "notifier/enforce/enforcer.hpp"
#include "notifier/enforce/walled_garden_api.hpp"
#include "notifier/store/sqlite_store.hpp"

using namespace botwarden;
using namespace botwarden::enforce;

namespace {

constexpr Micros kSecond = kMicrosPerSecond;
constexpr Micros kNow = 1795623200LL * kSecond;

Prefix P(const char* text) {
  const auto p = Prefix::parse(text);
  REQUIRE(p);
  return *p;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bw-enforce-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

EnforceConfig sample_config() {
  const auto file = ConfigFile::parse(R"(
[enforce]
enabled = true
notice_page = "10.201.3.2:8080"
notice_page6 = "[2001:db8:201:3::2]:8080"
allow = ["10.201.2.3/32", "192.0.2.53", "203.0.113.0/24", "203.0.113.128/25", "2001:db8:53::/48"]
)", "bw.toml");
  return load_enforce_config(file);
}

std::vector<WalledEntry> sample_walled() {
  return {
      {"acct-1", 7, kNow - 3600 * kSecond, {P("100.64.0.7"), P("2001:db8:1000:100::/56")}},
      {"acct-2", 9, kNow - 60 * kSecond, {P("100.64.0.9"), P("100.64.0.7"), P("100.64.8.0/24"), P("100.64.8.5")}},
  };
}

// Compares with tests/unit/enforce/golden/<name>; BOTWARDEN_REGENERATE_GOLDEN=1 rewrites it.
void check_golden(const std::string& name, const std::string& actual) {
  const std::filesystem::path path = std::filesystem::path(BOTWARDEN_SOURCE_DIR) / "tests/unit/enforce/golden" / name;
  if (std::getenv("BOTWARDEN_REGENERATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << actual;
  }
  CAPTURE(path);
  CHECK(read(path) == actual);
}

}  // namespace

TEST_CASE("prefixes are sorted, deduplicated and nested ones dropped") {
  const auto out = normalize_prefixes({P("100.64.8.5"), P("100.64.8.0/24"), P("2001:db8::/32"), P("100.64.0.7"),
                                       P("100.64.0.7"), P("2001:db8:1::/48"), P("10.0.0.0/8"), P("100.64.8.0/25")});
  std::vector<std::string> text;
  for (const auto& p : out) text.push_back(p.to_string());
  CHECK(text == std::vector<std::string>{"10.0.0.0/8", "100.64.0.7/32", "100.64.8.0/24", "2001:db8::/32"});
}

TEST_CASE("the nftables ruleset matches its golden file and nft -c accepts it") {
  const std::string ruleset = render_nft_ruleset(sample_config(), sample_walled());
  check_golden("ruleset.nft", ruleset);
  REQUIRE(geteuid() == 0);  // nft -c needs CAP_NET_ADMIN; the test command runs as root
  TempDir dir;
  const auto file = (dir.path / "ruleset.nft").string();
  std::ofstream(file) << ruleset;
  CHECK(run_command({"nft", "-c", "-f", "{file}"}, file) == "");
  // Empty sets, drop instead of reject, no IPv6 notice page: also valid.
  EnforceConfig bare = sample_config();
  bare.notice_page6.reset();
  bare.allow.clear();
  bare.block = BlockAction::drop;
  const std::string empty = render_nft_ruleset(bare, {});
  check_golden("ruleset-empty.nft", empty);
  std::ofstream(file, std::ios::trunc) << empty;
  CHECK(run_command({"nft", "-c", "-f", "{file}"}, file) == "");
  // And nft really checks: a broken file is refused with its message.
  std::ofstream(file, std::ios::trunc) << "table inet botwarden {\n\tset x { type nonsense; }\n}\n";
  CHECK(run_command({"nft", "-c", "-f", "{file}"}, file).find("nft -c -f " + file + " exited with status 1: ") == 0);
}

TEST_CASE("the ipset restore file and the API JSON match their golden files") {
  check_golden("walled-garden.ipset", render_ipset_restore(sample_config(), sample_walled()));
  check_golden("walled-garden.json", render_walled_garden_json(sample_config(), sample_walled(), kNow));
}

TEST_CASE("[enforce] errors name the file, line and key") {
  const auto load = [](const std::string& text) { return load_enforce_config(ConfigFile::parse(text, "bw.toml")); };
  const auto c = load("[enforce]\n");
  CHECK_FALSE(c.enabled);
  CHECK(c.notice_page.to_string() == "198.51.100.80:80");
  CHECK(c.apply_command == std::vector<std::string>{"nft", "-f", "{file}"});
  CHECK_THROWS_WITH_AS(load("[enforce]\nnotice_page = \"garden.isp.example:80\"\n"),
                       "bw.toml:2: enforce.notice_page: 'garden.isp.example:80' is not an IPv4 address:port such as "
                       "\"198.51.100.80:80\"",
                       ConfigError);
  CHECK_THROWS_WITH_AS(load("[enforce]\nnotice_page = \"10.0.0.1:70000\"\n"),
                       doctest::Contains("'10.0.0.1:70000' is not an IPv4 address:port"), ConfigError);
  CHECK_THROWS_WITH_AS(load("[enforce]\nnotice_page6 = \"2001:db8::1:80\"\n"),
                       "bw.toml:2: enforce.notice_page6: '2001:db8::1:80' is not an [IPv6 address]:port such as "
                       "\"[2001:db8::80]:80\"",
                       ConfigError);
  CHECK_THROWS_WITH_AS(load("[enforce]\nallow = [\"0.0.0.0/0\"]\n"),
                       "bw.toml:2: enforce.allow: '0.0.0.0/0' would allow everything; list addresses and prefixes",
                       ConfigError);
  CHECK_THROWS_WITH_AS(load("[enforce]\nallow = [\"updates.example.com\"]\n"),
                       doctest::Contains("enforce.allow"), ConfigError);
  CHECK_THROWS_WITH_AS(load("[enforce]\napply_command = []\n"),
                       "bw.toml:2: enforce.apply_command: must name a program, e.g. [\"nft\", \"-f\", \"{file}\"]",
                       ConfigError);
  CHECK_THROWS_WITH_AS(load("[enforce]\nblock = \"tarpit\"\n"), doctest::Contains("enforce.block"), ConfigError);
}

TEST_CASE("the apply command runs without a shell and reports failures") {
  CHECK(run_command({"true"}, "x") == "");
  CHECK(run_command({"sh", "-c", "echo oops >&2; exit 3", "{file}"}, "f") == "sh -c echo oops >&2; exit 3 f exited with status 3: oops");
  CHECK(run_command({"/nonexistent/nft", "-f", "{file}"}, "a b") == "/nonexistent/nft -f a b: cannot run: No such file or directory");
  // A hung command is killed: also one that closed its output and hangs on.
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(run_command({"sleep", "30"}, "f", 0.3) == "sleep 30 timed out after 0.3 s");
  CHECK(run_command({"sh", "-c", "exec >&- 2>&-; sleep 30"}, "f", 0.3) ==
        "sh -c exec >&- 2>&-; sleep 30 timed out after 0.3 s");
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  // A file name with shell metacharacters is one argument, never interpreted.
  TempDir dir;
  const auto weird = (dir.path / "x; touch pwned").string();
  CHECK(run_command({"test", "!", "-e", "{file}"}, weird) == "");
  CHECK_FALSE(std::filesystem::exists(dir.path / "pwned"));
}

TEST_CASE("the enforcer applies only when the walled set changes, and retries a failed apply") {
  TempDir dir;
  EnforceConfig config = sample_config();
  config.nft_file = (dir.path / "wg.nft").string();
  config.ipset_file = (dir.path / "wg.ipset").string();
  config.apply_command = {"nft", "-c", "-f", "{file}"};
  Enforcer enforcer(config);
  auto r = enforcer.sync(sample_walled());
  CHECK(r.changed);
  CHECK(r.applied);
  CHECK(r.error == "");
  CHECK(read(config.nft_file) == render_nft_ruleset(config, sample_walled()));
  CHECK(read(config.ipset_file) == render_ipset_restore(config, sample_walled()));
  r = enforcer.sync(sample_walled());
  CHECK_FALSE(r.changed);
  // Releasing acct-2 removes its prefixes.
  auto released = sample_walled();
  released.pop_back();
  r = enforcer.sync(released);
  CHECK(r.applied);
  CHECK(read(config.nft_file).find("100.64.8.0/24") == std::string::npos);
  CHECK(read(config.nft_file).find("100.64.0.7") != std::string::npos);
  CHECK(enforcer.applied_count() == 2);

  EnforceConfig failing = config;
  failing.apply_command = {"false"};
  Enforcer broken(failing);
  r = broken.sync(released);
  CHECK(r.changed);
  CHECK_FALSE(r.applied);
  CHECK(r.error == "false exited with status 1");
  CHECK(broken.sync(released).changed);  // not recorded as applied: tried again
}

namespace {
void add_lease(store::SqliteStore& db, const char* prefix, const char* account, Micros start, Micros end,
               const char* source, const char* key) {
  mapping::Lease l;
  l.prefix = P(prefix);
  l.account = account;
  l.start = start;
  l.end = end;
  l.source = source;
  l.source_key = key;
  db.upsert_lease(l);
}
}  // namespace

TEST_CASE("walled prefixes come from the store: current leases of walled incidents only") {
  TempDir dir;
  store::SqliteStore db((dir.path / "bw.db").string());
  const auto lease = [&](const char* prefix, const char* account, Micros start, Micros end, const char* key) {
    add_lease(db, prefix, account, start, end, "static", key);
  };
  lease("100.64.0.7/32", "acct-1", kNow - 86400 * kSecond, mapping::kOpenEnd, "k1");
  lease("2001:db8:1000:100::/56", "acct-1", kNow - 86400 * kSecond, mapping::kOpenEnd, "k2");
  lease("100.64.0.9/32", "acct-2", kNow - 86400 * kSecond, kNow - 10 * kSecond, "k3");  // expired: given back
  lease("100.64.0.9/32", "acct-3", kNow - 10 * kSecond, mapping::kOpenEnd, "k4");       // now someone else's
  const auto incident = [&](const char* account, const char* subscriber, incident::State state, const char* token) {
    store::IncidentRecord r;
    r.account = account;
    r.subscriber = subscriber;
    r.state = state;
    r.opened_at = r.state_since = r.first_detection = r.last_detection = kNow - 3600 * kSecond;
    r.detectors = {"bad_helo"};
    r.token = token;
    return db.insert_incident(r);
  };
  const auto one = incident("acct-1", "100.64.0.7", incident::State::walled_garden, "t1");
  store::EventRecord e;
  e.id = "0123456789abcdef0123456789abcdef";
  e.json = "{}";
  e.subscriber = "2001:db8:1000:100::/64";
  e.detector = "bad_helo";
  e.sensor = "s";
  e.ts = e.received_at = kNow - 3600 * kSecond;
  e.incident_id = one;
  db.insert_event(e);
  incident("acct-2", "100.64.0.9", incident::State::walled_garden, "t2");
  incident("acct-4", "100.64.0.44", incident::State::notified, "t4");

  const auto walled = collect_walled(db, kNow);
  REQUIRE(walled.size() == 1);
  CHECK(walled[0].account == "acct-1");
  CHECK(walled[0].incident_id == one);
  REQUIRE(walled[0].prefixes.size() == 2);
  CHECK(walled[0].prefixes[0].to_string() == "100.64.0.7/32");
  CHECK(walled[0].prefixes[1].to_string() == "2001:db8:1000:100::/56");  // the whole delegation

  auto r = *db.find_incident(one);
  r.state = incident::State::acknowledged;
  db.update_incident(r);
  CHECK(collect_walled(db, kNow).empty());
}

TEST_CASE("a walled account stays walled on its new address, and a taken-over address is never walled") {
  TempDir dir;
  store::SqliteStore db((dir.path / "bw.db").string());
  const auto lease = [&](const char* prefix, const char* account, Micros start, Micros end, const char* key) {
    add_lease(db, prefix, account, start, end, "kea4", key);
  };
  // Detected on .7; DHCP gave the customer .8 an hour ago (.7 went back).
  lease("100.64.0.7/32", "acct-1", kNow - 86400 * kSecond, kNow - 3600 * kSecond, "k1");
  lease("100.64.0.8/32", "acct-1", kNow - 3600 * kSecond, kNow + 86400 * kSecond, "k2");
  // A lease of acct-1 on .20 whose end lies ahead, but .20 has been leased to
  // acct-9 since (a missed release): acct-9 must not be walled.
  lease("100.64.0.20/32", "acct-1", kNow - 7200 * kSecond, kNow + 86400 * kSecond, "k3");
  lease("100.64.0.20/32", "acct-9", kNow - 600 * kSecond, kNow + 86400 * kSecond, "k4");
  store::IncidentRecord r;
  r.account = "acct-1";
  r.subscriber = "100.64.0.7";
  r.state = incident::State::walled_garden;
  r.opened_at = r.state_since = r.first_detection = r.last_detection = kNow - 7200 * kSecond;
  r.detectors = {"direct_to_mx"};
  r.token = "t1";
  db.insert_incident(r);

  const auto walled = collect_walled(db, kNow);
  REQUIRE(walled.size() == 1);
  REQUIRE(walled[0].prefixes.size() == 1);
  CHECK(walled[0].prefixes[0].to_string() == "100.64.0.8/32");
  // Its lease ends: nothing left to wall (the incident stays walled).
  CHECK(collect_walled(db, kNow + 2 * 86400 * kSecond).empty());
}

TEST_CASE("the shipped configs/botwarden.toml has a valid [enforce] section whose ruleset nft accepts") {
  const auto c = load_enforce_config(ConfigFile::load(BOTWARDEN_SOURCE_DIR "/configs/botwarden.toml"));
  CHECK(c.nft_file == BOTWARDEN_SOURCE_DIR "/configs/walled-garden.nft");
  TempDir dir;
  const auto file = (dir.path / "shipped.nft").string();
  std::ofstream(file) << render_nft_ruleset(c, sample_walled());
  CHECK(run_command({"nft", "-c", "-f", "{file}"}, file) == "");
}

TEST_CASE("GET /api/v1/walled-garden answers loopback clients with the JSON and refuses others") {
  TempDir dir;
  store::SqliteStore db((dir.path / "bw.db").string());
  mapping::Lease l;
  l.prefix = P("100.64.0.7");
  l.account = "acct-1";
  l.start = 0;
  l.end = mapping::kOpenEnd;
  l.source = "static";
  l.source_key = "k";
  db.upsert_lease(l);
  store::IncidentRecord r;
  r.account = "acct-1";
  r.subscriber = "100.64.0.7";
  r.state = incident::State::walled_garden;
  r.opened_at = r.state_since = r.first_detection = r.last_detection = kNow - 60 * kSecond;
  r.token = "t";
  db.insert_incident(r);
  const EnforceConfig config = load_enforce_config(ConfigFile::parse("[enforce]\nnotice_page = \"10.0.0.8:80\"\n", "x"));
  const WalledGardenApi api(db, config, [] { return kNow; });
  web::Request q{web::Verb::get, "/api/v1/walled-garden", 11};
  web::RequestContext ctx;
  ctx.client = *IpAddress::parse("127.0.0.1");
  auto resp = api.handle_get(q, ctx);
  CHECK(resp.result() == web::Status::ok);
  CHECK(resp[boost::beast::http::field::content_type] == "application/json");
  CHECK(resp.body() == render_walled_garden_json(config, collect_walled(db, kNow), kNow));
  CHECK(resp.body().find("\"prefixes\": [\n        \"100.64.0.7/32\"\n      ]") != std::string::npos);
  ctx.client = *IpAddress::parse("::1");
  CHECK(api.handle_get(q, ctx).result() == web::Status::ok);
  ctx.client = *IpAddress::parse("100.64.0.7");  // a subscriber must not list other subscribers
  CHECK(api.handle_get(q, ctx).result() == web::Status::forbidden);
  q.method(web::Verb::post);
  ctx.client = *IpAddress::parse("127.0.0.1");
  resp = api.handle_get(q, ctx);
  CHECK(resp.result() == web::Status::method_not_allowed);
  CHECK(resp[boost::beast::http::field::allow] == "GET, HEAD");
}
