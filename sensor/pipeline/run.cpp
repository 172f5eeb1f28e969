// Capture loops (run.hpp).
#include "sensor/pipeline/run.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>
#include <spdlog/spdlog.h>

namespace botwarden::pipeline {

namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int) { g_stop = 1; }

void draw_progress(const capture::OfflineReader& r, bool final) {
  const double f = r.progress();
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(f * kWidth);
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : ' ';
  bar[kWidth] = '\0';
  std::fprintf(stderr, "\r%3d%% [%s] %llu packets, file %zu/%zu", static_cast<int>(f * 100.0), bar,
               static_cast<unsigned long long>(r.packets()),
               r.file_index() < r.file_count() ? r.file_index() + 1 : r.file_count(), r.file_count());
  if (final) std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() { return g_stop != 0; }

namespace {

// The periodic line of a live capture (every stats_interval_seconds).
void log_live_stats(const PipelineStats& s, std::size_t open_flows, const capture::LiveStats& ls,
                    const RunOptions& options, std::uint64_t& packets_at_last) {
  spdlog::info("stats: {} packets ({}/s), {} SMTP flows open, {} records; kernel received {}, dropped {}, interface dropped {}",
               s.packets, (s.packets - packets_at_last) / static_cast<std::uint64_t>(options.stats_interval_seconds),
               open_flows, s.records, ls.received, ls.dropped, ls.interface_dropped);
  packets_at_last = s.packets;
}

// The kernel's totals when a live capture ends.
void log_capture_totals(const capture::LiveStats& ls) {
  spdlog::info("capture: kernel received {}, dropped {}, interface dropped {}", ls.received, ls.dropped,
               ls.interface_dropped);
}

template <class Packets>
RunResult offline_loop(capture::OfflineReader& reader, Packets& pipeline, const RunOptions& options) {
  RunResult result;
  capture::Packet p;
  auto last_draw = std::chrono::steady_clock::now();
  std::uint64_t n = 0;
  for (;;) {
    const auto status = reader.next(p);
    if (status == capture::ReadStatus::packet) {
      pipeline.packet(p.ts, p.link_type, p.data);
      if ((++n & 0x3fff) == 0) {
        if (stop_requested()) {
          result.interrupted = true;
          break;
        }
        if (options.progress) {
          const auto now = std::chrono::steady_clock::now();
          if (now - last_draw > std::chrono::milliseconds(200)) {
            draw_progress(reader, false);
            last_draw = now;
          }
        }
      }
      continue;
    }
    if (status == capture::ReadStatus::error) {
      result.errors.push_back(reader.error());
      continue;
    }
    if (status == capture::ReadStatus::end) break;
  }
  if (options.progress) draw_progress(reader, true);
  pipeline.finish();
  return result;
}

template <class Packets>
RunResult live_loop(capture::LiveCapture& capture, Packets& pipeline, const RunOptions& options) {
  RunResult result;
  capture::Packet p;
  const auto interval = std::chrono::seconds(options.stats_interval_seconds);
  auto next_stats = std::chrono::steady_clock::now() + interval;
  std::uint64_t packets_at_last = 0;
  while (!stop_requested()) {
    const auto status = capture.next(p);
    if (status == capture::ReadStatus::packet) {
      pipeline.packet(p.ts, p.link_type, p.data);
    } else if (status == capture::ReadStatus::timeout) {
      // No traffic: let idle flows and detector windows expire on the wall clock.
      pipeline.tick(wall_clock_now());
    } else if (status == capture::ReadStatus::error) {
      result.errors.push_back(capture.error());
      break;
    } else {
      break;
    }
    if (options.stats_interval_seconds > 0 && std::chrono::steady_clock::now() >= next_stats) {
      next_stats += interval;
      log_live_stats(pipeline.stats(), pipeline.open_flows(), capture.stats(), options, packets_at_last);
    }
  }
  result.interrupted = stop_requested();
  log_capture_totals(capture.stats());
  pipeline.finish();
  return result;
}

}  // namespace

RunResult run_offline(capture::OfflineReader& reader, Pipeline& pipeline, const RunOptions& options) {
  return offline_loop(reader, pipeline, options);
}
RunResult run_offline(capture::OfflineReader& reader, WorkerPool& pool, const RunOptions& options) {
  return offline_loop(reader, pool, options);
}
RunResult run_live(capture::LiveCapture& capture, Pipeline& pipeline, const RunOptions& options) {
  return live_loop(capture, pipeline, options);
}
RunResult run_live(capture::LiveCapture& capture, WorkerPool& pool, const RunOptions& options) {
  return live_loop(capture, pool, options);
}

RunResult run_live(FanoutWorkers& workers, const RunOptions& options) {
  RunResult result;
  const auto interval = std::chrono::seconds(options.stats_interval_seconds);
  auto next_stats = std::chrono::steady_clock::now() + interval;
  std::uint64_t packets_at_last = 0;
  unsigned idle = 0;
  while (!stop_requested() && !workers.failed()) {
    if (workers.merge()) {
      idle = 0;
    } else {
      // Nothing to hand on: records wait at most this long (they are rare; a
      // quiet worker's clock moves only every read timeout anyway).
      std::this_thread::sleep_for(std::chrono::milliseconds(idle++ < 10 ? 1 : 10));
    }
    if (options.stats_interval_seconds > 0 && std::chrono::steady_clock::now() >= next_stats) {
      next_stats += interval;
      log_live_stats(workers.stats(), workers.open_flows(), workers.capture_stats(), options, packets_at_last);
    }
  }
  result.interrupted = stop_requested();
  workers.finish();
  result.errors = workers.failures();
  const auto reports = workers.reports();
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const auto& r = reports[i];
    spdlog::info("worker {}: {} packets, {} SMTP candidate packets, {} session records; kernel received {}, dropped {}, "
                 "interface dropped {}; {} skipped while the group formed",
                 i + 1, r.pipeline.packets, r.pipeline.smtp_packets, r.pipeline.records, r.capture.received,
                 r.capture.dropped, r.capture.interface_dropped, r.skipped);
  }
  log_capture_totals(workers.capture_stats());
  return result;
}

