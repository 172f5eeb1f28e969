// Frame decoder: every encapsulation, truncation at every length, fragments,
// IPv6 extension headers.
#include <doctest/doctest.h>

#include "packet_builder.hpp"
#include "sensor/decode/frame.hpp"

using namespace botwarden;
using namespace botwarden::test;
using decode::DecodeResult;
using decode::PacketView;

namespace {

const Bytes kTcp = tcp(40000, 25, 1000, 0x18, "EHLO x\r\n");
const Bytes kIpv4 = ipv4({100, 64, 1, 10}, {203, 0, 113, 5}, kTcp);
const Bytes kIpv6 = ipv6(0x10, 0x25, kTcp);

Bytes vlan(const Bytes& inner, unsigned inner_type, unsigned outer_type = 0x8100) {
  Bytes b;
  put16(b, 100);
  put16(b, inner_type);
  append(b, inner);
  return ethernet(outer_type, b);
}

DecodeResult decode_bytes(int link, const Bytes& frame, PacketView& v) { return decode::decode_frame(link, frame, v); }

void check_tcp(const PacketView& v) {
  CHECK(v.src_port == 40000);
  CHECK(v.dst_port == 25);
  CHECK(v.seq == 1000);
  CHECK(v.flags == 0x18);
  CHECK(std::string_view(reinterpret_cast<const char*>(v.payload.data()), v.payload.size()) == "EHLO x\r\n");
}

struct Case {
  const char* name;
  int link;
  Bytes frame;
};

std::vector<Case> all_encapsulations() {
  Bytes qinq_inner;
  put16(qinq_inner, 100);
  put16(qinq_inner, 0x0800);
  append(qinq_inner, kIpv4);
  Bytes qinq;
  put16(qinq, 200);
  put16(qinq, 0x8100);
  append(qinq, qinq_inner);

  Bytes pppoe{0x11, 0x00, 0x12, 0x34};
  put16(pppoe, static_cast<unsigned>(kIpv4.size() + 2));
  put16(pppoe, 0x0021);
  append(pppoe, kIpv4);
  Bytes pppoe6{0x11, 0x00, 0x12, 0x34};
  put16(pppoe6, static_cast<unsigned>(kIpv6.size() + 2));
  put16(pppoe6, 0x0057);
  append(pppoe6, kIpv6);

  Bytes mpls;
  put32(mpls, (16u << 12) | 0x40);
  put32(mpls, (17u << 12) | 0x140);
  append(mpls, kIpv4);

  Bytes sll{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0};
  put16(sll, 0x0800);
  append(sll, kIpv4);
  Bytes sll2;
  put16(sll2, 0x86dd);
  append(sll2, Bytes{0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0});
  append(sll2, kIpv6);
  Bytes null_v4{2, 0, 0, 0};
  append(null_v4, kIpv4);
  Bytes null_v6{30, 0, 0, 0};
  append(null_v6, kIpv6);

  return {
      {"ethernet ipv4", 1, ethernet(0x0800, kIpv4)},
      {"ethernet ipv6", 1, ethernet(0x86dd, kIpv6)},
      {"802.1Q", 1, vlan(kIpv4, 0x0800)},
      {"QinQ 0x88a8", 1, ethernet(0x88a8, qinq)},
      {"QinQ 0x9100", 1, ethernet(0x9100, qinq)},
      {"PPPoE ipv4", 1, ethernet(0x8864, pppoe)},
      {"PPPoE ipv6", 1, ethernet(0x8864, pppoe6)},
      {"MPLS two labels", 1, ethernet(0x8847, mpls)},
      {"Linux SLL", 113, sll},
      {"Linux SLL2", 276, sll2},
      {"raw ipv4", 101, kIpv4},
      {"raw ipv6 (DLT_RAW 12)", 12, kIpv6},
      {"loopback ipv4", 0, null_v4},
      {"loopback ipv6 (macOS family 30)", 0, null_v6},
  };
}

}  // namespace

TEST_CASE("every supported encapsulation decodes to the same TCP segment") {
  for (const auto& c : all_encapsulations()) {
    CAPTURE(c.name);
    PacketView v;
    REQUIRE(decode_bytes(c.link, c.frame, v) == DecodeResult::tcp);
    check_tcp(v);
  }
}

TEST_CASE("every truncation of every encapsulation is an error, never a read past the end") {
  // Suricata style: feed frame[0..n] for each n.
  for (const auto& c : all_encapsulations()) {
    for (std::size_t n = 0; n < c.frame.size(); ++n) {
      CAPTURE(c.name);
      CAPTURE(n);
      const Bytes cut(c.frame.begin(), c.frame.begin() + static_cast<std::ptrdiff_t>(n));
      PacketView v;
      const auto r = decode_bytes(c.link, cut, v);
      // A frame cut inside the TCP payload is still short of the IP total length.
      CHECK(r != DecodeResult::tcp);
      CHECK(r != DecodeResult::count_);
    }
  }
}

