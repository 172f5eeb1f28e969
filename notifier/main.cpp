// botwarden-notifier: wiring only (CLI -> config -> store -> ingest/incident -> output).
// g++-12 reports a false -Wnull-dereference inside CLI11's string splitting
// (CLI/StringTools.hpp, inlined std::string moves); silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>

#include "botwarden/version.hpp"
#include "notifier/config/notifier_config.hpp"
#include "notifier/enforce/enforce_command.hpp"
#include "notifier/enforce/walled_garden_api.hpp"
#include "notifier/incident/incident_json.hpp"
#include "notifier/incident/manager.hpp"
#include "notifier/ingest/events_api.hpp"
#include "notifier/ingest/import_leases.hpp"
#include "notifier/ingest/ingester.hpp"
#include "notifier/mapping/parsers.hpp"
#include "notifier/notices/notices_command.hpp"
#include "notifier/report/month_gauges.hpp"
#include "notifier/report/report_command.hpp"
#include "notifier/report/report_config.hpp"
#include "notifier/report/sqlite_report_source.hpp"
#include "notifier/store/sqlite_store.hpp"
#include "sensor/common/log.hpp"
#include "web/pages/pages.hpp"
#include "web/server/server.hpp"

namespace {

using namespace botwarden;

constexpr int kOk = 0, kFailed = 1, kUsage = 2;
constexpr Micros kDay = 24LL * 3600 * kMicrosPerSecond;

struct Notifier {
  NotifierConfig config;
  store::SqliteStore store;
  incident::IncidentManager incidents;
  ingest::Ingester ingester;
  explicit Notifier(NotifierConfig c)
      : config(std::move(c)),
        store(config.database, static_cast<int>(config.busy_timeout_ms)),
        incidents(store, config.policy),
        ingester(store, incidents) {}
};

int run_ingest(Notifier& n, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "botwarden-notifier: " << path << ": cannot open file\n";
    return kFailed;
  }
  const auto counts = n.ingester.ingest_jsonl(in, wall_clock_now(), [&](std::size_t line, const auto& r) {
    if (r.status == ingest::EventStatus::rejected) std::cerr << path << ":" << line << ": " << r.reason << "\n";
  });
  std::cout << "accepted " << counts.accepted << ", duplicate " << counts.duplicate << ", rejected "
            << counts.rejected << "\n";
  return counts.rejected ? kFailed : kOk;
}

int run_import(Notifier& n, const std::string& format_name, const std::string& path, const std::string& identity,
               const std::string& identities_path) {
  // The brief's names and the mapping parsers' names are both accepted.
  const std::string name = format_name == "static-csv" ? "static-assignments"
                           : format_name == "accounts" ? "static-accounts"
                                                       : format_name;
  const auto format = mapping::format_from_name(name);
  mapping::ParseOptions options;
  options.identity = *mapping::identity_from_name(identity);
  mapping::IdentityResult identities;
  if (!identities_path.empty()) {
    identities = mapping::parse_identity_csv_file(identities_path);
    for (const auto& p : identities.result.problems) std::cerr << p.to_string() << "\n";
    options.identities = &identities.identities;
  }
  const auto parsed = mapping::parse_file(*format, path, options);
  for (const auto& p : parsed.problems) std::cerr << p.to_string() << "\n";
  if (parsed.problem_count > parsed.problems.size()) {
    std::cerr << path << ": " << parsed.problem_count - parsed.problems.size() << " more problems\n";
  }
  const auto counts = ingest::import_mapping(n.store, parsed);
  std::cout << "leases new " << counts.leases_new << ", updated " << counts.leases_updated << "; accounts "
            << counts.accounts << "; skipped " << parsed.skipped << "; problems " << parsed.problem_count << "\n";
  return parsed.problem_count + identities.result.problem_count ? kFailed : kOk;
}

int run_list(Notifier& n, const std::string& state, bool as_json, std::size_t limit) {
  store::IncidentFilter filter;
  if (!state.empty()) filter.state = incident::parse_state(state);
  filter.limit = limit;
  const auto incidents = n.store.list_incidents(filter);
  if (as_json) {
    auto out = nlohmann::json::array();
    for (const auto& r : incidents) out.push_back(incident::to_json(r));
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& r : incidents) std::cout << incident::format_line(r) << "\n";
  }
  return kOk;
}

