// The worker pool: reader-side dispatch, worker threads, the ordered merge
// (workers.hpp).
#include "sensor/pipeline/workers.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

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
    }
    // Every worker built (or the first failure, with the Pipeline's own message).
    for (auto& s : workers_) {
      unsigned idle = 0;
      while (!s->ready.load(std::memory_order_acquire)) {
        if (s->failed.load(std::memory_order_acquire)) throw std::runtime_error(s->error);
        back_off(idle);
      }
    }
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

}  // namespace botwarden::pipeline
