// `notices send|list` and the serve outbox thread (see notices_command.hpp).
#include "notices_command.hpp"

#include "sensor/common/time.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ostream>

namespace botwarden::notices {
namespace {

constexpr int kOk = 0, kUsage = 2;  // store and network errors throw: main exits 1

}  // namespace

std::unique_ptr<NoticesCommand> add_notices_command(CLI::App& app) {
  auto c = std::make_unique<NoticesCommand>();
  c->command = app.add_subcommand("notices", "the email outbox: send due notices now, list notices");
  c->command->require_subcommand(1);
  c->send = c->command->add_subcommand(
      "send", "one outbox round: queue the notices open incidents call for, send the due ones ([notices])");
  c->send->add_option("--now", c->now, "act as if it were this RFC 3339 time (replays of past captures, tests)");
  c->list = c->command->add_subcommand("list", "notices, oldest first: id status attempts stage to subject | error");
  c->list->add_option("--status", c->status, "only this status")
      ->check(CLI::IsMember({"queued", "sending", "sent", "failed"}));
  c->list->add_option("--limit", c->limit, "at most this many")->check(CLI::Range(1, 1000000));
  return c;
}

int run_notices_command(const NoticesCommand& command, store::Store& store, incident::IncidentManager& incidents,
                        const ConfigFile& file, std::ostream& out, std::ostream& err) {
  if (command.list->parsed()) {
    store::NoticeFilter filter;
    filter.limit = command.limit;
    if (!command.status.empty()) filter.status = store::parse_notice_status(command.status);
    for (const auto& n : store.list_notices(filter)) {
      out << n.id << "  " << store::to_string(n.status) << "  " << n.attempts << "  " << n.stage << "  " << n.to
          << "  " << n.subject;
      if (!n.last_error.empty()) out << " | " << n.last_error;
      out << "\n";
    }
    return kOk;
  }
  Micros now = wall_clock_now();
  if (!command.now.empty()) {
    const auto parsed = parse_rfc3339(command.now);
    if (!parsed) {
      err << "botwarden-notifier: --now: not an RFC 3339 timestamp: " << command.now << "\n";
      return kUsage;
    }
    now = *parsed;
  }
  NoticesConfig config;
  std::unique_ptr<TemplateCatalog> templates;
  try {
    config = load_notices_config(file);
    templates = std::make_unique<TemplateCatalog>(TemplateCatalog::load(config.templates_dir));
  } catch (const ConfigError& e) {
    err << "botwarden-notifier: " << e.what() << "\n";
    return kUsage;
  } catch (const TemplateError& e) {
    err << "botwarden-notifier: " << e.what() << "\n";
    return kUsage;
  }
  Outbox outbox(store, *templates, config.notice, config.outbox);
  const SmtpSender sender(config.smtp);
  const auto round = run_outbox_round(outbox, sender, now, [&](store::IncidentId id, Micros at) {
    incidents.record_notice_sent(id, at);
  });
  out << "queued " << round.plan.queued << ", sent " << round.run.sent << ", retry " << round.run.retried
      << ", failed " << round.run.failed << "\n";
  return kOk;
}

OutboxService::OutboxService(store::Store& store, incident::IncidentManager& incidents, const ConfigFile& file)
    : config_(load_notices_config(file)) {
  if (!config_.enabled) {
    spdlog::info("notices: disabled ([notices] enabled = false)");
    return;
  }
  templates_ = std::make_unique<TemplateCatalog>(TemplateCatalog::load(config_.templates_dir));
  outbox_ = std::make_unique<Outbox>(store, *templates_, config_.notice, config_.outbox);
  sender_ = std::make_unique<SmtpSender>(config_.smtp);
  thread_ = std::jthread([this, &incidents](std::stop_token stop) {
    run_outbox_loop(*outbox_, *sender_, config_.poll_seconds,
                    [&incidents](store::IncidentId id, Micros at) { incidents.record_notice_sent(id, at); }, stop);
  });
  spdlog::info("notices: outbox sending via {} every {} s", config_.smtp.url, config_.poll_seconds);
}

OutboxService::~OutboxService() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

}  // namespace botwarden::notices
