// bench-sensor-workers: the worker stage with packets already in memory, so
// the serial file read does not cap it (docs/PERFORMANCE.md, "Workers").
// Loads a capture into memory, then times, REPEAT times each (median):
//   pipeline  one Pipeline over the packets (what --workers 1 runs)
//   reader    the reader's serial part alone: Dispatcher::packet (decode to
//             the TCP header, subscriber and candidate checks, flow hash) for
//             N workers, the messages only counted (no copies, no threads);
//             its share of one pipeline's time is what caps the pool
//   stage N   the worker stage alone: the reader's dispatch (and its early
//             drop of non-candidates) is done before the clock starts
//             (per-worker message lists, ticks included), and the threads
//             are started and waiting; N threads each run
//             a Worker (a Pipeline and its record tagging). packets/s is
//             capture packets per second, though workers see only candidates
//   pool N    the whole WorkerPool from memory: dispatch, copies into the
//             rings, N worker threads, the ordered merge
// and prints packets/s and the ratios to one worker. First a calibration
// (machine: a spin loop on 1 and on N threads at once: how many cores the
// machine gives now); for the stage also the CPU seconds of its busiest
// worker thread (stage-cpu: the stage's time with a free core per worker,
// readable on a busy machine).
//
// Usage: bench-sensor-workers CONFIG PCAP [REPEAT=3] [MAX_WORKERS=2]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "sensor/capture/capture.hpp"
#include "sensor/pipeline/pipeline_config.hpp"

using namespace botwarden;
using namespace botwarden::pipeline;

