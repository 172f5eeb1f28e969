// TCP/UDP packet specs from application writes. Timing model: the capture
// point sits next to the subscriber, so a client packet is seen when sent, a
// server reply one round trip later, and bulk data spaced by the access
// link's rate.
#include "tools/linksim/flow.hpp"

#include <algorithm>
#include <cstring>

namespace botwarden::linksim {
namespace {

constexpr std::uint64_t kTlsRecord = 16384 + 5;  // RFC 5246 §6.2.1: at most 2^14 bytes a record

Direction other(Direction d) { return d == kToServer ? kToClient : kToServer; }

// Random bytes at absolute positions: word i of a stream is mix64(key + i),
// laid out little-endian byte by byte (the same on every platform).
void fill_random(std::uint64_t key, std::uint64_t offset, std::uint8_t* out, std::size_t n) {
  std::size_t i = 0;
  while (i < n && (offset + i) % 8 != 0) {  // head: inside a partly used word
    const std::uint64_t at = offset + i;
    out[i++] = static_cast<std::uint8_t>(mix64(key + at / 8) >> ((at % 8) * 8));
  }
  for (; i + 8 <= n; i += 8) {  // whole words
    const std::uint64_t word = mix64(key + (offset + i) / 8);
    for (int b = 0; b < 8; ++b) out[i + static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(word >> (8 * b));
  }
  if (i < n) {  // tail: the start of a word
    const std::uint64_t word = mix64(key + (offset + i) / 8);
    for (int b = 0; i < n; ++b) out[i++] = static_cast<std::uint8_t>(word >> (8 * b));
  }
}

}  // namespace

void stream_bytes(const Flow& flow, Direction d, std::uint64_t offset, std::span<std::uint8_t> out) {
  const Stream& s = flow.stream[d];
  std::size_t done = 0;
  if (offset < s.stored.size()) {
    const std::size_t n = std::min<std::size_t>(out.size(), s.stored.size() - offset);
    std::memcpy(out.data(), s.stored.data() + offset, n);
    done = n;
  }
  const std::uint64_t key = derive(flow.seed, d);
  while (done < out.size()) {
    const std::uint64_t tail_offset = offset + done - s.stored.size();
    if (s.tail == TailKind::random || s.tail == TailKind::none) {
      fill_random(key, tail_offset, out.data() + done, out.size() - done);
      return;
    }
    // TLS records restart at every write so that each write holds whole records.
    const auto it = std::upper_bound(s.tail_write_starts.begin(), s.tail_write_starts.end(), tail_offset);
    const std::size_t w = static_cast<std::size_t>(it - s.tail_write_starts.begin()) - 1;
    const std::uint64_t write_start = s.tail_write_starts[w];
    const std::uint64_t write_end =
        w + 1 < s.tail_write_starts.size() ? s.tail_write_starts[w + 1] : s.tail_length;
    const std::uint64_t pos = tail_offset - write_start;
    const std::uint64_t record_start = pos / kTlsRecord * kTlsRecord;
    const std::uint64_t body = std::min<std::uint64_t>(kTlsRecord, write_end - write_start - record_start) - 5;
    const std::uint64_t in_record = pos - record_start;
    const std::size_t room = out.size() - done;
    if (in_record < 5) {
      const std::uint8_t header[5] = {23, 3, 3, static_cast<std::uint8_t>(body >> 8),
                                      static_cast<std::uint8_t>(body & 0xff)};
      const std::size_t n = std::min<std::size_t>(room, 5 - in_record);
      std::memcpy(out.data() + done, header + in_record, n);
      done += n;
    } else {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(room, body + 5 - in_record));
      fill_random(key, tail_offset, out.data() + done, n);
      done += n;
    }
  }
}

FlowBuilder::FlowBuilder(std::vector<Flow>& flows, std::uint32_t flow_index, std::vector<Packet>& out,
                         Micros start, LinkTiming timing, const Impairments& impairments, Rng& rng)
    : flows_(flows), index_(flow_index), out_(out), timing_(timing), impairments_(impairments), rng_(rng),
      last_ts_(start), last_sent_{start, start} {
  Flow& f = flow();
  f.isn[0] = static_cast<std::uint32_t>(rng_.next());
  f.isn[1] = static_cast<std::uint32_t>(rng_.next());
  next_seq_[0] = f.isn[0];
  next_seq_[1] = f.isn[1];
  ip_id_[0] = static_cast<std::uint16_t>(rng_.next());
  ip_id_[1] = static_cast<std::uint16_t>(rng_.next());
}

void FlowBuilder::emit(Direction d, std::uint8_t flags, std::uint32_t offset, std::uint16_t length, Micros ts,
                       bool impairable) {
  const Flow& f = flows_[index_];
  Packet p;
  p.ts = ts;
  p.flow = index_;
  p.direction = d;
  p.flags = flags;
  p.offset = offset;
  p.length = length;
  p.ip_id = ip_id_[d]++;
  if (!f.udp) {
    p.seq = (flags & kSyn) ? f.isn[d] : f.isn[d] + 1 + offset;
    p.ack = (flags & kAck) ? acked_[d] : 0;
    p.syn_options = (flags & kSyn) != 0;
  }
  last_ts_ = std::max(last_ts_, ts);
  last_sent_[d] = std::max(last_sent_[d], ts);
  const Impairments& imp = impairments_;
  if (impairable && imp.retransmit_rate + imp.reorder_rate + imp.loss_rate + imp.capture_drop_rate > 0) {
    // A segment that reaches its receiver late delays the receiver's answer
    // too (last_sent_ moves with it): nobody answers data it has not got.
    const auto arrives_late = [&](Micros late) {
      flows_[index_].impaired = true;
      last_ts_ = std::max(last_ts_, late);
      last_sent_[d] = std::max(last_sent_[d], late);
    };
    const Micros rto = std::max<Micros>(200'000, 3 * timing_.rtt);
    double r = rng_.uniform();
    if ((r -= imp.capture_drop_rate) < 0) {  // the receiver got it; the capture did not
      flows_[index_].impaired = true;
      return;
    }
    if ((r -= imp.loss_rate) < 0) {  // lost before the capture point: only the retransmission is seen
      p.ts = ts + rto;
      arrives_late(p.ts);
      out_.push_back(p);
      return;
    }
    if ((r -= imp.retransmit_rate) < 0) {  // lost after the capture point: seen, then seen again
      out_.push_back(p);
      p.ts = ts + rto;
      arrives_late(p.ts);
      out_.push_back(p);
      return;
    }
    if ((r -= imp.reorder_rate) < 0) {  // overtaken by its successor
      p.ts = ts + 3'000;
      arrives_late(p.ts);
      out_.push_back(p);
      return;
    }
  }
  out_.push_back(p);
}

void FlowBuilder::connect() {
  Flow& f = flow();
  const Micros t0 = last_ts_;
  emit(kToServer, kSyn, 0, 0, t0, false);
  next_seq_[kToServer] = f.isn[kToServer] + 1;
  acked_[kToClient] = next_seq_[kToServer];
  emit(kToClient, kSyn | kAck, 0, 0, t0 + timing_.rtt, false);
  next_seq_[kToClient] = f.isn[kToClient] + 1;
  acked_[kToServer] = next_seq_[kToClient];
  emit(kToServer, kAck, 0, 0, t0 + timing_.rtt + 80 + static_cast<Micros>(rng_.between(0, 120)), false);
}

Micros FlowBuilder::start_time(Direction d, Micros delay) const {
  // A server answers what it received one round trip after the capture saw it.
  if (d == kToClient) return std::max(last_sent_[kToServer] + timing_.rtt, last_sent_[kToClient]) + delay;
  return std::max(last_sent_[kToServer], last_sent_[kToClient]) + std::max<Micros>(delay, 100);
}

void FlowBuilder::segment(Direction d, std::uint64_t offset, std::uint64_t length, Micros delay) {
  Flow& f = flow();
  const Direction r = other(d);
  const double rate = d == kToServer ? timing_.uplink_bytes_per_us : timing_.downlink_bytes_per_us;
  Micros ts = start_time(d, delay);
  acked_[d] = next_seq_[r];
  // Each side sends at most the smaller MSS: the peer's limit and its own link's (RFC 9293 §3.7.1).
  const std::uint64_t mss = std::min(f.mss[kToServer], f.mss[kToClient]);
  std::uint64_t sent = 0;
  unsigned count = 0;
  while (sent < length) {
    const auto n = static_cast<std::uint16_t>(std::min<std::uint64_t>(mss, length - sent));
    const bool last = sent + n == length;
    emit(d, static_cast<std::uint8_t>(kAck | (last ? kPsh : 0)), static_cast<std::uint32_t>(offset + sent), n, ts,
         true);
    sent += n;
    ++count;
    // The receiver acknowledges every second full segment (RFC 1122 §4.2.3.2).
    if (count % 2 == 0 && !last) {
      acked_[r] = f.isn[d] + 1 + static_cast<std::uint32_t>(offset + sent);
      const Micros ack_ts = ts + (r == kToClient ? 60 : timing_.rtt);
      emit(r, kAck, static_cast<std::uint32_t>(f.stream[r].length()), 0, ack_ts, false);
    }
    ts += std::max<Micros>(1, static_cast<Micros>(static_cast<double>(n + 54) / rate));
  }
  next_seq_[d] = f.isn[d] + 1 + static_cast<std::uint32_t>(offset + length);
  acked_[r] = next_seq_[d];
}

void FlowBuilder::write(Direction d, std::string_view bytes, Micros delay) {
  Stream& s = flow().stream[d];
  const std::uint64_t offset = s.stored.size();
  s.stored.append(bytes);
  if (flow().udp) return;
  segment(d, offset, bytes.size(), delay);
}

void FlowBuilder::write_generated(Direction d, std::uint64_t length, Micros delay) {
  Stream& s = flow().stream[d];
  if (s.tail == TailKind::tls_records) {
    // Whole records: no record may end with a header-only fragment.
    const std::uint64_t rest = length % kTlsRecord;
    if (rest != 0 && rest < 6) length += 6 - rest;
    if (length < 6) length = 6;
  }
  const std::uint64_t offset = s.length();
  s.tail_write_starts.push_back(s.tail_length);
  s.tail_length += length;
  segment(d, offset, length, delay);
}

void FlowBuilder::close(Direction first, Micros delay) {
  Flow& f = flow();
  const Direction second = other(first);
  Micros ts = start_time(first, delay);
  const auto fin_offset = [&](Direction d) { return static_cast<std::uint32_t>(f.stream[d].length()); };
  acked_[first] = next_seq_[second];
  emit(first, kFin | kAck, fin_offset(first), 0, ts, false);
  next_seq_[first] += 1;
  acked_[second] = next_seq_[first];
  ts = start_time(second, 200);
  emit(second, kFin | kAck, fin_offset(second), 0, ts, false);
  next_seq_[second] += 1;
  acked_[first] = next_seq_[second];
  emit(first, kAck, fin_offset(first) + 1, 0, start_time(first, 100), false);
}

void FlowBuilder::reset(Direction d, Micros delay) {
  const auto offset = static_cast<std::uint32_t>(flow().stream[d].length());
  acked_[d] = next_seq_[other(d)];
  emit(d, kRst | kAck, offset, 0, start_time(d, delay), false);
}

void FlowBuilder::datagram(Direction d, std::string_view bytes, Micros delay) {
  Stream& s = flow().stream[d];
  const auto offset = static_cast<std::uint32_t>(s.stored.size());
  s.stored.append(bytes);
  emit(d, 0, offset, static_cast<std::uint16_t>(bytes.size()), start_time(d, delay), false);
}

}  // namespace botwarden::linksim
