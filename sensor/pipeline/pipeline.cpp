// Per-packet driver connecting the sensor stages; see pipeline.hpp.
#include "sensor/pipeline/pipeline.hpp"

#include "sensor/smtp/ascii.hpp"
#include "sensor/smtp/dialog.hpp"
#include "sensor/smtp/reassembly.hpp"

namespace botwarden::pipeline {

using decode::DecodeResult;
using decode::PacketView;
namespace tcp_flag = decode::tcp_flag;

bool is_smtp_port(std::uint16_t port) {
  return port == 25 || port == 465 || port == 587 || port == 2525;
}

bool looks_like_smtp_greeting(std::span<const std::uint8_t> p) {
  return p.size() >= 4 && p[0] == '2' && p[1] == '2' && p[2] == '0' && (p[3] == ' ' || p[3] == '-');
}

bool looks_like_smtp_helo(std::span<const std::uint8_t> p) {
  if (p.size() < 5 || p[4] != ' ') return false;
  const std::string_view verb(reinterpret_cast<const char*>(p.data()), 4);
  return smtp::equals_nocase(verb, "EHLO") || smtp::equals_nocase(verb, "HELO");
}

struct Pipeline::SmtpFlow {
  SmtpFlow(Pipeline& owner, const smtp::SessionContext& ctx, bool low_is_client_side,
           std::size_t max_ooo)
      : pipeline(owner),
        low_is_client(low_is_client_side),
        to_server(max_ooo),
        to_client(max_ooo),
        session(ctx, [this](smtp::SessionRecord& r) { on_record(r); }) {}

  void on_record(smtp::SessionRecord& r) {
    if (pipeline.ndpi_) {
      ndpi.give_up(*pipeline.ndpi_);  // no-op once decided
      r.ndpi = ndpi.protocol();
    }
    ++pipeline.stats_.records;
    pipeline.record_flow_sequence_ = last_sequence;
    pipeline.sink_.on_session(r);
  }