namespace {

struct Loaded {
  Micros ts;
  int link_type;
  std::size_t offset;
  std::uint32_t length;
};

struct Counter final : SessionSink {
  std::uint64_t records = 0;
  void on_session(const smtp::SessionRecord&) override { ++records; }
  void on_time(Micros) override {}
};

struct Message {
  WorkItem item;
  std::span<const std::uint8_t> frame;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU time of the calling thread: what a worker would take on a core of its
// own, whatever else the machine is running.
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// A fixed amount of integer work (no memory traffic).
std::uint64_t spin(std::uint64_t rounds) {
  std::uint64_t x = 88172645463325252ULL;
  for (std::uint64_t i = 0; i < rounds; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench-sensor-workers CONFIG PCAP [REPEAT=3] [MAX_WORKERS=2]\n");
    return 2;
  }
  const int repeat = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  const std::size_t max_workers = argc > 4 ? static_cast<std::size_t>(std::max(1, std::atoi(argv[4]))) : 2;
  SensorConfig cfg;
  try {
    cfg = load_sensor_config(ConfigFile::load(argv[1]));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench-sensor-workers: %s\n", e.what());
    return 2;
  }
  const PipelineConfig config = pipeline_config(cfg);

  // Load every packet into one arena.
  std::vector<std::uint8_t> arena;
  std::vector<Loaded> packets;
  {
    capture::OfflineReader reader({argv[2]});
    capture::Packet p;
    for (;;) {
      const auto status = reader.next(p);
      if (status == capture::ReadStatus::packet) {
        packets.push_back({p.ts, p.link_type, arena.size(), static_cast<std::uint32_t>(p.data.size())});
        arena.insert(arena.end(), p.data.begin(), p.data.end());
      } else if (status == capture::ReadStatus::error) {
        std::fprintf(stderr, "bench-sensor-workers: %s\n", reader.error().c_str());
        return 1;
      } else {
        break;
      }
    }
  }
  const auto frame_of = [&](const Loaded& l) {
    return std::span<const std::uint8_t>(arena.data() + l.offset, l.length);
  };
  const double n = static_cast<double>(packets.size());
  std::printf("# %zu packets, %.0f MB in memory; median of %d runs\n", packets.size(),
              static_cast<double>(arena.size()) / 1e6, repeat);
  std::printf("%-10s %8s %10s %12s %8s\n", "mode", "workers", "seconds", "packets/s", "ratio");

  // What the machine gives right now: the same spin loop on 1 thread, then
  // on N threads at once (N x the work). On an idle N-core machine, ratio N.
  {
    constexpr std::uint64_t kRounds = 100'000'000;
    std::vector<std::uint64_t> sinks(max_workers, 0);
    std::vector<double> one, many;
    for (int r = 0; r < repeat; ++r) {
      auto start = std::chrono::steady_clock::now();
      sinks[0] = spin(kRounds);
      one.push_back(seconds_since(start));
      start = std::chrono::steady_clock::now();
      std::vector<std::thread> threads;
      for (std::size_t w = 0; w < max_workers; ++w) threads.emplace_back([&, w] { sinks[w] = spin(kRounds); });
      for (auto& t : threads) t.join();
      many.push_back(seconds_since(start));
    }
    std::printf("%-10s %8zu %10.3f %12s %8.2f   (the same spin loop on %zu threads: the parallelism this machine gives now; %llu)\n",
                "machine", max_workers, median(many), "-", static_cast<double>(max_workers) * median(one) / median(many),
                max_workers, static_cast<unsigned long long>(sinks[0] & 1));
  }

  // One Pipeline.
  double single = 0;
  {
    std::vector<double> runs;
    std::uint64_t records = 0;
    for (int r = 0; r < repeat; ++r) {
      Counter sink;
      Pipeline pipeline(config, sink);
      const auto start = std::chrono::steady_clock::now();
      for (const auto& l : packets) pipeline.packet(l.ts, l.link_type, frame_of(l));
      pipeline.finish();
      runs.push_back(seconds_since(start));
      records = sink.records;
    }
    single = median(runs);
    std::printf("%-10s %8d %10.3f %12.0f %8.2f   (%llu records)\n", "pipeline", 1, single, n / single, 1.0,
                static_cast<unsigned long long>(records));
  }

  // The reader's serial part alone.
  {
    WorkerOptions options = worker_options(cfg);
    options.workers = max_workers;
    std::vector<double> runs;
    std::vector<std::uint64_t> handed(max_workers, 0);
    for (int r = 0; r < repeat; ++r) {
      std::fill(handed.begin(), handed.end(), 0);
      Dispatcher dispatcher(config, options);
      const auto count = [&](std::size_t w, const WorkItem& item, std::span<const std::uint8_t>) {
        if (w != Dispatcher::kAll && item.kind == WorkItem::Kind::packet) ++handed[w];
      };
      const auto start = std::chrono::steady_clock::now();
      for (const auto& l : packets) dispatcher.packet(l.ts, l.link_type, frame_of(l), count);
      dispatcher.finish(count);
      runs.push_back(seconds_since(start));
    }
    const double s = median(runs);
    std::string shares;
    for (const auto h : handed) shares += (shares.empty() ? "" : " + ") + std::to_string(h);
    std::printf("%-10s %8zu %10.3f %12.0f %8.2f   (%.0f %% of one pipeline's time; packets handed to workers: %s)\n",
                "reader", max_workers, s, n / s, single / s, 100.0 * s / single, shares.c_str());
  }

  // The worker stage alone.
  double stage_one = 0;
  double stage_one_cpu = 0;
  for (std::size_t workers = 1; workers <= max_workers; ++workers) {
    WorkerOptions options = worker_options(cfg);
    options.workers = workers;
    Dispatcher dispatcher(config, options);
    std::vector<std::vector<Message>> lists(workers);
    const auto collect = [&](std::size_t w, const WorkItem& item, std::span<const std::uint8_t> frame) {
      if (w == Dispatcher::kAll) {
        for (auto& list : lists) list.push_back({item, frame});
      } else {
        lists[w].push_back({item, frame});
      }
    };
    for (const auto& l : packets) dispatcher.packet(l.ts, l.link_type, frame_of(l), collect);
    dispatcher.finish(collect);
    std::string shares;
    for (const auto& list : lists) {
      const auto handed = std::count_if(list.begin(), list.end(),
                                        [](const Message& m) { return m.item.kind == WorkItem::Kind::packet; });
      shares += (shares.empty() ? "" : " + ") + std::to_string(handed);
    }
    std::vector<double> runs;
    std::vector<double> busiest;  // CPU seconds of the busiest worker thread
    std::uint64_t outputs = 0;
    for (int r = 0; r < repeat; ++r) {
      std::vector<double> cpu(workers, 0.0);
      std::vector<std::unique_ptr<Worker>> ws;
      for (std::size_t w = 0; w < workers; ++w) ws.push_back(std::make_unique<Worker>(config));
      // The clock starts once every thread is up (on large the stage is
      // ~16 ms of work: thread start-up would be a visible part of it).
      std::atomic<std::size_t> ready{0};
      std::atomic<bool> go{false};
      std::vector<std::thread> threads;
      for (std::size_t w = 0; w < workers; ++w) {
        threads.emplace_back([&, w] {
          ready.fetch_add(1);
          while (!go.load()) std::this_thread::yield();
          const double cpu_start = thread_cpu_seconds();
          for (const auto& m : lists[w]) ws[w]->handle(m.item, m.frame);
          cpu[w] = thread_cpu_seconds() - cpu_start;
        });
      }
      while (ready.load() < workers) std::this_thread::yield();
      const auto start = std::chrono::steady_clock::now();
      go.store(true);
      for (auto& t : threads) t.join();
      runs.push_back(seconds_since(start));
      busiest.push_back(*std::max_element(cpu.begin(), cpu.end()));
      outputs = 0;
      for (auto& w : ws) {
        std::vector<WorkerOutput> out;
        w->take_output(out);
        outputs += static_cast<std::uint64_t>(std::count_if(out.begin(), out.end(), [](const WorkerOutput& o) {
          return o.kind == WorkerOutput::Kind::record;
        }));
      }
    }
    const double s = median(runs);
    const double c = median(busiest);
    if (workers == 1) {
      stage_one = s;
      stage_one_cpu = c;
    }
    std::printf("%-10s %8zu %10.3f %12.0f %8.2f   (%llu records; packets handed to workers: %s)\n", "stage", workers,
                s, n / s, stage_one / s, static_cast<unsigned long long>(outputs), shares.c_str());
    std::printf("%-10s %8zu %10.3f %12.0f %8.2f   (CPU seconds of the busiest worker thread)\n", "stage-cpu", workers,
                c, n / c, stage_one_cpu / c);
  }

  // The whole pool from memory.
  double pool_one = 0;
  for (std::size_t workers = 1; workers <= max_workers; ++workers) {
    WorkerOptions options = worker_options(cfg);
    options.workers = workers;
    std::vector<double> runs;
    std::uint64_t records = 0;
    for (int r = 0; r < repeat; ++r) {
      Counter sink;
      WorkerPool pool(config, options, sink);
      const auto start = std::chrono::steady_clock::now();
      for (const auto& l : packets) pool.packet(l.ts, l.link_type, frame_of(l));
      pool.finish();
      runs.push_back(seconds_since(start));
      records = sink.records;
    }
    const double s = median(runs);
    if (workers == 1) pool_one = s;
    std::printf("%-10s %8zu %10.3f %12.0f %8.2f   (%llu records)\n", "pool", workers, s, n / s, pool_one / s,
                static_cast<unsigned long long>(records));
  }
  return 0;
}
