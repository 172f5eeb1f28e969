// N workers, each a full Pipeline for its share of subscribers (--workers N).
// One reader thread decodes each frame to find its subscriber side, drops
// what no pipeline would keep (not subscriber TCP; not an SMTP candidate: the
// pipeline's own header checks), hashes the subscriber (an IPv4 address, or
// an IPv6 address's subscriber prefix) and copies the frame into that
// worker's SPSC ring; the reader blocks while a ring is full, so nothing is
// dropped. All flows of a subscriber therefore live in one worker. The reader keeps the single pipeline's clock and
// broadcasts its ticks, so idle expiry happens at the same capture times.
//
// Records come back through per-worker output queues; a merge thread puts
// them into exactly the order a single Pipeline emits them (by input
// sequence number, then the flow's place in the least-recently-seen order)
// and hands them to the sink, so the session log and the detectors after it
// see the same stream: the detectors (with the cross-subscriber snowshoe
// state) run once, on the merged stream, beside the reader.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "sensor/common/ip.hpp"
#include "sensor/pipeline/pipeline.hpp"
#include "sensor/pipeline/spsc_ring.hpp"

namespace botwarden::pipeline {

// The subscriber a worker is chosen by: an IPv4 address, or the first
// `ipv6_prefix` bits of an IPv6 address (the behaviour stage's subscriber).
std::uint64_t subscriber_hash(const IpAddress& subscriber, unsigned ipv6_prefix);
// Which of `workers` workers owns packets of this subscriber.
std::size_t worker_for(const IpAddress& subscriber, unsigned ipv6_prefix, std::size_t workers);

struct WorkerOptions {
  std::size_t workers = 2;
  std::size_t ring_bytes = 8u << 20;          // per worker: ~10,000 average frames
  unsigned ipv6_subscriber_prefix = 64;       // [detect] ipv6_subscriber_prefix
  std::uint64_t progress_every_packets = 4096;  // how often workers report progress to the merge
};

// Where a worker's output belongs in the single-pipeline order.
struct OrderKey {
  std::uint64_t sequence = 0;  // input sequence number (packets count from 1)
  std::uint8_t phase = 0;      // 0: idle expiry or end of input, 1: on_time, 2: the packet itself
  std::uint64_t within = 0;    // phase 0: the flow's last packet; phase 2: emission count
  friend auto operator<=>(const OrderKey&, const OrderKey&) = default;
};

// One message of a reader -> worker ring (the frame follows it).
struct WorkItem {
  enum class Kind : std::uint8_t { packet, tick, progress, end };
  std::uint64_t sequence = 0;
  Micros ts = 0;     // packet: capture time; tick: the time to tick at
  Micros clock = 0;  // packet: the reader's clock before this packet
  std::int32_t link_type = 0;
  Kind kind = Kind::packet;
};

// The reader's half: sequence numbers, the clock, the subscriber hash, and
// the counters of packets no worker gets (not TCP, or no subscriber side).
class Dispatcher {
 public:
  Dispatcher(const PipelineConfig& config, const WorkerOptions& options);

  // Calls send(worker, item, frame) for each message this packet makes:
  // worker == kAll for a tick or progress message every worker must get.
  template <class Send>
  void packet(Micros ts, int link_type, std::span<const std::uint8_t> frame, Send&& send);
  template <class Send>
  void tick(Micros now, Send&& send) {
    if (clock_.advance(now)) send(kAll, WorkItem{sequence_, now, 0, 0, WorkItem::Kind::tick}, {});
  }
  template <class Send>
  void finish(Send&& send) {
    send(kAll, WorkItem{sequence_ + 1, clock_.now, clock_.now, 0, WorkItem::Kind::end}, {});
  }

  static constexpr std::size_t kAll = static_cast<std::size_t>(-1);
  // Packets no worker got (they count in the totals as in a single pipeline:
  // not TCP, between non-subscribers, not SMTP candidates).
  const PipelineStats& stats() const { return stats_; }
  std::uint64_t sequence() const { return sequence_; }

 private:
  // The worker of a subscriber TCP packet (src/dst: which sides are subscribers).
  std::size_t route(const decode::PacketView& v, bool src, bool dst) const;

  const PipelineConfig& config_;
  WorkerOptions options_;
  CaptureClock clock_;
  std::uint64_t sequence_ = 0;
  PipelineStats stats_;
  std::vector<std::uint8_t> content_ports_ = std::vector<std::uint8_t>(65536, 0);
};

// Output of a worker, tagged with its place in the merged order.
struct WorkerOutput {
  enum class Kind : std::uint8_t { record, time, progress };
  Kind kind = Kind::record;
  OrderKey key;  // record/time: its place; progress: every later output sorts at or after it
  Micros now = 0;
  std::unique_ptr<smtp::SessionRecord> record;
};

// One worker's Pipeline and the sink that tags its records. handle() is all
// a worker thread does per message; the bench calls it directly.
class Worker final : public SessionSink {
 public:
  explicit Worker(const PipelineConfig& config);
  void handle(const WorkItem& item, std::span<const std::uint8_t> frame);
  // Output since the last call (the merge side; thread-safe).
  void take_output(std::vector<WorkerOutput>& into);
  const Pipeline& pipeline() const { return pipeline_; }

