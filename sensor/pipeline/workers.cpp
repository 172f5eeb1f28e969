// The worker pool: reader-side dispatch, worker threads, the ordered merge
// (workers.hpp).
#include "sensor/pipeline/workers.hpp"


#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "sensor/pipeline/run.hpp"  // FanoutWorkers

namespace botwarden::pipeline {

namespace {

// Waiting for the other side of a ring: yield first, then sleep, longer the
// longer the wait (on a machine with fewer cores than threads a spinning
// waiter steals the time the other side needs; an idle worker on a quiet
// link should cost nothing). 1 ms is far less than a ring's worth of packets.
void back_off(unsigned& rounds) {
  if (rounds < 64) {
    std::this_thread::yield();
  } else if (rounds < 128) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  } else {
    std::this_thread::sleep_for(std::chrono::microseconds(1000));
  }
  ++rounds;
}

constexpr OrderKey kEndOfOutput{std::numeric_limits<std::uint64_t>::max(), 255,
                                std::numeric_limits<std::uint64_t>::max()};

}  // namespace

// ---- reader side ----

Dispatcher::Dispatcher(const PipelineConfig& config, const WorkerOptions& options)
    : config_(config), options_(options), candidate_ports_(65536, 0) {
  for (std::size_t port = 0; port < candidate_ports_.size(); ++port) {
    if (is_smtp_port(static_cast<std::uint16_t>(port))) candidate_ports_[port] = 1;
  }
}

// ---- a worker ----

Worker::Worker(const PipelineConfig& config) : pipeline_(config, *this) {}

void Worker::handle(const WorkItem& item, std::span<const std::uint8_t> frame) {
  sequence_ = item.sequence;
  switch (item.kind) {
    case WorkItem::Kind::packet:
      phase_ = 2;
      pipeline_.set_sequence(item.sequence);
      pipeline_.sync_clock(item.clock);
      pipeline_.packet(item.ts, item.link_type, frame);
      return;
    case WorkItem::Kind::tick:
      phase_ = 0;
      pipeline_.tick(item.ts);
      emit({WorkerOutput::Kind::progress, {item.sequence, 2, 0}, 0, nullptr});
      return;
    case WorkItem::Kind::progress:
      emit({WorkerOutput::Kind::progress, {item.sequence, 0, 0}, 0, nullptr});
      return;
    case WorkItem::Kind::end:
      phase_ = 0;
      pipeline_.sync_clock(item.clock);  // packets after this worker's last one still count
      pipeline_.finish();
      emit({WorkerOutput::Kind::progress, kEndOfOutput, 0, nullptr});
      return;
  }
}

void Worker::on_session(const smtp::SessionRecord& record) {
  // Idle expiry and end of input emit flows least recently seen first, that
  // is by the sequence number of their last packet.
  const OrderKey key = phase_ == 0 ? OrderKey{sequence_, 0, pipeline_.record_flow_sequence()}
                                   : OrderKey{sequence_, 2, emitted_++};
  emit({WorkerOutput::Kind::record, key, 0, std::make_unique<smtp::SessionRecord>(record)});
}

void Worker::on_time(Micros now) { emit({WorkerOutput::Kind::time, {sequence_, 1, 0}, now, nullptr}); }

void Worker::emit(WorkerOutput out) {
  const std::lock_guard lock(mutex_);
  output_.push_back(std::move(out));
}

void Worker::take_output(std::vector<WorkerOutput>& into) {
  const std::lock_guard lock(mutex_);
  into.swap(output_);
  output_.clear();
}

// ---- the pool ----

struct WorkerPool::Slot {
  explicit Slot(std::size_t ring_bytes) : ring(ring_bytes) {}
  SpscByteRing ring;
  // Built by the worker's own thread, so that N workers' nDPI start-up
  // (~10 ms each) runs in parallel; others use it once `ready` is set.
  std::unique_ptr<Worker> worker;
  std::thread thread;
  std::atomic<bool> ready{false};
  std::atomic<bool> failed{false};
  std::string error;  // written before `failed` is set
  std::atomic<std::size_t> open_flows{0};
  // The merge thread's.
  std::deque<WorkerOutput> pending;
  OrderKey watermark;  // every later output of this worker sorts at or after it
};