  Pipeline& pipeline;
  bool low_is_client;
  smtp::StreamReassembler to_server;
  smtp::StreamReassembler to_client;
  smtp::SmtpSession session;
  classify::NdpiFlow ndpi;
  bool client_fin = false;
  bool server_fin = false;
  // Ended (FIN both ways, RST): records are out, but the entry stays until it
  // idles out so late retransmissions do not start a bogus new session.
  bool closed = false;
  std::uint16_t content_port = 0;  // server port of a flow found by content (not an SMTP port)
  std::size_t buffered = 0;        // out-of-order bytes held by both reassemblers
  std::uint64_t last_sequence = 0; // input sequence number of the last packet seen (set_sequence)
};

Pipeline::Pipeline(const PipelineConfig& config, SessionSink& sink)
    : config_(config), sink_(sink), flows_(config.max_flows), candidate_ports_(65536, 0) {
  for (std::size_t port = 0; port < candidate_ports_.size(); ++port) {
    if (is_smtp_port(static_cast<std::uint16_t>(port))) candidate_ports_[port] = kSmtpPortBit;
  }
  if (config_.classify) ndpi_ = std::make_unique<classify::NdpiClassifier>();
}

Pipeline::~Pipeline() = default;

void Pipeline::advance_time(Micros ts) {
  if (!clock_.advance(ts)) return;  // at most once per second of capture time; never backwards
  flows_.expire_idle(clock_.now, config_.flow_idle_timeout,
                     [this](Table::Entry& e, flow::FlowEnd why) { end_flow(e, why); });
  sink_.on_time(clock_.now);
}

void add_stats(PipelineStats& total, const PipelineStats& more) {
  total.packets += more.packets;
  total.bytes += more.bytes;
  for (std::size_t i = 0; i < total.decode.by_result.size(); ++i) total.decode.by_result[i] += more.decode.by_result[i];
  total.not_subscriber += more.not_subscriber;
  total.not_candidate += more.not_candidate;
  total.smtp_packets += more.smtp_packets;
  total.after_close += more.after_close;
  total.flows_created += more.flows_created;
  for (std::size_t i = 0; i < total.flows_ended.size(); ++i) total.flows_ended[i] += more.flows_ended[i];
  total.records += more.records;
  total.gap_bytes += more.gap_bytes;
  total.duplicate_segments += more.duplicate_segments;
  total.ndpi_packets += more.ndpi_packets;
  total.out_of_order_budget_flushes += more.out_of_order_budget_flushes;
  total.flows_peak += more.flows_peak;
}

void Pipeline::close_flow(SmtpFlow& f, flow::FlowEnd why) {
  if (f.closed) return;
  f.closed = true;
  smtp::SmtpSession::ClientSide client{&f.session, clock_.now};
  smtp::SmtpSession::ServerSide server{&f.session, clock_.now};
  f.to_server.flush(client);
  f.to_client.flush(server);
  account_buffered(f, false);
  stats_.gap_bytes += f.to_server.gap_bytes() + f.to_client.gap_bytes();
  stats_.duplicate_segments += f.to_server.duplicate_segments() + f.to_client.duplicate_segments();
  smtp::SessionEnd end = smtp::SessionEnd::closed;
  if (why == flow::FlowEnd::end_of_capture) end = smtp::SessionEnd::end_of_capture;
  else if (why != flow::FlowEnd::closed) end = smtp::SessionEnd::timeout;
  f.session.end(clock_.now, end);
  ++stats_.flows_ended[static_cast<std::size_t>(why)];
}

// Keeps the out-of-order bytes of all flows together under a budget: a flow
// that pushes the total over it gives up its holes at once (gaps), so many
// flows with held-back segments cannot exhaust memory.
void Pipeline::account_buffered(SmtpFlow& f, bool flushing) {
  const std::size_t now_buffered = f.to_server.buffered_bytes() + f.to_client.buffered_bytes();
  total_buffered_ = total_buffered_ + now_buffered - f.buffered;
  f.buffered = now_buffered;
  if (!flushing && total_buffered_ > config_.max_total_out_of_order_bytes && now_buffered > 0) {
    ++stats_.out_of_order_budget_flushes;
    smtp::SmtpSession::ClientSide client{&f.session, clock_.now};
    smtp::SmtpSession::ServerSide server{&f.session, clock_.now};
    f.to_server.flush(client);
    f.to_client.flush(server);
    account_buffered(f, true);
  }
}

void Pipeline::end_flow(Table::Entry& e, flow::FlowEnd why) {
  if (!e.value) return;  // closed before, its state released (a tombstone)
  close_flow(*e.value, why);
  if (e.value->content_port != 0) --candidate_ports_[e.value->content_port];
}

namespace {
std::string make_uid(const flow::FlowKey& key, Micros ts) {
  std::uint64_t h = flow::FlowKeyHash{}(key) ^ static_cast<std::uint64_t>(ts) * 0x9e3779b97f4a7c15ULL;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string uid = "C";
  for (int shift = 60; shift >= 0; shift -= 4) uid.push_back(kHex[(h >> shift) & 0xf]);
  return uid;
}
}  // namespace

Pipeline::SmtpFlow* Pipeline::new_flow(const PacketView& v, const flow::FlowKey& key, bool src_is_low,
                                       Micros ts) {
  // Which side is the client: the SYN's sender; else the side not on an SMTP
  // port; else by content (the greeting comes from the server).
  bool src_is_client;
  const bool pure_syn = (v.flags & (tcp_flag::syn | tcp_flag::ack)) == tcp_flag::syn;
  if (pure_syn || is_smtp_port(v.dst_port)) src_is_client = true;
  else if (is_smtp_port(v.src_port)) src_is_client = false;
  else src_is_client = !looks_like_smtp_greeting(v.payload);

  smtp::SessionContext ctx;
  ctx.ts = ts;
  ctx.uid = make_uid(key, ts);
  ctx.orig_h = src_is_client ? v.src : v.dst;
  ctx.orig_p = src_is_client ? v.src_port : v.dst_port;
  ctx.resp_h = src_is_client ? v.dst : v.src;
  ctx.resp_p = src_is_client ? v.dst_port : v.src_port;
  ctx.subscriber_is_orig = config_.subscribers.contains(ctx.orig_h);
  if (config_.relays.contains(ctx.resp_h)) ctx.path = smtp::Path::relay;
  else if (ctx.resp_p == 587 || ctx.resp_p == 465) ctx.path = smtp::Path::submission;
  else ctx.path = smtp::Path::direct;
  ctx.implicit_tls = ctx.resp_p == 465;
  // The dialog is complete from its start when we saw the SYN or the greeting.
  ctx.missed_start = !((pure_syn && src_is_client) || (!src_is_client && looks_like_smtp_greeting(v.payload)));

  const bool low_is_client = src_is_low == src_is_client;
  auto f = std::make_unique<SmtpFlow>(*this, ctx, low_is_client, config_.max_out_of_order_bytes);
  if (!is_smtp_port(ctx.resp_p)) {
    f->content_port = ctx.resp_p;
    ++candidate_ports_[ctx.resp_p];
  }
  f->last_sequence = sequence_;
  SmtpFlow* raw = f.get();
  flows_.insert(key, ts, std::move(f), [this](Table::Entry& e, flow::FlowEnd why) { end_flow(e, why); });
  ++stats_.flows_created;
  if (flows_.size() > stats_.flows_peak) stats_.flows_peak = flows_.size();
  return raw;
}

void Pipeline::candidate_packet(Micros ts, const PacketView& v, bool smtp_port) {
  bool src_is_low = false;
  const flow::FlowKey key = flow::FlowKey::from_packet(v.src, v.src_port, v.dst, v.dst_port, src_is_low);
  Table::Entry* entry = flows_.find(key, ts);
  SmtpFlow* f = nullptr;
  const bool pure_syn = (v.flags & (tcp_flag::syn | tcp_flag::ack | tcp_flag::rst)) == tcp_flag::syn;
  if (entry != nullptr) {
    f = entry->value.get();  // null: closed, only the entry kept
    if (f) f->last_sequence = sequence_;  // find() made it the most recently seen
    const bool too_old = ts - entry->first_seen > config_.flow_max_age;
    const bool closed = f == nullptr || f->closed;
    if (closed && !pure_syn && !too_old) {
      ++stats_.after_close;  // a late retransmission or the last ACK
      return;
    }
    if (too_old || closed) {  // too old, or a new connection on a closed one's ports
      flows_.erase(*entry, too_old ? flow::FlowEnd::max_age : flow::FlowEnd::closed,
                   [this](Table::Entry& e, flow::FlowEnd why) { end_flow(e, why); });
      entry = nullptr;
      f = nullptr;
    }
  }
  if (f == nullptr) {
    // Only SMTP candidates get state: a SYN to an SMTP port, or payload on an
    // SMTP port, or a first payload that looks like SMTP.
    bool candidate;
    if (v.payload.empty()) candidate = pure_syn && is_smtp_port(v.dst_port);
    else candidate = smtp_port || looks_like_smtp_start(v.payload);
    if (!candidate) {
      ++stats_.not_candidate;
      return;
    }
    f = new_flow(v, key, src_is_low, ts);
  }
  ++stats_.smtp_packets;

  // nDPI decides SMTP from payload: packets without any (handshake, bare
  // ACKs, a SYN flood) cost it thousands of instructions for nothing.
  if (ndpi_ && !f->ndpi.decided() && !v.payload.empty()) {
    ++stats_.ndpi_packets;
    f->ndpi.packet(*ndpi_, v.ip_packet, ts);
  }
  const bool from_client = src_is_low == f->low_is_client;
  if (v.flags & tcp_flag::syn) {
    (from_client ? f->to_server : f->to_client).syn(v.seq);
  }
  smtp::SmtpSession::ClientSide client{&f->session, ts};
  smtp::SmtpSession::ServerSide server{&f->session, ts};
  // What this packet acknowledges first: bytes the peer got that we missed are a gap.
  if ((v.flags & tcp_flag::ack) && !(v.flags & tcp_flag::rst)) {
    if (from_client) f->to_client.acknowledged(v.ack, server);
    else f->to_server.acknowledged(v.ack, client);
  }
  if (!v.payload.empty()) {
    if (from_client) f->to_server.segment(v.seq, v.payload, client);
    else f->to_client.segment(v.seq, v.payload, server);
  }
  account_buffered(*f, false);
  if (v.flags & tcp_flag::fin) {
    const auto after = static_cast<std::uint32_t>(v.seq + v.payload.size());
    if (from_client) {
      f->client_fin = true;
      f->to_server.fin(after);
    } else {
      f->server_fin = true;
      f->to_client.fin(after);
    }
  }
  if ((v.flags & tcp_flag::rst) || (f->client_fin && f->server_fin)) {
    close_flow(*f, flow::FlowEnd::closed);
    // The entry alone absorbs late packets; the state (reassemblers, dialog,
    // nDPI) goes now. A flow found by content keeps it: its port stays
    // counted in candidate_ports_ until the entry leaves.
    if (f->content_port == 0) flows_.release(key);
  }
}

void Pipeline::finish() {
  flows_.drain(flow::FlowEnd::end_of_capture, [this](Table::Entry& e, flow::FlowEnd why) { end_flow(e, why); });
  sink_.on_time(clock_.now);
}

}  // namespace botwarden::pipeline
