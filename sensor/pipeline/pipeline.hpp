// The per-packet driver: decode -> subscriber check -> SMTP candidate check
// -> flow table -> nDPI (until decided) -> reassembly -> SMTP dialog ->
// SessionSink. Most packets leave after the decode and one prefix check.
#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "sensor/classify/ndpi_classifier.hpp"
#include "sensor/common/ip.hpp"
#include "sensor/decode/frame.hpp"
#include "sensor/flow/flow_table.hpp"
#include "sensor/pipeline/session_sink.hpp"

namespace botwarden::pipeline {

struct PipelineConfig {
  PrefixSet subscribers;
  PrefixSet relays;
  std::size_t max_flows = 100000;
  Micros flow_idle_timeout = 300 * kMicrosPerSecond;
  Micros flow_max_age = 3600 * kMicrosPerSecond;
  std::size_t max_out_of_order_bytes = 65536;          // per flow and direction
  std::size_t max_total_out_of_order_bytes = 64 << 20;  // all flows together
  bool classify = true;  // run nDPI on candidate flows
};

// RFC 5321 (25), RFC 8314 (465), RFC 6409 (587), and the common alternative 2525.
bool is_smtp_port(std::uint16_t port);
// A cheap look at a first payload: a "220 "/"220-" greeting (server) or an
// EHLO/HELO command (client).
bool looks_like_smtp_greeting(std::span<const std::uint8_t> payload);
bool looks_like_smtp_helo(std::span<const std::uint8_t> payload);
// looks_like_smtp_greeting || looks_like_smtp_helo, inline for the hot path:
// the first byte alone turns away almost every non-SMTP payload.
[[gnu::always_inline]] inline bool looks_like_smtp_start(std::span<const std::uint8_t> p) {
  if (p.size() < 4) return false;
  switch (p[0]) {
    case '2': return looks_like_smtp_greeting(p);
    case 'E': case 'e': case 'H': case 'h': return looks_like_smtp_helo(p);
    default: return false;
  }
}

// A subscriber address read where it lies in the frame (4 bytes, or 16 when
// ipv6): the first check of Pipeline::packet and of the worker pool's reader.
[[gnu::always_inline]] inline bool is_subscriber_address(const PrefixSet& subscribers, const std::uint8_t* address,
                                                         bool ipv6) {
  return ipv6 ? subscribers.contains_v6(load_be64(address), load_be64(address + 8))
              : subscribers.contains_v4(load_be32(address));
}

// The pipeline's notion of "now": the latest capture time seen, and when the
// next tick (idle flow expiry, SessionSink::on_time) is due: at most once per
// second of capture time, never backwards. The worker pool's reader keeps the
// same clock so that every worker ticks exactly when a single pipeline would.
struct CaptureClock {
  Micros now = 0;
  Micros next_tick = std::numeric_limits<Micros>::min();
  // Time moves to `ts` (if later); true when a tick is due now.
  bool advance(Micros ts) {
    if (ts > now) now = ts;
    if (now < next_tick) return false;
    next_tick = (now / kMicrosPerSecond + 1) * kMicrosPerSecond;
    return true;
  }
};

struct PipelineStats {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  decode::DecodeCounters decode;
  std::uint64_t not_subscriber = 0;      // TCP between two non-subscriber hosts
  std::uint64_t not_candidate = 0;       // subscriber TCP that is not SMTP
  std::uint64_t smtp_packets = 0;        // packets of candidate flows
  std::uint64_t after_close = 0;         // packets of a flow already closed (late retransmissions)
  std::uint64_t flows_created = 0;
  std::array<std::uint64_t, 5> flows_ended{};  // by flow::FlowEnd
  std::uint64_t records = 0;
  std::uint64_t gap_bytes = 0;
  std::uint64_t duplicate_segments = 0;
  std::uint64_t ndpi_packets = 0;
  std::uint64_t out_of_order_budget_flushes = 0;  // flows made to give up holes (memory budget)
  std::size_t flows_peak = 0;
};

// Adds `more` into `total` (the worker pool sums its workers; flows_peak
// becomes the sum of the per-worker peaks).
void add_stats(PipelineStats& total, const PipelineStats& more);

class Pipeline {
 public:
  // Throws std::runtime_error when nDPI cannot start.
  Pipeline(const PipelineConfig& config, SessionSink& sink);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // One captured frame. Hot path: no allocation unless the packet is an SMTP
  // candidate. Inline, so that the read loop calling it keeps its registers
  // (a call with its saves and restores cost ~25 instructions a packet);
  // an SMTP candidate goes on in candidate_packet.
  [[gnu::always_inline]] void packet(Micros ts, int link_type, std::span<const std::uint8_t> frame) {
    ++stats_.packets;
    stats_.bytes += frame.size();
    decode::HeaderView h;
    const decode::DecodeResult r = decode::decode_headers(link_type, frame, h);
    stats_.decode.add(r);
    if (ts >= clock_.next_tick) advance_time(ts);
    else if (ts > clock_.now) clock_.now = ts;
    if (r != decode::DecodeResult::tcp) return;
    // The addresses are read where they lie in the frame: most packets leave
    // here or at the candidate check without an IpAddress being built.
    if (!is_subscriber(h.src_address, h.ipv6) && !is_subscriber(h.dst_address, h.ipv6)) {
      ++stats_.not_subscriber;
      return;
    }
    // Most subscriber TCP is not SMTP: decide that from the ports and the
    // first payload bytes before touching the flow table.
    const std::uint32_t ports = candidate_ports_[h.src_port] | candidate_ports_[h.dst_port];
    if (ports == 0 && !looks_like_smtp_start(h.payload)) {
      ++stats_.not_candidate;
      return;
    }
    candidate_packet(ts, decode::to_packet_view(h), (ports & kSmtpPortBit) != 0);
  }
  // Capture time without a packet (live, quiet link): expires idle flows, calls on_time.
  void tick(Micros now) { advance_time(now); }
  // Worker pool only. The capture time of all input so far (the reader's
  // clock, never at or past the next tick): a worker's records then end at
  // the same time a single pipeline's would, though it sees only some packets.
  void sync_clock(Micros now) {
    if (now > clock_.now) clock_.now = now;
  }
  // Worker pool only. The input's sequence number of the next packet: each
  // flow remembers the last one that touched it, which is its place in the
  // least-recently-seen order that idle expiry and finish() follow.
  void set_sequence(std::uint64_t sequence) { sequence_ = sequence; }
  // During SessionSink::on_session: the sequence number of the last packet
  // of the flow the record comes from.
  std::uint64_t record_flow_sequence() const { return record_flow_sequence_; }
  // End of input: every open flow ends (records marked partial when mid-dialog).
  void finish();