int run_show(Notifier& n, store::IncidentId id, bool as_json) {
  const auto r = n.store.find_incident(id);
  if (!r) {
    std::cerr << "botwarden-notifier: no incident " << id << "\n";
    return kFailed;
  }
  const auto log = n.store.transitions_of(id);
  if (as_json) {
    auto out = incident::to_json(*r);
    out["transitions"] = nlohmann::json::array();
    for (const auto& t : log) out["transitions"].push_back(incident::to_json(t));
    std::cout << out.dump(2) << "\n";
    return kOk;
  }
  std::cout << incident::format_line(*r) << "\n";
  for (const auto& t : log) std::cout << "  " << incident::format_line(t) << "\n";
  return kOk;
}

int run_action(Notifier& n, incident::Action action, store::IncidentId id, const std::string& operator_name,
               const std::string& reason) {
  const auto result =
      n.incidents.apply(id, action, {operator_name, incident::ActorKind::operator_}, reason, wall_clock_now());
  if (!result.applied) {
    std::cerr << "botwarden-notifier: incident " << id << ": " << result.reason << "\n";
    return kFailed;
  }
  std::cout << "incident " << id << ": " << incident::to_string(result.from) << " -> "
            << incident::to_string(result.to) << "\n";
  return kOk;
}

int run_tick(Notifier& n, Micros now) {
  const auto moved = n.incidents.tick(now);
  const auto purged = n.store.purge_evidence_before(now - n.config.retention_days * kDay);
  std::cout << "transitions " << moved.total();
  for (const auto& [action, count] : moved.transitions) std::cout << ", " << action << " " << count;
  std::cout << "; evidence purged from " << purged.events_purged << " events\n";
  return kOk;
}

// Time-based transitions and evidence retention, every tick_interval_seconds.
void tick_once(Notifier& n) {
  try {
    const auto now = wall_clock_now();
    const auto moved = n.incidents.tick(now);
    const auto purged = n.store.purge_evidence_before(now - n.config.retention_days * kDay);
    if (moved.total() || purged.events_purged) {
      spdlog::info("tick: {} transitions, evidence purged from {} events", moved.total(), purged.events_purged);
    }
  } catch (const std::exception& e) {
    spdlog::error("tick: {}", e.what());  // the next tick tries again
  }
}

