// `botwarden-notifier enforce` and the enforcer thread of `serve`, so
// main.cpp only wires them.
//   botwarden-notifier enforce [--print]
//       --print: write the nftables ruleset to stdout, change nothing;
//       else write nft_file and ipset_file and run apply_command once:
//       "applied: N walled subscribers" (exit 1 with the command's output when it fails).
// Exit codes: 0 done, 1 store or apply error, 2 bad configuration.
#pragma once
#include <CLI/CLI.hpp>

#include <atomic>
#include <iosfwd>
#include <memory>
#include <thread>

#include "notifier/enforce/enforcer.hpp"
#include "sensor/common/config.hpp"

namespace botwarden::enforce {

struct EnforceCommand {
  CLI::App* command = nullptr;
  bool print = false;
};

std::unique_ptr<EnforceCommand> add_enforce_command(CLI::App& app);

int run_enforce_command(const EnforceCommand& command, store::Store& store, const ConfigFile& file, std::ostream& out,
                        std::ostream& err);

// The enforcer of `serve`: when [enforce] enabled, a thread runs
// Enforcer::run (poll, regenerate on change, apply). Stops when destroyed.
class EnforceService {
 public:
  EnforceService(store::Store& store, const ConfigFile& file);
  ~EnforceService();
  EnforceService(const EnforceService&) = delete;
  EnforceService& operator=(const EnforceService&) = delete;
  bool running() const { return thread_.joinable(); }

 private:
  std::unique_ptr<Enforcer> enforcer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace botwarden::enforce