TEST_CASE("addresses come out right for IPv4 and IPv6") {
  PacketView v;
  REQUIRE(decode_bytes(1, ethernet(0x0800, kIpv4), v) == DecodeResult::tcp);
  CHECK(v.src.to_string() == "100.64.1.10");
  CHECK(v.dst.to_string() == "203.0.113.5");
  CHECK(v.ip_packet.size() == kIpv4.size());
  REQUIRE(decode_bytes(1, ethernet(0x86dd, kIpv6), v) == DecodeResult::tcp);
  CHECK(v.src.to_string() == "2001:db8:1000::10");
  CHECK(v.dst.to_string() == "2001:db8:9999::25");
}

TEST_CASE("Ethernet padding after the IPv4 datagram is not payload") {
  Bytes small = ipv4({100, 64, 1, 10}, {203, 0, 113, 5}, tcp(40000, 25, 1, 0x10, ""));
  Bytes frame = ethernet(0x0800, small);
  frame.resize(frame.size() + 6, 0);  // minimum frame padding
  PacketView v;
  REQUIRE(decode_bytes(1, frame, v) == DecodeResult::tcp);
  CHECK(v.payload.empty());
}

TEST_CASE("IPv4 options are skipped") {
  const Bytes options{0x94, 0x04, 0x00, 0x00};  // router alert
  const Bytes frame = ethernet(0x0800, ipv4({100, 64, 1, 10}, {203, 0, 113, 5}, kTcp, 6, options));
  PacketView v;  // its spans point into `frame`
  REQUIRE(decode_bytes(1, frame, v) == DecodeResult::tcp);
  check_tcp(v);
}

TEST_CASE("IPv4 fragments are counted and skipped") {
  PacketView v;
  CHECK(decode_bytes(1, ethernet(0x0800, ipv4({100, 64, 1, 10}, {203, 0, 113, 5}, kTcp, 6, {}, 0x2000)), v) ==
        DecodeResult::ipv4_fragment);  // first fragment: more-fragments set
  CHECK(decode_bytes(1, ethernet(0x0800, ipv4({100, 64, 1, 10}, {203, 0, 113, 5}, kTcp, 6, {}, 0x0010)), v) ==
        DecodeResult::ipv4_fragment);  // a later fragment: non-zero offset
}

