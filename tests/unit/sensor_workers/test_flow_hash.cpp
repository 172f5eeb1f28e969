// The worker of a packet: one per TCP flow, the same for both directions and
// every encapsulation, and one subscriber's flows spread over the workers.
#include <doctest/doctest.h>

#include <array>
#include <set>
#include <string>
#include <vector>

#include "packet_builder.hpp"
#include "sensor/pipeline/workers.hpp"

using namespace botwarden;
using namespace botwarden::test;
using namespace botwarden::pipeline;

namespace {

struct Encapsulated {
  const char* name;
  int link_type;
  Bytes frame;
};

// One IP packet (`ip`, IPv4 or IPv6 by its version) in every link layer and
// encapsulation the decoder knows.
std::vector<Encapsulated> encapsulations(const Bytes& ip) {
  const bool v6 = (ip[0] >> 4) == 6;
  const unsigned ether_type = v6 ? 0x86dd : 0x0800;
  Bytes vlan;
  put16(vlan, 100);
  put16(vlan, ether_type);
  append(vlan, ip);
  Bytes qinq;
  put16(qinq, 200);
  put16(qinq, 0x8100);
  append(qinq, vlan);
  Bytes pppoe{0x11, 0x00, 0x12, 0x34};
  put16(pppoe, static_cast<unsigned>(ip.size() + 2));
  put16(pppoe, v6 ? 0x0057 : 0x0021);
  append(pppoe, ip);
  Bytes mpls;
  put32(mpls, (16u << 12) | 0x40);
  put32(mpls, (17u << 12) | 0x140);
  append(mpls, ip);
  Bytes sll{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0};
  put16(sll, ether_type);
  append(sll, ip);
  return {
      {"ethernet", 1, ethernet(ether_type, ip)},
      {"802.1Q", 1, ethernet(0x8100, vlan)},
      {"QinQ", 1, ethernet(0x88a8, qinq)},
      {"PPPoE", 1, ethernet(0x8864, pppoe)},
      {"Linux SLL", 113, sll},
      {"MPLS", 1, ethernet(0x8847, mpls)},
      {"raw", 101, ip},
  };
}

std::uint64_t hash_of(int link_type, const Bytes& frame) {
  decode::HeaderView h;
  REQUIRE(decode::decode_headers(link_type, frame, h) == decode::DecodeResult::tcp);
  return flow_hash(h);
}

std::size_t worker_of(const Bytes& frame, std::size_t workers) {
  decode::HeaderView h;
  REQUIRE(decode::decode_headers(1, frame, h) == decode::DecodeResult::tcp);
  return worker_for(h, workers);
}

Bytes v4_frame(std::uint32_t src, unsigned src_port, std::uint32_t dst, unsigned dst_port) {
  const auto byte = [](std::uint32_t a, int shift) { return static_cast<std::uint8_t>(a >> shift); };
  return ethernet(0x0800, ipv4({byte(src, 24), byte(src, 16), byte(src, 8), byte(src, 0)},
                               {byte(dst, 24), byte(dst, 16), byte(dst, 8), byte(dst, 0)},
                               tcp(src_port, dst_port, 1, 0x18, "x", 1)));
}

}  // namespace

TEST_CASE("both directions of a flow go to one worker, whatever the encapsulation of each") {
  const Bytes v4_out = ipv4({100, 64, 3, 7}, {203, 0, 113, 25}, tcp(40000, 25, 1, 0x02, {}));
  const Bytes v4_back = ipv4({203, 0, 113, 25}, {100, 64, 3, 7}, tcp(25, 40000, 9, 0x12, {}, 2));
  const Bytes v6_out = ipv6(0x10, 0x25, tcp(40000, 587, 1, 0x18, "EHLO x\r\n"));
  Bytes v6_back = v6_out;  // the same IPv6 packet with addresses and ports swapped
  for (std::size_t i = 0; i < 16; ++i) std::swap(v6_back[8 + i], v6_back[24 + i]);
  std::swap(v6_back[40], v6_back[42]);
  std::swap(v6_back[41], v6_back[43]);
  for (const auto& [out_ip, back_ip] : {std::pair{v4_out, v4_back}, std::pair{v6_out, v6_back}}) {
    const std::uint64_t expected = hash_of(1, ethernet((out_ip[0] >> 4) == 6 ? 0x86dd : 0x0800, out_ip));
    for (const auto& out : encapsulations(out_ip)) {
      for (const auto& back : encapsulations(back_ip)) {
        CAPTURE(out.name);
        CAPTURE(back.name);
        CHECK(hash_of(out.link_type, out.frame) == expected);
        CHECK(hash_of(back.link_type, back.frame) == expected);
      }
    }
  }
}