namespace {

// A worker thread has built its Pipeline; throws its failure (the
// Pipeline's own message) instead.
//
// first_alone: the pools let the first worker build its Pipeline alone, and
// only then start the others (which build theirs in parallel): nDPI 4.2's
// ndpi_init_detection_module initialises libgcrypt on its first call, and
// libgcrypt aborts the process when two threads do that at once (3 of 150
// starts of --workers 2 died with SIGABRT in gcry_check_version).
template <class Member>
void wait_until_built(const Member& m) {
  unsigned idle = 0;
  while (!m.ready.load(std::memory_order_acquire)) {
    if (m.failed.load(std::memory_order_acquire)) throw std::runtime_error(m.error);
    back_off(idle);
  }
}

PipelineConfig share_of(PipelineConfig config, std::size_t workers) {
  const std::size_t n = std::max<std::size_t>(workers, 1);
  config.max_flows = (config.max_flows + n - 1) / n;
  config.max_total_out_of_order_bytes = (config.max_total_out_of_order_bytes + n - 1) / n;
  return config;
}

void run_worker(const PipelineConfig& config, SpscByteRing& ring, std::unique_ptr<Worker>& built,
                std::atomic<bool>& ready, std::atomic<bool>& stop, std::atomic<bool>& failed, std::string& error,
                std::atomic<std::size_t>& open_flows) {
  try {
    built = std::make_unique<Worker>(config);
    ready.store(true, std::memory_order_release);
    Worker& worker = *built;
    unsigned idle = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const auto message = ring.peek();
      if (message.empty()) {
        back_off(idle);
        continue;
      }
      idle = 0;
      WorkItem item;
      std::memcpy(&item, message.data(), sizeof item);
      const std::span<const std::uint8_t> frame(reinterpret_cast<const std::uint8_t*>(message.data()) + sizeof item,
                                                message.size() - sizeof item);
      worker.handle(item, frame);
      ring.release();
      if (item.kind != WorkItem::Kind::packet) {
        open_flows.store(worker.pipeline().open_flows(), std::memory_order_relaxed);
      }
      if (item.kind == WorkItem::Kind::end) return;
    }
  } catch (const std::exception& e) {
    error = e.what();
    failed.store(true, std::memory_order_release);
  }
}

}  // namespace

WorkerPool::WorkerPool(const PipelineConfig& config, const WorkerOptions& options, SessionSink& sink)
    : worker_config_(share_of(config, options.workers)),
      options_(options),
      sink_(sink),
      dispatcher_(worker_config_, options) {
  if (options_.workers == 0) throw std::invalid_argument("the worker pool needs at least one worker");
  if (options_.progress_every_packets == 0) options_.progress_every_packets = 1;
  for (std::size_t i = 0; i < options_.workers; ++i) workers_.push_back(std::make_unique<Slot>(options_.ring_bytes));
  try {
    for (auto& s : workers_) {
      Slot& slot = *s;
      slot.thread = std::thread(run_worker, std::cref(worker_config_), std::ref(slot.ring), std::ref(slot.worker),
                                std::ref(slot.ready), std::ref(stop_), std::ref(slot.failed), std::ref(slot.error),
                                std::ref(slot.open_flows));
      if (&s == &workers_.front()) wait_until_built(slot);  // first_alone
    }
    // Every worker built (or the first failure, with the Pipeline's own message).
    for (auto& s : workers_) wait_until_built(*s);
    merger_ = std::thread([this] { run_merge(); });
  } catch (...) {  // no thread: stop those already running before the members go
    stop_threads();
    throw;
  }
}