std::vector<std::string> describe_stats(const PipelineStats& s) {
  std::vector<std::string> lines;
  lines.push_back("packets " + std::to_string(s.packets) + ", bytes " + std::to_string(s.bytes) +
                  ", TCP " + std::to_string(s.decode[decode::DecodeResult::tcp]) + ", between non-subscribers " +
                  std::to_string(s.not_subscriber) + ", SMTP candidate packets " + std::to_string(s.smtp_packets));
  std::string reasons;
  for (std::size_t i = 0; i < decode::kDecodeResultCount; ++i) {
    const auto r = static_cast<decode::DecodeResult>(i);
    if (r == decode::DecodeResult::tcp || s.decode.by_result[i] == 0) continue;
    reasons += (reasons.empty() ? "" : ", ") + std::string(decode::to_string(r)) + " " +
               std::to_string(s.decode.by_result[i]);
  }
  lines.push_back("not decoded to TCP: " + (reasons.empty() ? std::string("none") : reasons));
  lines.push_back("SMTP flows " + std::to_string(s.flows_created) + " (peak open " + std::to_string(s.flows_peak) +
                  "; ended: closed " + std::to_string(s.flows_ended[0]) + ", idle " +
                  std::to_string(s.flows_ended[1]) + ", max age " + std::to_string(s.flows_ended[2]) +
                  ", evicted " + std::to_string(s.flows_ended[3]) + ", end of input " +
                  std::to_string(s.flows_ended[4]) + "), session records " + std::to_string(s.records) +
                  ", nDPI packets " + std::to_string(s.ndpi_packets) + ", gap bytes " +
                  std::to_string(s.gap_bytes) + ", duplicate segments " + std::to_string(s.duplicate_segments));
  return lines;
}

}  // namespace botwarden::pipeline