  void on_session(const smtp::SessionRecord& record) override;
  void on_time(Micros now) override;

 private:
  void emit(WorkerOutput out);

  std::mutex mutex_;
  std::vector<WorkerOutput> output_;
  std::uint64_t sequence_ = 0;
  std::uint8_t phase_ = 0;  // of the message being handled (OrderKey::phase of its records)
  std::uint64_t emitted_ = 0;
  Pipeline pipeline_;  // last: it is built with *this as its sink
};

class WorkerPool {
 public:
  // Starts options.workers worker threads and the merge thread, which is the
  // only one to call `sink`. Each worker's flow table and out-of-order
  // budget get 1/N of the configured caps (the same total).
  WorkerPool(const PipelineConfig& config, const WorkerOptions& options, SessionSink& sink);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // The same calls as Pipeline, from one (reader) thread.
  void packet(Micros ts, int link_type, std::span<const std::uint8_t> frame);
  void tick(Micros now);
  // End of input: every worker finishes, all output is merged, threads end.
  // Throws std::runtime_error when a worker or the sink failed (packet() and
  // tick() may throw it earlier).
  void finish();

  // After finish(): the totals of all workers and the reader. Before: the
  // packets read so far and the records merged so far.
  const PipelineStats& stats() const;
  // Flows open in all workers (as of each worker's last progress report).
  std::size_t open_flows() const;
  std::size_t workers() const { return workers_.size(); }

 private:
  struct Slot;
  void send(std::size_t worker, const WorkItem& item, std::span<const std::uint8_t> frame);
  void push(Slot& slot, const WorkItem& item, std::span<const std::uint8_t> frame);
  bool merge();
  bool merged_all() const;
  void run_merge();
  void check_failed() const;
  void stop_threads();

  PipelineConfig worker_config_;
  WorkerOptions options_;
  SessionSink& sink_;
  Dispatcher dispatcher_;
  std::vector<std::unique_ptr<Slot>> workers_;
  std::atomic<bool> stop_{false};
  std::uint64_t since_progress_ = 0;
  // The merge thread's.
  std::thread merger_;
  std::vector<WorkerOutput> taken_;
  std::atomic<std::uint64_t> merged_records_{0};
  std::atomic<bool> merge_failed_{false};
  std::string merge_error_;  // written before merge_failed_ is set
  mutable PipelineStats stats_;
  bool finished_ = false;
};

// ---- Dispatcher::packet (the reader's per-packet hot path) ----

template <class Send>
void Dispatcher::packet(Micros ts, int link_type, std::span<const std::uint8_t> frame, Send&& send) {
  ++sequence_;
  const Micros before = clock_.now;
  if (clock_.advance(ts)) send(kAll, WorkItem{sequence_, ts, 0, 0, WorkItem::Kind::tick}, {});
  decode::PacketView v;
  const auto r = decode::decode_frame(link_type, frame, v);
  const bool tcp = r == decode::DecodeResult::tcp;
  const bool src_sub = tcp && config_.subscribers.contains(v.src);
  const bool dst_sub = tcp && !src_sub && config_.subscribers.contains(v.dst);
  if (!src_sub && !dst_sub) {  // the pipeline would count it and stop here
    ++stats_.packets;
    stats_.bytes += frame.size();
    stats_.decode.add(r);
    if (tcp) ++stats_.not_subscriber;
    return;
  }
  // The pipeline's candidate check (pipeline.cpp), with every port that ever
  // carried SMTP-looking payload off the SMTP ports standing in for its
  // per-port count of flows found by content (a superset: never too few).
  const bool smtp_port = is_smtp_port(v.dst_port) || is_smtp_port(v.src_port);
  const bool looks_smtp = looks_like_smtp_greeting(v.payload) || looks_like_smtp_helo(v.payload);
  if (looks_smtp && !smtp_port) {
    content_ports_[v.src_port] = 1;
    content_ports_[v.dst_port] = 1;
  }
  if (!smtp_port && !looks_smtp && content_ports_[v.src_port] == 0 && content_ports_[v.dst_port] == 0) {
    ++stats_.packets;  // subscriber TCP that is not SMTP: the pipeline would stop here too
    stats_.bytes += frame.size();
    stats_.decode.add(r);
    ++stats_.not_candidate;
    return;
  }
  send(route(v, src_sub, dst_sub || config_.subscribers.contains(v.dst)),
       WorkItem{sequence_, ts, before, static_cast<std::int32_t>(link_type), WorkItem::Kind::packet}, frame);
}

}  // namespace botwarden::pipeline
