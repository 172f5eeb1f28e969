// One direction of a TCP stream put back in order: in-order bytes are
// delivered at once; retransmitted and duplicate bytes are dropped (first
// copy wins); out-of-order segments wait in a bounded buffer; when the buffer
// is full or the stream ends, missing bytes are reported as a gap.
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <vector>

namespace botwarden::smtp {

// A consumer has deliver(std::span<const std::uint8_t>) and gap(std::uint64_t bytes).
class StreamReassembler {
 public:
  explicit StreamReassembler(std::size_t max_out_of_order_bytes = 65536)
      : max_ooo_bytes_(max_out_of_order_bytes) {}

  // A SYN fixes the initial sequence number (data starts at seq + 1).
  void syn(std::uint32_t seq) {
    if (started_) return;
    started_ = true;
    saw_syn_ = true;
    next_seq_ = seq + 1;
  }

  template <class Consumer>
  void segment(std::uint32_t seq, std::span<const std::uint8_t> data, Consumer& c) {
    if (data.empty()) return;
    if (!started_) {  // joined mid-stream: start at the first byte seen
      started_ = true;
      next_seq_ = seq;
    }
    // Signed distance from the next expected byte (RFC 793 sequence space wraps).
    const auto offset = static_cast<std::int32_t>(seq - next_seq_);
    if (offset <= 0) {
      const auto behind = static_cast<std::uint64_t>(-static_cast<std::int64_t>(offset));
      if (behind >= data.size()) {
        ++duplicate_segments_;
        return;
      }
      if (behind > 0) ++overlapping_segments_;
      emit(data.subspan(static_cast<std::size_t>(behind)), c);
      drain_buffered(c);
      return;
    }
    buffer(next_offset_ + static_cast<std::uint64_t>(offset), data, c);
  }

  // The sender's FIN: it takes one sequence number after `seq_after_data`.
  void fin(std::uint32_t seq_after_data) {
    fin_seen_ = true;
    fin_seq_ = seq_after_data;
  }

  // The receiver acknowledged everything before `ack`: bytes below it that
  // never reached us were lost by the capture, not the connection, so they
  // become a gap now instead of stalling the stream (Zeek does the same).
  // An acknowledgement more than kMaxAckAhead beyond the stream is ignored.
  template <class Consumer>
  void acknowledged(std::uint32_t ack, Consumer& c) {
    if (!started_) return;
    if (fin_seen_ && ack == fin_seq_ + 1) ack = fin_seq_;
    const auto ahead = static_cast<std::int32_t>(ack - next_seq_);
    if (ahead <= 0 || static_cast<std::uint32_t>(ahead) > kMaxAckAhead) return;
    const std::uint64_t ack_offset = next_offset_ + static_cast<std::uint64_t>(ahead);
    while (!buffered_.empty() && buffered_.begin()->first < ack_offset) skip_to_first_buffered(c);
    gap_to(ack_offset, c);
  }

  static constexpr std::uint32_t kMaxAckAhead = 16u << 20;

  // End of stream (FIN, RST, timeout, end of capture): whatever is buffered
  // goes out, with gaps for what never arrived.
  template <class Consumer>
  void flush(Consumer& c) {
    while (!buffered_.empty()) skip_to_first_buffered(c);
  }

  bool saw_syn() const { return saw_syn_; }
  std::uint64_t delivered_bytes() const { return next_offset_ - gap_bytes_; }
  std::uint64_t gap_bytes() const { return gap_bytes_; }
  std::uint64_t duplicate_segments() const { return duplicate_segments_; }
  std::uint64_t overlapping_segments() const { return overlapping_segments_; }
  std::size_t buffered_bytes() const { return buffered_bytes_; }

 private:
  template <class Consumer>
  void emit(std::span<const std::uint8_t> data, Consumer& c) {
    next_seq_ += static_cast<std::uint32_t>(data.size());
    next_offset_ += data.size();
    c.deliver(data);
  }

  template <class Consumer>
  void buffer(std::uint64_t at, std::span<const std::uint8_t> data, Consumer& c) {
    // Keep the buffer bounded: give up waiting for the oldest hole first.
    while (!buffered_.empty() && buffered_bytes_ + data.size() > max_ooo_bytes_) {
      skip_to_first_buffered(c);
      if (at <= next_offset_) {  // the skip reached this segment: it is in order now
        const std::uint64_t behind = next_offset_ - at;
        if (behind < data.size()) {
          emit(data.subspan(static_cast<std::size_t>(behind)), c);
          drain_buffered(c);
        } else {
          ++duplicate_segments_;
        }
        return;
      }
    }
    if (data.size() > max_ooo_bytes_) {  // larger than the whole buffer: skip to it
      gap_to(at, c);
      emit(data, c);
      drain_buffered(c);
      return;
    }
    auto [it, inserted] = buffered_.try_emplace(at);
    if (!inserted) {  // same start: keep the longer copy
      if (it->second.size() >= data.size()) {
        ++duplicate_segments_;
        return;
      }
      buffered_bytes_ -= it->second.size();
    }
    it->second.assign(data.begin(), data.end());
    buffered_bytes_ += data.size();
  }

  template <class Consumer>
  void gap_to(std::uint64_t at, Consumer& c) {
    if (at <= next_offset_) return;
    const std::uint64_t missing = at - next_offset_;
    next_seq_ += static_cast<std::uint32_t>(missing);
    next_offset_ = at;
    gap_bytes_ += missing;
    c.gap(missing);
  }

  template <class Consumer>
  void skip_to_first_buffered(Consumer& c) {
    gap_to(buffered_.begin()->first, c);
    drain_buffered(c);
  }

  // Delivers buffered segments that are now in order.
  template <class Consumer>
  void drain_buffered(Consumer& c) {
    while (!buffered_.empty()) {
      auto it = buffered_.begin();
      if (it->first > next_offset_) return;
      std::vector<std::uint8_t> bytes = std::move(it->second);
      const std::uint64_t at = it->first;
      buffered_bytes_ -= bytes.size();
      buffered_.erase(it);
      const std::uint64_t behind = next_offset_ - at;
      if (behind >= bytes.size()) {
        ++duplicate_segments_;
        continue;
      }
      if (behind > 0) ++overlapping_segments_;
      emit(std::span<const std::uint8_t>(bytes).subspan(static_cast<std::size_t>(behind)), c);
    }
  }

  std::size_t max_ooo_bytes_;
  bool started_ = false;
  bool saw_syn_ = false;
  bool fin_seen_ = false;
  std::uint32_t fin_seq_ = 0;
  std::uint32_t next_seq_ = 0;     // sequence number of the next byte to deliver
  std::uint64_t next_offset_ = 0;  // the same as a 64-bit stream offset (no wrap)
  std::uint64_t gap_bytes_ = 0;
  std::uint64_t duplicate_segments_ = 0;
  std::uint64_t overlapping_segments_ = 0;
  std::size_t buffered_bytes_ = 0;
  std::map<std::uint64_t, std::vector<std::uint8_t>> buffered_;  // by stream offset
};

}  // namespace botwarden::smtp