WorkerPool::~WorkerPool() { stop_threads(); }

void WorkerPool::stop_threads() {
  stop_.store(true, std::memory_order_relaxed);
  if (merger_.joinable()) merger_.join();
  for (auto& s : workers_) {
    if (s->thread.joinable()) s->thread.join();
  }
}

void WorkerPool::check_failed() const {
  if (merge_failed_.load(std::memory_order_acquire)) throw std::runtime_error(merge_error_);
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    if (workers_[i]->failed.load(std::memory_order_acquire)) {
      throw std::runtime_error("worker " + std::to_string(i + 1) + " failed: " + workers_[i]->error);
    }
  }
}

void WorkerPool::push(Slot& slot, const WorkItem& item, std::span<const std::uint8_t> frame) {
  const std::size_t size = sizeof item + frame.size();
  if (size > slot.ring.max_message()) {
    throw std::runtime_error("a captured frame of " + std::to_string(frame.size()) +
                             " bytes does not fit the worker ring of " + std::to_string(slot.ring.capacity()) +
                             " bytes");
  }
  unsigned idle = 0;
  for (;;) {
    const auto room = slot.ring.try_reserve(size);
    if (!room.empty()) {
      std::memcpy(room.data(), &item, sizeof item);
      if (!frame.empty()) std::memcpy(room.data() + sizeof item, frame.data(), frame.size());
      slot.ring.commit();
      return;
    }
    // Full: the worker is behind. Nothing is dropped: wait.
    check_failed();
    back_off(idle);
  }
}

void WorkerPool::send(std::size_t worker, const WorkItem& item, std::span<const std::uint8_t> frame) {
  if (worker == Dispatcher::kAll) {
    for (auto& s : workers_) push(*s, item, frame);
  } else {
    push(*workers_[worker], item, frame);
  }
}

void WorkerPool::packet(Micros ts, int link_type, std::span<const std::uint8_t> frame) {
  const auto to_ring = [this](std::size_t w, const WorkItem& item, std::span<const std::uint8_t> f) { send(w, item, f); };
  dispatcher_.packet(ts, link_type, frame, to_ring);
  if (++since_progress_ >= options_.progress_every_packets) {
    // Lets the merge move on past workers that got no packet for a while.
    since_progress_ = 0;
    send(Dispatcher::kAll, WorkItem{dispatcher_.sequence() + 1, 0, 0, 0, WorkItem::Kind::progress}, {});
    check_failed();
  }
}

void WorkerPool::tick(Micros now) {
  dispatcher_.tick(now, [this](std::size_t w, const WorkItem& item, std::span<const std::uint8_t> f) { send(w, item, f); });
  check_failed();
}

// The merge thread: merges until every worker has reported its end and all
// is delivered, or something failed.
void WorkerPool::run_merge() {
  try {
    unsigned idle = 0;
    while (!merged_all()) {
      if (stop_.load(std::memory_order_relaxed)) return;
      for (const auto& s : workers_) {
        if (s->failed.load(std::memory_order_acquire)) return;  // the reader reports it
      }
      if (merge()) {
        idle = 0;
      } else {
        back_off(idle);
      }
    }
  } catch (const std::exception& e) {
    merge_error_ = e.what();
    merge_failed_.store(true, std::memory_order_release);
  }
}

bool WorkerPool::merged_all() const {
  return std::all_of(workers_.begin(), workers_.end(),
                     [](const auto& s) { return s->watermark == kEndOfOutput && s->pending.empty(); });
}

