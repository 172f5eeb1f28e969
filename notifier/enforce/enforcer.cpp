// The enforcer loop and its helpers (see enforcer.hpp).
#include "enforcer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace botwarden::enforce {

std::vector<WalledEntry> collect_walled(store::Store& store, Micros now) {
  store::IncidentFilter filter;
  filter.state = incident::State::walled_garden;
  filter.limit = 1'000'000;
  std::vector<WalledEntry> out;
  for (const auto& incident : store.list_incidents(filter)) {
    if (incident.exempt) continue;
    WalledEntry entry;
    entry.account = incident.account.value_or("");
    entry.incident_id = incident.id;
    entry.since = incident.state_since;
    if (incident.account) {
      // The account's current leases, not only those it was detected on: a
      // walled customer who gets a new address (DHCP, a new PPP session)
      // stays walled. Each prefix is confirmed with lookup_lease, so an
      // address another customer has taken over since is never walled.
      for (const auto& lease : store.leases_of_account(*incident.account, now)) {
        const auto holder = store.lookup_lease(lease.prefix, now);
        if (holder && holder->account == *incident.account) entry.prefixes.push_back(lease.prefix);
      }
    } else {
      // Unattributed: no lease says who it is; wall what was detected.
      std::vector<std::string> seen{incident.subscriber};
      for (const auto& event : store.events_of_incident(incident.id, 1000)) seen.push_back(event.subscriber);
      for (const auto& text : seen) {
        if (const auto subscriber = Prefix::parse(text)) entry.prefixes.push_back(*subscriber);
      }
    }
    entry.prefixes = normalize_prefixes(std::move(entry.prefixes));
    if (!entry.prefixes.empty()) out.push_back(std::move(entry));
  }
  return out;
}

std::string run_command(const std::vector<std::string>& argv, const std::string& file, double timeout_seconds) {
  std::vector<std::string> args;
  std::string shown;
  for (const auto& a : argv) {
    std::string arg = a;
    for (auto at = arg.find("{file}"); at != std::string::npos; at = arg.find("{file}", at + file.size()))
      arg.replace(at, 6, file);
    shown += (shown.empty() ? "" : " ") + arg;
    args.push_back(std::move(arg));
  }
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return shown + ": pipe failed: " + std::strerror(errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    return shown + ": cannot run: " + std::strerror(rc);
  }
  std::string output;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;
    const ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of output: the command closed it (normally by exiting)
    if (output.size() < 2000) output.append(buf, static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  if (!timed_out) {
    // Output closed; the command may still run (it closed its stdout early).
    while (true) {
      const pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (timed_out) {
    ::kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g", timeout_seconds);
    return shown + " timed out after " + seconds + " s";
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  const std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                            : "was killed by signal " + std::to_string(WTERMSIG(status));
  return shown + " " + how + (output.empty() ? "" : ": " + output);
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(tmp + ": cannot create: " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw std::runtime_error(tmp + ": write failed: " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw std::runtime_error(tmp + ": fsync/close failed: " + std::strerror(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error(path + ": rename failed: " + std::strerror(errno));
}

Enforcer::Enforcer(EnforceConfig config) : config_(std::move(config)) {}

ApplyResult Enforcer::sync(const std::vector<WalledEntry>& walled) {
  std::lock_guard lock(mutex_);
  ApplyResult r;
  const std::string ruleset = render_nft_ruleset(config_, walled);
  if (ruleset == last_applied_) return r;
  r.changed = true;
  write_file_atomically(config_.nft_file, ruleset);
  write_file_atomically(config_.ipset_file, render_ipset_restore(config_, walled));
  r.error = run_command(config_.apply_command, config_.nft_file, config_.apply_timeout_seconds);
  r.applied = r.error.empty();
  if (r.applied) {
    last_applied_ = ruleset;
    ++applied_count_;
  }
  return r;
}

ApplyResult Enforcer::sync_from(store::Store& store, Micros now) { return sync(collect_walled(store, now)); }

void Enforcer::run(store::Store& store, const std::atomic<bool>& stop) {
  const auto poll = std::chrono::duration<double>(config_.poll_seconds);
  while (!stop.load()) {
    try {
      const auto now = wall_clock_now();
      const auto walled = collect_walled(store, now);
      const auto r = sync(walled);
      if (r.changed && r.applied) spdlog::info("walled garden applied: {} subscribers", walled.size());
      if (r.changed && !r.applied) spdlog::error("walled garden not applied (will retry): {}", r.error);
    } catch (const std::exception& e) {
      spdlog::error("walled garden: {}", e.what());
    }
    const auto until = std::chrono::steady_clock::now() + poll;
    while (!stop.load() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace botwarden::enforce