  const PipelineStats& stats() const { return stats_; }
  // Out-of-order bytes held by all flows now.
  std::size_t buffered_bytes() const { return total_buffered_; }
  // Flows in the table (including closed ones kept to absorb late packets).
  std::size_t open_flows() const { return flows_.size(); }

  struct SmtpFlow;  // per-flow state (pipeline.cpp)

 private:
  using Table = flow::FlowTable<SmtpFlow>;
  void advance_time(Micros ts);
  // A subscriber address, read in place (4 bytes, or 16 when ipv6).
  bool is_subscriber(const std::uint8_t* address, bool ipv6) const {
    return is_subscriber_address(config_.subscribers, address, ipv6);
  }
  // The rest of packet() for an SMTP candidate (out of line: the common
  // packet's path stays short).
  [[gnu::noinline]] void candidate_packet(Micros ts, const decode::PacketView& v, bool smtp_port);
  SmtpFlow* new_flow(const decode::PacketView& v, const flow::FlowKey& key, bool src_is_low, Micros ts);
  void end_flow(Table::Entry& e, flow::FlowEnd why);
  void close_flow(SmtpFlow& f, flow::FlowEnd why);
  void account_buffered(SmtpFlow& f, bool flushing);

  PipelineConfig config_;
  SessionSink& sink_;
  std::unique_ptr<classify::NdpiClassifier> ndpi_;
  Table flows_;
  PipelineStats stats_;
  // By port: kSmtpPortBit for the SMTP ports (is_smtp_port), plus the count
  // of open flows found by content with that (non-SMTP) server port. A
  // packet whose two ports both read 0 and whose payload does not start like
  // SMTP is no candidate: one OR of two loads instead of eight compares.
  static constexpr std::uint32_t kSmtpPortBit = 1u << 31;
  std::vector<std::uint32_t> candidate_ports_;
  std::size_t total_buffered_ = 0;  // out-of-order bytes held by all flows
  CaptureClock clock_;
  std::uint64_t sequence_ = 0;
  std::uint64_t record_flow_sequence_ = 0;

};

}  // namespace botwarden::pipeline