// A k-way merge of the workers' ordered outputs: the smallest pending output
// goes to the sink once no worker can still produce a smaller one. True when
// there was anything new.
bool WorkerPool::merge() {
  bool progressed = false;
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    Slot& slot = *workers_[w];
    taken_.clear();
    slot.worker->take_output(taken_);
    progressed = progressed || !taken_.empty();
    for (auto& out : taken_) {
      if (out.kind == WorkerOutput::Kind::progress) {
        slot.watermark = std::max(slot.watermark, out.key);
      } else if (out.kind == WorkerOutput::Kind::record || w == 0) {
        slot.pending.push_back(std::move(out));  // every worker ticks alike: worker 1's on_time stands for all
      }
    }
  }
  for (;;) {
    Slot* first = nullptr;
    for (auto& s : workers_) {
      if (!s->pending.empty() && (first == nullptr || s->pending.front().key < first->pending.front().key)) {
        first = s.get();
      }
    }
    if (first == nullptr) return progressed;
    const OrderKey key = first->pending.front().key;
    for (auto& s : workers_) {
      if (s.get() != first && s->pending.empty() && !(key < s->watermark)) return progressed;  // it may still come before
    }
    WorkerOutput out = std::move(first->pending.front());
    first->pending.pop_front();
    if (out.kind == WorkerOutput::Kind::record) {
      merged_records_.fetch_add(1, std::memory_order_relaxed);
      sink_.on_session(*out.record);
    } else {
      sink_.on_time(out.now);
    }
  }
}

void WorkerPool::finish() {
  if (finished_) return;
  dispatcher_.finish([this](std::size_t w, const WorkItem& item, std::span<const std::uint8_t> f) { send(w, item, f); });
  merger_.join();  // it ends once everything is delivered, or on a failure
  check_failed();
  for (auto& s : workers_) s->thread.join();
  finished_ = true;
  PipelineStats total = dispatcher_.stats();
  for (const auto& s : workers_) add_stats(total, s->worker->pipeline().stats());
  stats_ = total;
}

const PipelineStats& WorkerPool::stats() const {
  if (!finished_) {
    stats_.packets = dispatcher_.sequence();
    stats_.records = merged_records_.load(std::memory_order_relaxed);
  }
  return stats_;
}

std::size_t WorkerPool::open_flows() const {
  std::size_t n = 0;
  for (const auto& s : workers_) n += s->open_flows.load(std::memory_order_relaxed);
  return n;
}

// ---- live capture in a PACKET_FANOUT group ----

namespace {

// A record's place in the merged stream: its worker's clock when it was
// made, then the worker, then the worker's count (unique, increasing per worker).
struct LiveKey {
  Micros time = 0;
  std::size_t worker = 0;
  std::uint64_t made = 0;
  friend auto operator<=>(const LiveKey&, const LiveKey&) = default;
};

struct LiveOutput {
  LiveKey key;
  std::unique_ptr<smtp::SessionRecord> record;
};


}  // namespace

struct FanoutWorkers::Member final : SessionSink {
  Member(std::size_t i, std::unique_ptr<capture::LiveCapture> handle, Micros start)
      : index(i), capture(std::move(handle)), now(start), clock(start) {}

  void on_session(const smtp::SessionRecord& record) override {
    const std::lock_guard lock(mutex);
    output.push_back({{now, index, made++}, std::make_unique<smtp::SessionRecord>(record)});
  }
  void on_time(Micros) override {}  // the merge ticks the sink on the workers' common clock

  // The worker thread's (report() copies under the mutex).
  void publish(std::uint64_t skipped) {
    LiveWorkerReport r{pipeline->stats(), capture->stats(), pipeline->open_flows(), skipped};
    const std::lock_guard lock(mutex);
    report = r;
  }

  const std::size_t index;
  std::unique_ptr<capture::LiveCapture> capture;
  std::unique_ptr<Pipeline> pipeline;  // built by the worker's thread
  std::thread thread;
  Micros now;                        // the worker's clock: the latest capture or wall time it saw
  std::uint64_t made = 0;            // records made (under mutex)
  std::atomic<Micros> clock;         // `now`, published after the records it covers
  std::atomic<bool> ready{false};
  std::atomic<bool> ended{false};    // no more output; set after the last record
  std::atomic<bool> failed{false};
  std::string error;                 // written before `failed` is set
  mutable std::mutex mutex;
  std::vector<LiveOutput> output;    // under mutex
  LiveWorkerReport report;           // under mutex
  // The merge's.
  std::deque<LiveOutput> pending;
  std::vector<LiveOutput> taken;
  Micros seen_clock = 0;
  bool seen_end = false;
};

