// The capture loops: packets from a capture source into the pipeline, with
// a progress bar (offline, on a terminal), periodic stats lines (live), and
// a clean stop on SIGINT/SIGTERM.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sensor/capture/capture.hpp"
#include "sensor/pipeline/pipeline.hpp"
#include "sensor/pipeline/workers.hpp"

namespace botwarden::pipeline {

// Live capture in a PACKET_FANOUT group (--workers N -i IF, [sensor] live_fanout).
//
// No reader thread: each worker thread reads its own handle of one fanout
// hash group (capture::open_fanout; the kernel keeps a TCP connection's two
// directions on one handle) and runs its own Pipeline on what it gets, with
// the single pipeline's early checks; on a read timeout it ticks its
// Pipeline with the wall clock, as run_live does for one. A record is tagged
// with its worker's clock (the latest capture time it saw) when it was made,
// and each worker publishes that clock after every packet and timeout.
// merge(), on the caller's thread, hands a record to the sink once no worker
// can still make an earlier one (its first pending record, else its clock,
// is later): the sink (session log, then the detectors with all snowshoe
// state) sees every record once, in capture-time order, and gets on_time
// from the merge as the least of the workers' clocks passes each second.
// A quiet worker's clock moves on with the wall clock every read timeout,
// so it holds the merge back by at most that long.

// A worker's counters as of its last report (about once a second, and at the end).
struct LiveWorkerReport {
  PipelineStats pipeline;
  capture::LiveStats capture;
  std::size_t open_flows = 0;
  std::uint64_t skipped = 0;  // packets timestamped before every handle had joined the group
};

class FanoutWorkers {
 public:
  // Starts one worker thread per handle; each builds its Pipeline (in
  // parallel) and starts reading. Waits until all are built; throws the
  // first failure with the Pipeline's own message. Each worker's flow table
  // and out-of-order budget get 1/N of the configured caps.
  FanoutWorkers(const PipelineConfig& config, capture::FanoutCapture captures, SessionSink& sink);
  ~FanoutWorkers();
  FanoutWorkers(const FanoutWorkers&) = delete;
  FanoutWorkers& operator=(const FanoutWorkers&) = delete;

  // Hands on to the sink what can be handed on (the caller's thread, the
  // only one to call the sink). False when nothing moved.
  bool merge();
  // Every worker stops reading and finishes its Pipeline; all is merged and
  // the threads end. Throws std::runtime_error when the sink failed.
  void finish();
  // "worker N: <what failed>" for each worker whose capture or Pipeline failed.
  std::vector<std::string> failures() const;
  bool failed() const;

  std::size_t workers() const { return members_.size(); }
  std::uint16_t group() const { return group_; }
  // Sums of the workers' last reports.
  PipelineStats stats() const;
  capture::LiveStats capture_stats() const;
  std::size_t open_flows() const;
  std::vector<LiveWorkerReport> reports() const;
  std::uint64_t merged_records() const { return merged_records_; }

 private:
  struct Member;
  std::vector<std::unique_ptr<Member>> members_;
  SessionSink& sink_;
  std::uint16_t group_ = 0;
  std::atomic<bool> stop_{false};
  CaptureClock clock_;  // the merged stream's: the least of the workers' clocks
  std::uint64_t merged_records_ = 0;
  bool finished_ = false;
};

// Installs SIGINT/SIGTERM handlers that ask the running loop to stop (the
// only process-wide state in the sensor: a signal can reach nothing else).
void install_stop_handlers();
bool stop_requested();

struct RunOptions {
  bool progress = false;             // offline: draw a progress bar on stderr
  int stats_interval_seconds = 60;   // live: log a stats line this often (0: never)
};

struct RunResult {
  std::vector<std::string> errors;  // each a full sentence naming the file/interface
  bool interrupted = false;         // stopped by a signal
};

// Reads every file; processes what is readable even when a file is corrupt.
// Ends with Pipeline::finish() (WorkerPool::finish()).
RunResult run_offline(capture::OfflineReader& reader, Pipeline& pipeline, const RunOptions& options);
RunResult run_offline(capture::OfflineReader& reader, WorkerPool& pool, const RunOptions& options);
// Captures until a signal or an error. Ends with Pipeline::finish()
// (WorkerPool::finish(): one capture thread feeds the workers' rings).
RunResult run_live(capture::LiveCapture& capture, Pipeline& pipeline, const RunOptions& options);
RunResult run_live(capture::LiveCapture& capture, WorkerPool& pool, const RunOptions& options);
// Live, one capture handle per worker (PACKET_FANOUT): merges on this thread
// until a signal or a worker's capture error, then FanoutWorkers::finish();
// a final line per worker with its packets and kernel counters.
RunResult run_live(FanoutWorkers& workers, const RunOptions& options);

// Human-readable summary lines for the logs ("packets 1234 ...").
std::vector<std::string> describe_stats(const PipelineStats& s);

}  // namespace botwarden::pipeline