TEST_CASE("a flow's worker does not depend on its direction for any endpoints") {
  std::uint32_t x = 12345;
  const auto next = [&] { return x = x * 1103515245u + 12345u; };
  for (int i = 0; i < 2000; ++i) {
    const std::uint32_t a = next();
    const std::uint32_t b = next();
    const unsigned pa = next() >> 16;
    const unsigned pb = next() >> 16;
    CAPTURE(i);
    for (std::size_t workers = 1; workers <= 5; ++workers) {
      const std::size_t w = worker_of(v4_frame(a, pa, b, pb), workers);
      CHECK(w < workers);
      CHECK(worker_of(v4_frame(b, pb, a, pa), workers) == w);
    }
  }
}

TEST_CASE("the flows of one subscriber spread evenly over the workers") {
  // One subscriber, 4096 connections from consecutive client ports to one
  // mail server (a spam bot), and a busy mail server's 4096 connections
  // from consecutive subscribers: each splits over 2 and 3 workers.
  for (std::size_t workers : {2u, 3u}) {
    CAPTURE(workers);
    std::array<int, 3> one_subscriber{};
    std::array<int, 3> one_server{};
    std::array<int, 3> one_subscriber_v6{};
    for (unsigned i = 0; i < 4096; ++i) {
      ++one_subscriber[worker_of(v4_frame(0x64400307u, 30000 + i, 0xcb007119u, 25), workers)];
      ++one_server[worker_of(v4_frame(0xcb007119u, 25, 0x64400000u + i, 40000), workers)];
      ++one_subscriber_v6[worker_of(ethernet(0x86dd, ipv6(0x10, 0x25, tcp(30000 + i, 25, 1, 0x02, {}))), workers)];
    }
    const int even = static_cast<int>(4096 / workers);
    for (std::size_t w = 0; w < workers; ++w) {
      CAPTURE(w);
      CHECK(one_subscriber[w] > even * 9 / 10);
      CHECK(one_subscriber[w] < even * 11 / 10);
      CHECK(one_server[w] > even * 9 / 10);
      CHECK(one_server[w] < even * 11 / 10);
      CHECK(one_subscriber_v6[w] > even * 9 / 10);
      CHECK(one_subscriber_v6[w] < even * 11 / 10);
    }
  }
}

TEST_CASE("addresses and ports all count in the flow hash") {
  const std::uint64_t base = hash_of(1, v4_frame(0x64400307u, 40000, 0xcb007119u, 25));
  std::set<std::uint64_t> seen = {base};
  seen.insert(hash_of(1, v4_frame(0x64400308u, 40000, 0xcb007119u, 25)));
  seen.insert(hash_of(1, v4_frame(0x64400307u, 40001, 0xcb007119u, 25)));
  seen.insert(hash_of(1, v4_frame(0x64400307u, 40000, 0xcb00711au, 25)));
  seen.insert(hash_of(1, v4_frame(0x64400307u, 40000, 0xcb007119u, 587)));
  // Ports swapped between the two endpoints is another flow.
  seen.insert(hash_of(1, v4_frame(0x64400307u, 25, 0xcb007119u, 40000)));
  seen.insert(hash_of(1, ethernet(0x86dd, ipv6(0x10, 0x25, tcp(40000, 25, 1, 0x02, {})))));
  seen.insert(hash_of(1, ethernet(0x86dd, ipv6(0x11, 0x25, tcp(40000, 25, 1, 0x02, {})))));
  CHECK(seen.size() == 8);
}