namespace {

// One worker thread: builds its Pipeline, then reads its handle until asked to stop or the capture fails.
void run_live_worker(const PipelineConfig& config, std::atomic<bool>& stop, Micros start, auto& m) {
  try {
    m.pipeline = std::make_unique<Pipeline>(config, m);
    m.ready.store(true, std::memory_order_release);
  } catch (const std::exception& e) {
    m.error = e.what();
    m.failed.store(true, std::memory_order_release);
    m.ended.store(true, std::memory_order_release);
    return;
  }
  std::uint64_t skipped = 0;
  std::uint32_t since_check = 0;
  auto next_report = std::chrono::steady_clock::now();
  capture::Packet p;
  try {
    while (!stop.load(std::memory_order_relaxed)) {
      const auto status = m.capture->next(p);
      if (status == capture::ReadStatus::packet) {
        if (p.ts < start) {  // may have reached another handle too, before all had joined
          ++skipped;
          continue;
        }
        if (p.ts > m.now) m.now = p.ts;
        m.pipeline->packet(p.ts, p.link_type, p.data);
        m.clock.store(m.now, std::memory_order_release);
        if (++since_check < 1024) continue;
        since_check = 0;
      } else if (status == capture::ReadStatus::timeout) {
        // No traffic: idle flows expire on the wall clock, and the merge moves on.
        const Micros wall = wall_clock_now();
        if (wall > m.now) m.now = wall;
        m.pipeline->tick(m.now);
        m.clock.store(m.now, std::memory_order_release);
      } else {
        if (status == capture::ReadStatus::error) {
          m.error = m.capture->error();
          m.failed.store(true, std::memory_order_release);
        }
        break;
      }
      const auto t = std::chrono::steady_clock::now();
      if (t >= next_report) {
        next_report = t + std::chrono::seconds(1);
        m.publish(skipped);
      }
    }
    m.pipeline->finish();
    m.publish(skipped);
  } catch (const std::exception& e) {
    m.error = e.what();
    m.failed.store(true, std::memory_order_release);
  }
  m.ended.store(true, std::memory_order_release);
}

}  // namespace

FanoutWorkers::FanoutWorkers(const PipelineConfig& config, capture::FanoutCapture captures, SessionSink& sink)
    : sink_(sink), group_(captures.group) {
  if (captures.handles.empty()) throw std::invalid_argument("live fanout needs at least one capture handle");
  const PipelineConfig share = share_of(config, captures.handles.size());
  for (std::size_t i = 0; i < captures.handles.size(); ++i) {
    members_.push_back(std::make_unique<Member>(i, std::move(captures.handles[i]), captures.joined_at));
  }
  clock_.now = captures.joined_at;
  try {
    for (auto& m : members_) {
      Member& member = *m;
      member.thread = std::thread([share, this, start = captures.joined_at, &member] {
        run_live_worker(share, stop_, start, member);
      });
      if (&m == &members_.front()) wait_until_built(member);  // first_alone (libgcrypt's start-up)
    }
    for (auto& m : members_) wait_until_built(*m);
  } catch (...) {
    stop_.store(true, std::memory_order_relaxed);
    for (auto& m : members_) {
      if (m->thread.joinable()) m->thread.join();
    }
    throw;
  }
}

FanoutWorkers::~FanoutWorkers() {
  stop_.store(true, std::memory_order_relaxed);
  for (auto& m : members_) {
    if (m->thread.joinable()) m->thread.join();
  }
}

