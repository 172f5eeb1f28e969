// Generated payload: the PRNG is fixed across platforms, TLS records stay
// whole across writes, and the RFC 1071 checksum matches a known answer.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tools/linksim/flow.hpp"
#include "tools/linksim/frame.hpp"
#include "tools/linksim/rng.hpp"

using namespace botwarden::linksim;

TEST_CASE("the generator's random streams are the same on every platform") {
  Rng rng(1);
  // Known answers: a change here changes every capture (and the golden baseline).
  CHECK(mix64(0) == 0xe220a8397b1dcdafULL);
  const std::uint64_t first = rng.next();
  Rng again(1);
  CHECK(again.next() == first);
  Rng other(2);
  CHECK(other.next() != first);
  Rng bounded(42);
  for (int i = 0; i < 1000; ++i) {
    const auto v = bounded.between(3, 7);
    CHECK(v >= 3);
    CHECK(v <= 7);
  }
}

TEST_CASE("generated TLS bytes form whole records at every write") {
  std::vector<Flow> flows(1);
  std::vector<Packet> packets;
  Rng rng(5);
  const Impairments none;
  flows[0].client = *botwarden::IpAddress::parse("100.64.0.2");
  flows[0].server = *botwarden::IpAddress::parse("198.18.0.1");
  flows[0].stream[0].tail = TailKind::tls_records;
  flows[0].stream[1].tail = TailKind::tls_records;
  FlowBuilder fb(flows, 0, packets, 1'000'000, LinkTiming{}, none, rng);
  fb.connect();
  const std::vector<std::uint64_t> sizes = {517, 40000, 7, 16389, 16390};
  for (auto n : sizes) fb.write_generated(kToClient, n, 100);
  const Stream& s = flows[0].stream[kToClient];
  std::vector<std::uint8_t> bytes(s.length());
  stream_bytes(flows[0], kToClient, 0, bytes);
  // Walk the records: each header says 23, 3.3, length; the walk must end exactly at the end.
  std::size_t at = 0, records = 0;
  while (at + 5 <= bytes.size()) {
    REQUIRE(bytes[at] == 23);
    REQUIRE(bytes[at + 1] == 3);
    REQUIRE(bytes[at + 2] == 3);
    const std::size_t length = static_cast<std::size_t>(bytes[at + 3] << 8 | bytes[at + 4]);
    CHECK(length >= 1);
    CHECK(length <= 16384);
    at += 5 + length;
    ++records;
  }
  CHECK(at == bytes.size());
  CHECK(records >= sizes.size());
  // Reading a slice gives the same bytes as reading the whole.
  std::vector<std::uint8_t> slice(1000);
  stream_bytes(flows[0], kToClient, 20000, slice);
  CHECK(std::equal(slice.begin(), slice.end(), bytes.begin() + 20000));
}

TEST_CASE("segments never exceed the smaller MSS and sequence numbers are contiguous") {
  std::vector<Flow> flows(1);
  std::vector<Packet> packets;
  Rng rng(9);
  const Impairments none;
  flows[0].client = *botwarden::IpAddress::parse("100.64.0.2");
  flows[0].server = *botwarden::IpAddress::parse("198.18.0.1");
  flows[0].mss[kToServer] = 1452;  // PPPoE subscriber
  flows[0].mss[kToClient] = 1460;
  flows[0].stream[kToClient].tail = TailKind::random;
  FlowBuilder fb(flows, 0, packets, 0, LinkTiming{}, none, rng);
  fb.connect();
  fb.write(kToServer, "POST / HTTP/1.1\r\n\r\n" + std::string(5000, 'x'), 100);
  fb.write_generated(kToClient, 100'000, 100);
  fb.close(kToServer, 100);
  for (const Direction d : {kToServer, kToClient}) {
    CAPTURE(static_cast<int>(d));
    std::uint32_t expect = flows[0].isn[d] + 1;
    std::uint16_t largest = 0;
    for (const auto& p : packets) {
      if (p.direction != d || p.length == 0) continue;
      CHECK(p.seq == expect);
      expect += p.length;
      largest = std::max(largest, p.length);
    }
    CHECK(largest == 1452);
    CHECK(expect == flows[0].isn[d] + 1 + flows[0].stream[d].length());
  }
}

TEST_CASE("the internet checksum matches RFC 1071's worked example") {
  // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2, checksum 220d.
  const std::uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(internet_checksum(bytes) == 0x220d);
}
