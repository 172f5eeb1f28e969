// N workers, each a full Pipeline for its share of the TCP flows (--workers N).
// One reader thread runs the single pipeline's own early checks on each frame
// (decode_headers to the TCP header, the subscriber check on the addresses in
// place, the candidate check on ports and first payload bytes), drops what no
// pipeline would keep, and copies the rest into the ring of the worker its
// flow hashes to (flow_hash: symmetric in the two endpoints, so both
// directions meet in one worker whatever the encapsulation); the reader
// blocks while a ring is full, so nothing is dropped. One subscriber's flows
// spread over all workers: nothing in a Pipeline is per subscriber (its
// table, reassembly, dialog and nDPI state are per flow; the per-port count
// of flows found by content only lets packets of such flows past the fast
// check). The reader keeps the single pipeline's clock and broadcasts its
// ticks, so idle expiry happens at the same capture times.
//
// Records come back through per-worker output queues; a merge thread puts
// them into exactly the order a single Pipeline emits them (by input
// sequence number, then the flow's place in the least-recently-seen order)
// and hands them to the sink, so the session log and the detectors after it
// see the same stream: all per-subscriber state (behaviour windows, the
// detectors, the cross-subscriber snowshoe state) lives after the merge and
// runs once, beside the reader.
//
// Live with [sensor] live_fanout there is no reader: FanoutWorkers (run.hpp)
// gives each worker its own handle of a PACKET_FANOUT group.
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

#include "sensor/common/hash.hpp"
#include "sensor/common/ip.hpp"
#include "sensor/pipeline/pipeline.hpp"
#include "sensor/pipeline/spsc_ring.hpp"

namespace botwarden::pipeline {

// The flow of a TCP packet, the same for both directions: a symmetric hash
// of its two endpoints (address, port), read where they lie in the frame, so
// the encapsulation (VLAN, QinQ, MPLS, PPPoE) does not change it. Equal
// flow::FlowKeys give equal hashes; an IPv4 and an IPv6 endpoint never
// compare equal there and hash apart here.
[[gnu::always_inline]] inline std::uint64_t endpoint_hash(const std::uint8_t* address, bool ipv6,
                                                          std::uint16_t port) {
  if (!ipv6) return mix64((std::uint64_t{load_be32(address)} << 16 | port) ^ 0x4000000000000000ULL);
  return mix64(load_be64(address) ^ mix64(load_be64(address + 8) ^ mix64(port ^ 0x6000000000000000ULL)));
}
[[gnu::always_inline]] inline std::uint64_t flow_hash(const decode::HeaderView& h) {
  // A sum, so that the order of the endpoints does not matter.
  return mix64(endpoint_hash(h.src_address, h.ipv6, h.src_port) + endpoint_hash(h.dst_address, h.ipv6, h.dst_port));
}
// Which of `workers` workers owns the flow of this (decoded TCP) packet.
[[gnu::always_inline]] inline std::size_t worker_for(const decode::HeaderView& h, std::size_t workers) {
  return workers <= 1 ? 0 : static_cast<std::size_t>(flow_hash(h) % workers);
}

struct WorkerOptions {
  std::size_t workers = 2;
  std::size_t ring_bytes = 8u << 20;          // per worker: ~10,000 average frames
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

// The reader's half: sequence numbers, the clock, the flow hash, and the
// counters of packets no worker gets (not TCP, no subscriber side, not an
// SMTP candidate).
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
  const PipelineConfig& config_;
  WorkerOptions options_;
  CaptureClock clock_;
  std::uint64_t sequence_ = 0;
  PipelineStats stats_;
  // By port: non-zero for the SMTP ports and for every port that was on a
  // subscriber packet starting like SMTP (greeting, HELO/EHLO) while neither
  // of its ports was marked yet. Marks stay: a superset of the pipelines'
  // per-port counts of flows found by content (every packet of such a flow
  // has a marked port), so the reader never drops a packet a pipeline keeps.
  std::vector<std::uint8_t> candidate_ports_;
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

// Pipeline::packet's own early checks, on the same in-place HeaderView.
template <class Send>
void Dispatcher::packet(Micros ts, int link_type, std::span<const std::uint8_t> frame, Send&& send) {
  ++sequence_;
  const Micros before = clock_.now;
  if (ts >= clock_.next_tick) {
    if (clock_.advance(ts)) send(kAll, WorkItem{sequence_, ts, 0, 0, WorkItem::Kind::tick}, {});
  } else if (ts > clock_.now) {
    clock_.now = ts;
  }
  decode::HeaderView h;
  const decode::DecodeResult r = decode::decode_headers(link_type, frame, h);
  const auto drop = [&] {  // the pipeline would count it and stop here
    ++stats_.packets;
    stats_.bytes += frame.size();
    stats_.decode.add(r);
  };
  if (r != decode::DecodeResult::tcp) return drop();
  if (!is_subscriber_address(config_.subscribers, h.src_address, h.ipv6) &&
      !is_subscriber_address(config_.subscribers, h.dst_address, h.ipv6)) {
    ++stats_.not_subscriber;
    return drop();
  }
  if ((candidate_ports_[h.src_port] | candidate_ports_[h.dst_port]) == 0) {
    if (!looks_like_smtp_start(h.payload)) {
      ++stats_.not_candidate;
      return drop();
    }
    candidate_ports_[h.src_port] = 1;  // a flow found by content may start here
    candidate_ports_[h.dst_port] = 1;
  }
  send(worker_for(h, options_.workers),
       WorkItem{sequence_, ts, before, static_cast<std::int32_t>(link_type), WorkItem::Kind::packet}, frame);
}

}  // namespace botwarden::pipeline
