// The enforcer: reads who is walled from the store, regenerates the
// walled-garden files when the set changed, and applies them with the
// configured command (default `nft -f FILE`). A failed apply is retried at
// the next poll; the files on disk always hold the last rendered state.
#pragma once
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "notifier/enforce/enforce_config.hpp"
#include "notifier/enforce/ruleset.hpp"
#include "notifier/store/store.hpp"

namespace botwarden::enforce {

// The walled_garden incidents and the prefixes their accounts hold at `now`:
// every address the incident was detected on whose current lease still
// belongs to the account (the lease's whole prefix is walled: a /56
// delegation, a /32), or the detected prefix itself for an unattributed
// incident. Released accounts (incident out of walled_garden) are absent.
std::vector<WalledEntry> collect_walled(store::Store& store, Micros now);

struct ApplyResult {
  bool changed = false;  // the rendered ruleset differed from the last applied one
  bool applied = false;  // the apply command ran and exited 0
  std::string error;     // the command's exit status and output when it failed
};

// Runs argv (no shell) with "{file}" replaced by `file`; returns "" on
// exit status 0, else "COMMAND exited with status N: OUTPUT". A command still
// running after `timeout_seconds` is killed (SIGKILL): "COMMAND timed out
// after N s". A hung nft must not stop the walled garden from being retried.
std::string run_command(const std::vector<std::string>& argv, const std::string& file, double timeout_seconds = 30);

// Writes `text` to `path` atomically (temporary file in the same folder,
// fsync, rename). Throws std::runtime_error naming the path.
void write_file_atomically(const std::string& path, const std::string& text);

class Enforcer {
 public:
  explicit Enforcer(EnforceConfig config);

  // Renders for `walled`; when the ruleset differs from the last one
  // applied, writes the nft and ipset files and runs the apply command.
  ApplyResult sync(const std::vector<WalledEntry>& walled);
  // collect_walled + sync.
  ApplyResult sync_from(store::Store& store, Micros now);
  // Polls every config.poll_seconds until `stop` becomes true.
  void run(store::Store& store, const std::atomic<bool>& stop);

  const EnforceConfig& config() const { return config_; }
  std::int64_t applied_count() const { return applied_count_; }

 private:
  EnforceConfig config_;
  std::mutex mutex_;
  std::string last_applied_;
  std::int64_t applied_count_ = 0;
};

}  // namespace botwarden::enforce
