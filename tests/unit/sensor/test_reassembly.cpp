// StreamReassembler: in order, duplicates, reordering, overlaps, gaps, bounds.
#include <doctest/doctest.h>

#include <string>

#include "sensor/smtp/reassembly.hpp"

using botwarden::smtp::StreamReassembler;

namespace {
struct Collect {
  std::string text;
  void deliver(std::span<const std::uint8_t> b) { text.append(reinterpret_cast<const char*>(b.data()), b.size()); }
  void gap(std::uint64_t n) { text += "[gap " + std::to_string(n) + "]"; }
};

std::span<const std::uint8_t> b(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST_CASE("in-order segments after a SYN are delivered at once") {
  StreamReassembler r;
  Collect c;
  r.syn(999);
  r.segment(1000, b("EHLO "), c);
  r.segment(1005, b("x\r\n"), c);
  CHECK(c.text == "EHLO x\r\n");
  CHECK(r.delivered_bytes() == 8);
}

TEST_CASE("duplicates and overlapping retransmissions are dropped, first copy wins") {
  StreamReassembler r;
  Collect c;
  r.syn(0);
  r.segment(1, b("abcdef"), c);
  r.segment(1, b("abcdef"), c);    // exact duplicate
  r.segment(3, b("XXXXghi"), c);   // overlaps "cdef", adds "ghi"
  CHECK(c.text == "abcdefghi");
  CHECK(r.duplicate_segments() == 1);
  CHECK(r.overlapping_segments() == 1);
}

TEST_CASE("out-of-order segments wait for the hole, in any order") {
  StreamReassembler r;
  Collect c;
  r.syn(0);
  r.segment(7, b("ghi"), c);
  r.segment(4, b("def"), c);
  CHECK(c.text.empty());
  CHECK(r.buffered_bytes() == 6);
  r.segment(1, b("abc"), c);
  CHECK(c.text == "abcdefghi");
  CHECK(r.buffered_bytes() == 0);
}

TEST_CASE("sequence numbers wrap around 2^32") {
  StreamReassembler r;
  Collect c;
  r.syn(0xfffffffdu);
  r.segment(0xfffffffeu, b("abcd"), c);  // crosses the wrap
  r.segment(2, b("ef"), c);
  CHECK(c.text == "abcdef");
}

TEST_CASE("a hole that never fills becomes a gap at the end of the stream") {
  StreamReassembler r;
  Collect c;
  r.syn(0);
  r.segment(1, b("ab"), c);
  r.segment(10, b("xyz"), c);
  r.flush(c);
  CHECK(c.text == "ab[gap 7]xyz");
  CHECK(r.gap_bytes() == 7);
}

TEST_CASE("an acknowledgement beyond a hole turns it into a gap at once") {
  StreamReassembler r;
  Collect c;
  r.syn(0);
  r.segment(1, b("ab"), c);
  r.segment(6, b("fg"), c);
  r.acknowledged(8, c);
  CHECK(c.text == "ab[gap 3]fg");
  r.fin(8);
  r.acknowledged(9, c);  // the FIN's own sequence number is not a gap
  CHECK(c.text == "ab[gap 3]fg");
  r.acknowledged(8 + StreamReassembler::kMaxAckAhead + 1, c);  // absurd: ignored
  CHECK(c.text == "ab[gap 3]fg");
}

TEST_CASE("the out-of-order buffer is bounded: the oldest hole is given up") {
  StreamReassembler r(8);
  Collect c;
  r.syn(0);
  r.segment(5, b("efgh"), c);    // 4 buffered
  r.segment(13, b("mnop"), c);   // 8 buffered
  r.segment(21, b("uv"), c);     // over the bound: skip to 5
  CHECK(c.text == "[gap 4]efgh");
  CHECK(r.buffered_bytes() <= 8);
  r.flush(c);
  CHECK(c.text == "[gap 4]efgh[gap 4]mnop[gap 4]uv");
}

TEST_CASE("a stream joined mid-way starts at the first byte seen") {
  StreamReassembler r;
  Collect c;
  r.segment(5000, b("250 ok\r\n"), c);
  CHECK(c.text == "250 ok\r\n");
  CHECK_FALSE(r.saw_syn());
}
