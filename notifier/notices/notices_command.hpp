// `botwarden-notifier notices ...` and the outbox thread of `serve`, so
// main.cpp only wires them.
//   botwarden-notifier notices send [--now T]  one outbox round now (or as if at
//       RFC 3339 time T: replays of past captures):
//       "queued N, sent N, retry N, failed N"
//   botwarden-notifier notices list [--status queued|sending|sent|failed] [--limit N]
//       one notice per line: id status attempts stage to subject | last_error
// Exit codes: 0 done, 1 store or network error, 2 bad configuration or templates.
#pragma once
#include <CLI/CLI.hpp>

#include <iosfwd>
#include <memory>
#include <string>
#include <thread>

#include "notifier/incident/manager.hpp"
#include "notifier/notices/notices_config.hpp"
#include "notifier/notices/outbox.hpp"
#include "notifier/store/store.hpp"
#include "sensor/common/config.hpp"

namespace botwarden::notices {

struct NoticesCommand {
  CLI::App* command = nullptr;
  CLI::App* send = nullptr;
  CLI::App* list = nullptr;
  std::string status;
  std::string now;  // notices send --now (RFC 3339); empty: the wall clock
  std::size_t limit = 1000;
};

std::unique_ptr<NoticesCommand> add_notices_command(CLI::App& app);

int run_notices_command(const NoticesCommand& command, store::Store& store, incident::IncidentManager& incidents,
                        const ConfigFile& file, std::ostream& out, std::ostream& err);

// The outbox worker of `serve`: when [notices] enabled, a thread runs
// run_outbox_loop every poll_seconds; sent notices are recorded with the
// incident manager (notice_sent). Stops and joins when destroyed.
// Throws ConfigError / TemplateError at construction.
class OutboxService {
 public:
  OutboxService(store::Store& store, incident::IncidentManager& incidents, const ConfigFile& file);
  ~OutboxService();
  OutboxService(const OutboxService&) = delete;
  OutboxService& operator=(const OutboxService&) = delete;
  bool running() const { return thread_.joinable(); }

 private:
  NoticesConfig config_;
  std::unique_ptr<TemplateCatalog> templates_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<SmtpSender> sender_;
  std::jthread thread_;
};

}  // namespace botwarden::notices
