// The capture loops: packets from a capture source into the pipeline, with
// a progress bar (offline, on a terminal), periodic stats lines (live), and
// a clean stop on SIGINT/SIGTERM.
#pragma once
#include <string>
#include <vector>

#include "sensor/capture/capture.hpp"
#include "sensor/pipeline/pipeline.hpp"
#include "sensor/pipeline/workers.hpp"

namespace botwarden::pipeline {

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
