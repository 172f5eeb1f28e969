// Frame layout per RFC 791 (IPv4), RFC 8200 (IPv6), RFC 9293 (TCP), RFC 768
// (UDP), IEEE 802.1Q/802.1ad, RFC 3032 (MPLS) and RFC 2516 (PPPoE).
#include "tools/linksim/frame.hpp"

#include <cstring>

namespace botwarden::linksim {
namespace {

struct Writer {
  std::uint8_t* p;
  void u8(unsigned v) { *p++ = static_cast<std::uint8_t>(v); }
  void u16(unsigned v) {
    u8(v >> 8);
    u8(v & 0xff);
  }
  void u32(std::uint32_t v) {
    u16(v >> 16);
    u16(v & 0xffff);
  }
  void bytes(const std::uint8_t* b, std::size_t n) {
    std::memcpy(p, b, n);
    p += n;
  }
};

std::uint32_t sum_words(const std::uint8_t* b, std::size_t n, std::uint32_t sum) {
  std::size_t i = 0;
  for (; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>(b[i] << 8 | b[i + 1]);
  if (i < n) sum += static_cast<std::uint32_t>(b[i] << 8);
  return sum;
}

std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

void put16(std::uint8_t* at, std::uint16_t v) {
  at[0] = static_cast<std::uint8_t>(v >> 8);
  at[1] = static_cast<std::uint8_t>(v & 0xff);
}

}  // namespace

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes, std::uint32_t initial) {
  return fold(sum_words(bytes.data(), bytes.size(), initial));
}

std::size_t link_header_length(Encapsulation e) {
  switch (e) {
    case Encapsulation::ethernet: return 14;
    case Encapsulation::vlan: return 18;
    case Encapsulation::qinq: return 22;
    case Encapsulation::mpls: return 14 + 8;
    case Encapsulation::pppoe: return 14 + 8;
    case Encapsulation::count_: break;
  }
  return 14;
}

std::uint16_t link_mtu(Encapsulation e) { return e == Encapsulation::pppoe ? 1492 : 1500; }

std::size_t build_frame(const Flow& flow, const Packet& p, const LinkLayer& link, std::span<std::uint8_t> out) {
  const bool up = p.direction == kToServer;
  const bool v4 = flow.client.is_v4();
  Writer w{out.data()};
  w.bytes(up ? link.gateway_mac.data() : link.subscriber_mac.data(), 6);
  w.bytes(up ? link.subscriber_mac.data() : link.gateway_mac.data(), 6);
  const unsigned ip_ethertype = v4 ? 0x0800 : 0x86dd;
  std::uint8_t* pppoe_length = nullptr;
  switch (link.encapsulation) {
    case Encapsulation::ethernet:
    case Encapsulation::count_:
      w.u16(ip_ethertype);
      break;
    case Encapsulation::vlan:
      w.u16(0x8100);
      w.u16(link.outer_vlan);
      w.u16(ip_ethertype);
      break;
    case Encapsulation::qinq:
      w.u16(0x88a8);
      w.u16(link.outer_vlan);
      w.u16(0x8100);
      w.u16(link.inner_vlan);
      w.u16(ip_ethertype);
      break;
    case Encapsulation::mpls:
      w.u16(0x8847);
      w.u32(link.mpls_outer << 12 | 64);               // TC 0, not bottom, TTL 64
      w.u32(link.mpls_inner << 12 | 1u << 8 | 64);      // bottom of stack
      break;
    case Encapsulation::pppoe:
      w.u16(0x8864);
      w.u8(0x11);  // version 1, type 1
      w.u8(0x00);  // session data
      w.u16(link.pppoe_session);
      pppoe_length = w.p;
      w.u16(0);
      w.u16(v4 ? 0x0021 : 0x0057);
      break;
  }

  const IpAddress& src = up ? flow.client : flow.server;
  const IpAddress& dst = up ? flow.server : flow.client;
  const std::uint16_t src_port = up ? flow.client_port : flow.server_port;
  const std::uint16_t dst_port = up ? flow.server_port : flow.client_port;
  const std::size_t options = p.syn_options ? 12 : 0;
  const std::size_t l4_header = flow.udp ? 8 : 20 + options;
  const std::size_t l4_length = l4_header + p.length;
  const std::uint8_t protocol = flow.udp ? 17 : 6;
  const std::uint8_t ttl = flow.ttl[p.direction];

  std::uint8_t* ip = w.p;
  std::uint32_t pseudo = 0;
  if (v4) {
    w.u8(0x45);
    w.u8(0);
    w.u16(static_cast<unsigned>(20 + l4_length));
    w.u16(p.ip_id);
    w.u16(0x4000);  // don't fragment
    w.u8(ttl);
    w.u8(protocol);
    w.u16(0);
    w.bytes(src.bytes.data(), 4);
    w.bytes(dst.bytes.data(), 4);
    put16(ip + 10, internet_checksum({ip, 20}));
    pseudo = sum_words(src.bytes.data(), 4, 0);
    pseudo = sum_words(dst.bytes.data(), 4, pseudo);
  } else {
    w.u32(0x60000000u | static_cast<std::uint32_t>(flow.seed & 0xfffff));
    w.u16(static_cast<unsigned>(l4_length));
    w.u8(protocol);
    w.u8(ttl);
    w.bytes(src.bytes.data(), 16);
    w.bytes(dst.bytes.data(), 16);
    pseudo = sum_words(src.bytes.data(), 16, 0);
    pseudo = sum_words(dst.bytes.data(), 16, pseudo);
  }
  pseudo += protocol;
  pseudo += static_cast<std::uint32_t>(l4_length);

  std::uint8_t* l4 = w.p;
  std::uint8_t* checksum_at = nullptr;
  if (flow.udp) {
    w.u16(src_port);
    w.u16(dst_port);
    w.u16(static_cast<unsigned>(l4_length));
    checksum_at = w.p;
    w.u16(0);
  } else {
    w.u16(src_port);
    w.u16(dst_port);
    w.u32(p.seq);
    w.u32(p.ack);
    w.u8(static_cast<unsigned>((l4_header / 4) << 4));
    w.u8(p.flags);
    w.u16(flow.window[p.direction]);
    checksum_at = w.p;
    w.u16(0);
    w.u16(0);  // urgent pointer
    if (p.syn_options) {
      w.u8(2);  // MSS
      w.u8(4);
      w.u16(flow.mss[p.direction]);
      w.u8(1);  // NOP
      w.u8(3);  // window scale 7
      w.u8(3);
      w.u8(7);
      w.u8(4);  // SACK permitted
      w.u8(2);
      w.u8(1);
      w.u8(1);
    }
  }
  stream_bytes(flow, static_cast<Direction>(p.direction), p.offset, {w.p, p.length});
  w.p += p.length;
  std::uint16_t sum = internet_checksum({l4, l4_length}, pseudo);
  if (flow.udp && sum == 0) sum = 0xffff;  // RFC 768: zero means "no checksum"
  put16(checksum_at, sum);
  if (pppoe_length) put16(pppoe_length, static_cast<std::uint16_t>(w.p - pppoe_length - 2));
  return static_cast<std::size_t>(w.p - out.data());
}

}  // namespace botwarden::linksim