int run_serve(Notifier& n, const ConfigFile& file) {
  const auto web_config = web::load_web_config(file);
  std::vector<ingest::SensorCredential> sensors;
  for (const auto& s : n.config.sensors) sensors.push_back({s.name, s.token});
  if (sensors.empty()) spdlog::warn("no [[notifier.sensors]]: POST /api/v1/events will answer 401");
  const auto body_limit = static_cast<std::size_t>(n.config.body_limit_bytes);
  ingest::EventsApi events(n.ingester, sensors, {body_limit, static_cast<std::size_t>(n.config.max_events_per_batch)},
                           wall_clock_now);
  web::Router router;
  // The web pages: walled-garden notice (fallback), cleanup link, console, ops API, /metrics,
  // the metrics report (/console/report, /api/v1/report, botwarden_report_* gauges).
  auto server_metrics = std::make_shared<web::ServerMetrics>();
  const auto report_config = report::load_report_config(file);
  const auto open_report_source = [database = n.config.database] {
    return std::make_unique<report::SqliteReportSource>(database);
  };
  std::shared_ptr<report::MonthGauges> report_gauges;
  if (report_config.metrics_cache_seconds > 0) {
    report_gauges = std::make_shared<report::MonthGauges>(open_report_source, report_config.zone,
                                                          report_config.metrics_cache_seconds * kMicrosPerSecond);
  }
  const auto pages = web::register_pages(
      router, {n.store, n.incidents, web::load_pages_config(file), wall_clock_now, server_metrics,
               [&events] {
                 const auto t = events.totals();
                 return web::IngestTotals{t.accepted,          t.duplicate,         t.rejected,
                                          t.batches_unauthorized, t.batches_malformed, t.batches_too_large,
                                          t.batches_store_failure};
               },
               std::make_shared<web::ReportPage>(open_report_source, report_config.zone, wall_clock_now),
               report_gauges});
  router.add(
      web::Verb::post, "/api/v1/events",
      [&events](const web::Request& request, const web::RequestContext&) { return events.handle_events_post(request); },
      {.body_limit = body_limit});
  enforce::WalledGardenApi walled_garden(n.store, enforce::load_enforce_config(file), wall_clock_now);
  router.add(web::Verb::get, "/api/v1/walled-garden",
             [&walled_garden](const web::Request& q, const web::RequestContext& c) { return walled_garden.handle_get(q, c); });
  notices::OutboxService outbox(n.store, n.incidents, file);  // [notices]: thread when enabled
  enforce::EnforceService enforcer(n.store, file);             // [enforce]: thread when enabled
  web::Server server(web_config, std::move(router), server_metrics);
  server.start();
  for (const auto& endpoint : server.bound_endpoints()) spdlog::info("listening on {}", endpoint.to_string());

  std::mutex mutex;
  std::condition_variable_any wake;
  std::jthread ticker([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      tick_once(n);
      std::unique_lock lock(mutex);
      wake.wait_for(lock, stop, std::chrono::seconds(n.config.tick_interval_seconds), [] { return false; });
    }
  });
  server.run_until_signal();  // SIGINT/SIGTERM: in-flight requests finish, then it returns
  ticker.request_stop();
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"botwarden-notifier: incidents, notices, walled garden and web for botwarden"};
  app.footer(
      "Exit codes: 0 success; 1 runtime error (store, network or I/O), refused action, or rejected input "
      "(the rest was stored); 2 bad command line or configuration.");
  app.set_version_flag("--version", std::string("botwarden-notifier ") + botwarden::kVersion);
  app.require_subcommand(1);
  std::string config_path = "configs/botwarden.toml";
  app.add_option("-c,--config", config_path, "configuration file (TOML)");

  auto* serve_cmd = app.add_subcommand(
      "serve", "serve POST /api/v1/events on the [web] endpoints and run tick every tick_interval_seconds; "
               "SIGINT/SIGTERM stop it gracefully");
  auto* check = app.add_subcommand("check", "validate the configuration and open (and migrate) the database");

  std::string jsonl;
  auto* ingest_cmd = app.add_subcommand("ingest", "ingest detection events from a JSON lines file (offline)");
  ingest_cmd->add_option("FILE", jsonl, "events, one JSON object per line")->required();

  std::string format, lease_file, identity = "hwaddr", identities_file;
  auto* import_cmd = app.add_subcommand("import-leases", "import a lease, accounting or accounts file");
  import_cmd
      ->add_option("--format", format,
                   "kea4, kea6, dhcpd, radius, static-csv (prefix,account,start,end) or accounts "
                   "(account,email,language,business,exempt,name)")
      ->required()
      ->check(CLI::IsMember({"kea4", "kea6", "dhcpd", "radius", "static-csv", "accounts", "static-assignments",
                             "static-accounts"}));
  import_cmd->add_option("FILE", lease_file, "the file")->required()->check(CLI::ExistingFile);
  import_cmd->add_option("--identity", identity, "DHCP client identity looked up in --identities")
      ->check(CLI::IsMember({"hwaddr", "client_id", "duid"}));
  import_cmd->add_option("--identities", identities_file, "CSV identity,account for leases without an account")
      ->check(CLI::ExistingFile);

  auto* incidents_cmd = app.add_subcommand("incidents", "list or show incidents");
  incidents_cmd->require_subcommand(1);
  std::string state;
  bool as_json = false;
  std::size_t limit = 1000;
  auto* list_cmd = incidents_cmd->add_subcommand("list", "list incidents, oldest first");
  std::vector<std::string> state_names;
  for (const auto s : incident::all_states()) state_names.emplace_back(incident::to_string(s));
  list_cmd->add_option("--state", state, "only this state")->check(CLI::IsMember(state_names));
  list_cmd->add_flag("--json", as_json, "JSON array instead of lines");
  list_cmd->add_option("--limit", limit, "at most this many")->check(CLI::Range(1, 1000000));
  store::IncidentId incident_id = 0;
  auto* show_cmd = incidents_cmd->add_subcommand("show", "one incident with its audit log");
  show_cmd->add_option("ID", incident_id, "incident id")->required();
  show_cmd->add_flag("--json", as_json, "JSON instead of lines");

  // Operator actions on one incident, each audited with operator and reason.
  std::string operator_name, reason;
  std::vector<std::pair<CLI::App*, incident::Action>> actions;
  for (const auto& [name, action, help] :
       {std::tuple{"release", incident::Action::operator_release, "release from the walled garden (operator)"},
        std::tuple{"escalate", incident::Action::operator_escalate, "hand an incident to a human"},
        std::tuple{"exempt", incident::Action::operator_exempt, "record, never notify"},
        std::tuple{"close", incident::Action::operator_close, "resolve now"},
        std::tuple{"reopen", incident::Action::operator_reopen, "reopen a resolved incident"}}) {
    auto* cmd = app.add_subcommand(name, help);
    cmd->add_option("ID", incident_id, "incident id")->required();
    cmd->add_option("--operator", operator_name, "who acts (audited)")->required();
    cmd->add_option("--reason", reason, "why (audited)")->required();
    actions.emplace_back(cmd, action);
  }

  std::string backup_file;
  auto* backup_cmd = app.add_subcommand("backup", "copy the database online (SQLite backup API)");
  backup_cmd->add_option("FILE", backup_file, "new file (never overwritten)")->required();

  std::string now_text;
  const auto report_cmd = report::add_report_command(app);  // notifier/report/report_command.hpp

  const auto notices_cmd = notices::add_notices_command(app);  // notifier/notices/notices_command.hpp
  const auto enforce_cmd = enforce::add_enforce_command(app);  // notifier/enforce/enforce_command.hpp

  auto* tick_cmd = app.add_subcommand("tick", "apply time-based transitions and evidence retention now");
  tick_cmd->add_option("--now", now_text, "act as if it were this RFC 3339 time (tests, replays)");

  // Every subcommand's --help states the exit codes too.
  const std::function<void(CLI::App*)> add_footer = [&](CLI::App* command) {
    for (auto* sub : command->get_subcommands({})) {
      if (sub->get_footer().empty()) sub->footer(app.get_footer());
      add_footer(sub);
    }
  };
  add_footer(&app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kOk : kUsage;
  }

  std::optional<Micros> now;
  if (!now_text.empty()) {
    now = parse_rfc3339(now_text);
    if (!now) {
      std::cerr << "botwarden-notifier: --now: not an RFC 3339 timestamp: " << now_text << "\n";
      return kUsage;
    }
  }

  NotifierConfig config;
  std::optional<ConfigFile> file;
  try {
    file.emplace(ConfigFile::load(config_path));
    config = load_notifier_config(*file);
    if (serve_cmd->parsed()) web::load_web_config(*file);  // [web] errors are configuration errors too
    if (serve_cmd->parsed()) web::load_pages_config(*file);  // [pages] too
    if (serve_cmd->parsed()) report::load_report_config(*file);  // [report] too
    notices::load_notices_config(*file);                    // [notices] and [enforce] too, for every command
    enforce::load_enforce_config(*file);
    setup_logging("notifier", config.log_level);
  } catch (const ConfigError& e) {
    std::cerr << "botwarden-notifier: " << e.what() << "\n";
    return kUsage;
  }

  try {
    if (report_cmd->command->parsed()) {  // read-only: never opens the store for writing
      return report::run_report_command(*report_cmd, config_path, config.database, std::cout, std::cerr);
    }
    Notifier n(config);
    if (check->parsed()) {
      std::cout << "configuration " << config_path << " valid; database " << config.database << " at schema version "
                << n.store.schema_version() << "\n";
      return kOk;
    }
    if (serve_cmd->parsed()) return run_serve(n, *file);
    if (ingest_cmd->parsed()) return run_ingest(n, jsonl);
    if (import_cmd->parsed()) return run_import(n, format, lease_file, identity, identities_file);
    if (list_cmd->parsed()) return run_list(n, state, as_json, limit);
    if (show_cmd->parsed()) return run_show(n, incident_id, as_json);
    for (const auto& [cmd, action] : actions) {
      if (cmd->parsed()) return run_action(n, action, incident_id, operator_name, reason);
    }
    if (backup_cmd->parsed()) {
      n.store.backup_to(backup_file);
      std::cout << "backup written to " << backup_file << "\n";
      return kOk;
    }
    if (tick_cmd->parsed()) return run_tick(n, now.value_or(wall_clock_now()));
    if (notices_cmd->command->parsed())
      return notices::run_notices_command(*notices_cmd, n.store, n.incidents, *file, std::cout, std::cerr);
    if (enforce_cmd->command->parsed()) return enforce::run_enforce_command(*enforce_cmd, n.store, *file, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "botwarden-notifier: " << e.what() << "\n";
    return kFailed;
  }
  return kUsage;
}
