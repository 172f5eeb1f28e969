// `enforce` and the serve enforcer thread (see enforce_command.hpp).
#include "enforce_command.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ostream>

#include "notifier/enforce/ruleset.hpp"

namespace botwarden::enforce {
namespace {

constexpr int kOk = 0, kFailed = 1, kUsage = 2;

}  // namespace

std::unique_ptr<EnforceCommand> add_enforce_command(CLI::App& app) {
  auto c = std::make_unique<EnforceCommand>();
  c->command = app.add_subcommand(
      "enforce", "walled garden: write the nftables and ipset files from the store and apply them once ([enforce])");
  c->command->add_flag("--print", c->print, "print the nftables ruleset to stdout; write and apply nothing");
  return c;
}

int run_enforce_command(const EnforceCommand& command, store::Store& store, const ConfigFile& file, std::ostream& out,
                        std::ostream& err) {
  EnforceConfig config;
  try {
    config = load_enforce_config(file);
  } catch (const ConfigError& e) {
    err << "botwarden-notifier: " << e.what() << "\n";
    return kUsage;
  }
  const auto walled = collect_walled(store, wall_clock_now());
  if (command.print) {
    out << render_nft_ruleset(config, walled);
    return kOk;
  }
  Enforcer enforcer(config);
  const auto r = enforcer.sync(walled);
  if (!r.applied) {
    err << "botwarden-notifier: walled garden written but not applied: " << r.error << "\n";
    return kFailed;
  }
  out << "applied: " << walled.size() << " walled subscribers\n";
  return kOk;
}

EnforceService::EnforceService(store::Store& store, const ConfigFile& file) {
  auto config = load_enforce_config(file);
  if (!config.enabled) {
    spdlog::info("enforce: disabled ([enforce] enabled = false)");
    return;
  }
  enforcer_ = std::make_unique<Enforcer>(std::move(config));
  thread_ = std::thread([this, &store] { enforcer_->run(store, stop_); });
  spdlog::info("enforce: walled garden applied with '{}' on change", enforcer_->config().apply_command.front());
}

EnforceService::~EnforceService() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace botwarden::enforce