TEST_CASE("IPv6 extension headers are walked; a fragment header is skipped") {
  // hop-by-hop (8 bytes) -> destination options (16 bytes) -> routing (8 bytes) -> TCP
  Bytes ext{60, 0, 1, 4, 0, 0, 0, 0};
  append(ext, Bytes{43, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  append(ext, Bytes{6, 0, 0, 0, 0, 0, 0, 0});
  const Bytes frame = ethernet(0x86dd, ipv6(0x10, 0x25, kTcp, 0, ext));
  PacketView v;
  REQUIRE(decode_bytes(1, frame, v) == DecodeResult::tcp);
  check_tcp(v);

  const Bytes frag{6, 0, 0, 1, 0, 0, 0, 7};
  CHECK(decode_bytes(1, ethernet(0x86dd, ipv6(0x10, 0x25, kTcp, 44, frag)), v) == DecodeResult::ipv6_fragment);

  Bytes loop;
  for (int i = 0; i < 9; ++i) append(loop, Bytes{60, 0, 1, 4, 0, 0, 0, 0});
  CHECK(decode_bytes(1, ethernet(0x86dd, ipv6(0x10, 0x25, kTcp, 60, loop)), v) ==
        DecodeResult::too_many_ipv6_extensions);
}

TEST_CASE("what is not TCP is named") {
  PacketView v;
  CHECK(decode_bytes(1, ethernet(0x0806, Bytes(28, 0)), v) == DecodeResult::not_ip);
  CHECK(decode_bytes(1, ethernet(0x0800, ipv4({100, 64, 1, 10}, {203, 0, 113, 5}, Bytes(8, 0), 17)), v) ==
        DecodeResult::not_tcp);
  CHECK(decode_bytes(147, ethernet(0x0800, kIpv4), v) == DecodeResult::unsupported_link_type);
  Bytes bad = kIpv4;
  bad[0] = 0x75;
  CHECK(decode_bytes(101, bad, v) == DecodeResult::bad_ip_version);
  bad = kIpv4;
  bad[0] = 0x44;  // IHL 4
  CHECK(decode_bytes(101, bad, v) == DecodeResult::bad_ipv4_header);
  bad = kIpv4;
  bad[20 + 12] = 0x40;  // TCP data offset 4
  CHECK(decode_bytes(101, bad, v) == DecodeResult::bad_tcp_header);
  Bytes tags;
  for (int i = 0; i < 5; ++i) { put16(tags, 1); put16(tags, 0x8100); }
  CHECK(decode_bytes(1, ethernet(0x8100, tags), v) == DecodeResult::too_many_vlan_tags);
  Bytes pppoe_lcp{0x11, 0, 0x12, 0x34, 0, 2, 0xc0, 0x21};
  CHECK(decode_bytes(1, ethernet(0x8864, pppoe_lcp), v) == DecodeResult::pppoe_not_ip);
}

TEST_CASE("an IP header whose version nibble contradicts the encapsulation is refused") {
  // Ethernet (and PPP, SLL) name the IP version; nDPI reads the nibble. A
  // frame saying IPv4 with a version-6 header (or the reverse) must not reach
  // the flow table, or the two would disagree about the same packet.
  PacketView v;
  Bytes six_in_four = kIpv4;
  six_in_four[0] = 0x65;
  CHECK(decode_bytes(1, ethernet(0x0800, six_in_four), v) == DecodeResult::bad_ip_version);
  Bytes four_in_six = kIpv6;
  four_in_six[0] = 0x45;
  CHECK(decode_bytes(1, ethernet(0x86dd, four_in_six), v) == DecodeResult::bad_ip_version);
  CHECK(decode_bytes(1, ethernet(0x0800, kIpv4), v) == DecodeResult::tcp);
  CHECK(decode_bytes(1, ethernet(0x86dd, kIpv6), v) == DecodeResult::tcp);
}

TEST_CASE("every decode result has a name") {
  for (std::size_t i = 0; i < decode::kDecodeResultCount; ++i) {
    CAPTURE(i);
    CHECK(std::string(decode::to_string(static_cast<DecodeResult>(i))) != "unknown");
  }
  decode::DecodeCounters counters;
  counters.add(DecodeResult::ipv4_fragment);
  counters.add(DecodeResult::ipv4_fragment);
  CHECK(counters[DecodeResult::ipv4_fragment] == 2);
}

TEST_CASE("the Ethernet fast path ends as the general path does, at every length") {
  // Linux cooked capture (SLL) goes through the general path only; an SLL
  // header is two bytes longer than Ethernet's with the EtherType at its end,
  // so {0, 0} + an Ethernet frame is the same frame to the general path.
  // Every Ethernet case, and each again inside one more 802.1Q tag (so
  // 802.1Q in 802.1Q, 802.1Q + MPLS, 802.1Q + PPPoE are there too).
  std::vector<Case> cases;
  for (const auto& c : all_encapsulations()) {
    if (c.link != 1) continue;
    cases.push_back(c);
    const Bytes inner(c.frame.begin() + 14, c.frame.end());
    cases.push_back({c.name, 1, vlan(inner, static_cast<unsigned>((c.frame[12] << 8) | c.frame[13]))});
  }
  std::size_t compared = 0;
  for (const auto& c : cases) {
    for (std::size_t n = 0; n <= c.frame.size(); ++n) {
      CAPTURE(c.name);
      CAPTURE(n);
      const Bytes eth(c.frame.begin(), c.frame.begin() + static_cast<std::ptrdiff_t>(n));
      Bytes sll{0, 0};
      append(sll, eth);
      decode::HeaderView fast;
      decode::HeaderView general;
      const auto r = decode::decode_headers(1, eth, fast);
      REQUIRE(decode::decode_headers(113, sll, general) == r);
      const PacketView a = decode::to_packet_view(fast);
      const PacketView b = decode::to_packet_view(general);
      CHECK(a.src == b.src);
      CHECK(a.dst == b.dst);
      CHECK(a.src_port == b.src_port);
      CHECK(a.dst_port == b.dst_port);
      CHECK(a.seq == b.seq);
      CHECK(a.ack == b.ack);
      CHECK(a.flags == b.flags);
      CHECK(a.ip_protocol == b.ip_protocol);
      CHECK(a.ip_packet.size() == b.ip_packet.size());
      CHECK(a.payload.size() == b.payload.size());
      if (r == DecodeResult::tcp) {
        CHECK(a.payload.data() - eth.data() + 2 == b.payload.data() - sll.data());
        ++compared;
      }
    }
  }
  CHECK(compared == cases.size());  // each whole frame once
}

TEST_CASE("decode_headers points at the addresses inside the frame") {
  const Bytes frame = vlan(kIpv4, 0x0800);
  decode::HeaderView h;
  REQUIRE(decode::decode_headers(1, frame, h) == DecodeResult::tcp);
  CHECK_FALSE(h.ipv6);
  CHECK(h.src_address == frame.data() + 18 + 12);
  CHECK(h.dst_address == frame.data() + 18 + 16);
  CHECK(decode::to_packet_view(h).src.to_string() == "100.64.1.10");
  decode::HeaderView h6;
  const Bytes frame6 = ethernet(0x86dd, kIpv6);
  REQUIRE(decode::decode_headers(1, frame6, h6) == DecodeResult::tcp);
  CHECK(h6.ipv6);
  CHECK(h6.src_address == frame6.data() + 14 + 8);
  CHECK(decode::to_packet_view(h6).dst.to_string() == "2001:db8:9999::25");
  // Not IP: no addresses, and the PacketView keeps its defaults.
  decode::HeaderView arp;
  CHECK(decode::decode_headers(1, ethernet(0x0806, Bytes(28, 0)), arp) == DecodeResult::not_ip);
  CHECK(arp.src_address == nullptr);
  CHECK(decode::to_packet_view(arp).src == IpAddress{});
}