bool FanoutWorkers::merge() {
  bool moved = false;
  for (auto& m : members_) {
    // The clock and the end flag first: every record they cover is in the output by then.
    m->seen_end = m->ended.load(std::memory_order_acquire);
    m->seen_clock = m->clock.load(std::memory_order_acquire);
    m->taken.clear();
    {
      const std::lock_guard lock(m->mutex);
      m->taken.swap(m->output);
    }
    for (auto& out : m->taken) m->pending.push_back(std::move(out));
  }
  constexpr LiveKey kNever{std::numeric_limits<Micros>::max(), std::numeric_limits<std::size_t>::max(),
                           std::numeric_limits<std::uint64_t>::max()};
  // The earliest output a worker can still hand over.
  const auto bound = [&](const Member& m) {
    if (!m.pending.empty()) return m.pending.front().key;
    return m.seen_end ? kNever : LiveKey{m.seen_clock, m.index, 0};
  };
  for (;;) {
    Member* first = nullptr;
    for (auto& m : members_) {
      if (!m->pending.empty() && (first == nullptr || m->pending.front().key < first->pending.front().key)) {
        first = m.get();
      }
    }
    if (first == nullptr) break;
    const LiveKey key = first->pending.front().key;
    const bool may_come_before = std::any_of(members_.begin(), members_.end(), [&](const auto& m) {
      return m.get() != first && !(key < bound(*m));
    });
    if (may_come_before) break;
    const LiveOutput out = std::move(first->pending.front());
    first->pending.pop_front();
    ++merged_records_;
    sink_.on_session(*out.record);
    moved = true;
  }
  // Every record made before the least of the workers' clocks is handed on.
  LiveKey least = kNever;
  for (const auto& m : members_) least = std::min(least, bound(*m));
  if (least.time != kNever.time && clock_.advance(least.time)) sink_.on_time(clock_.now);
  return moved;
}

void FanoutWorkers::finish() {
  if (finished_) return;
  stop_.store(true, std::memory_order_relaxed);
  unsigned idle = 0;
  for (;;) {
    const bool moved = merge();
    const bool all_done = std::all_of(members_.begin(), members_.end(),
                                      [](const auto& m) { return m->seen_end && m->pending.empty(); });
    if (all_done) break;
    if (moved) {
      idle = 0;
    } else {
      back_off(idle);
    }
  }
  Micros last = clock_.now;
  for (auto& m : members_) {
    m->thread.join();
    last = std::max(last, m->now);
  }
  finished_ = true;
  sink_.on_time(last);  // end of input, as Pipeline::finish
}

bool FanoutWorkers::failed() const {
  return std::any_of(members_.begin(), members_.end(),
                     [](const auto& m) { return m->failed.load(std::memory_order_acquire); });
}

std::vector<std::string> FanoutWorkers::failures() const {
  std::vector<std::string> out;
  for (const auto& m : members_) {
    if (m->failed.load(std::memory_order_acquire)) out.push_back("worker " + std::to_string(m->index + 1) + ": " + m->error);
  }
  return out;
}

std::vector<LiveWorkerReport> FanoutWorkers::reports() const {
  std::vector<LiveWorkerReport> out;
  for (const auto& m : members_) {
    const std::lock_guard lock(m->mutex);
    out.push_back(m->report);
  }
  return out;
}

PipelineStats FanoutWorkers::stats() const {
  PipelineStats total;
  for (const auto& r : reports()) add_stats(total, r.pipeline);
  return total;
}

capture::LiveStats FanoutWorkers::capture_stats() const {
  capture::LiveStats total;
  for (const auto& r : reports()) {
    total.received += r.capture.received;
    total.dropped += r.capture.dropped;
    total.interface_dropped += r.capture.interface_dropped;
  }
  return total;
}

std::size_t FanoutWorkers::open_flows() const {
  std::size_t n = 0;
  for (const auto& r : reports()) n += r.open_flows;
  return n;
}

}  // namespace botwarden::pipeline
