// Frame decoder: one captured frame -> a TCP packet view (addresses, ports,
// sequence numbers, payload). Hot path: no allocation, no exceptions; every
// outcome is a DecodeResult so a counter array counts every reason.
#pragma once
#include <array>
#include <cstdint>
#include <span>

#include "sensor/common/ip.hpp"
#include "sensor/decode/byte_reader.hpp"

namespace botwarden::decode {

// Link types we decode (libpcap LINKTYPE_* values as pcap_datalink() gives them).
enum class LinkType : int {
  null_loopback = 0,  // DLT_NULL: 4-byte address family in host byte order
  ethernet = 1,       // DLT_EN10MB
  raw_ip = 12,        // DLT_RAW on Linux
  loop = 108,         // DLT_LOOP: address family in network byte order
  raw_ip_101 = 101,   // LINKTYPE_RAW
  linux_sll = 113,    // Linux cooked capture v1
  ipv4 = 228,         // LINKTYPE_IPV4
  ipv6 = 229,         // LINKTYPE_IPV6
  linux_sll2 = 276,   // Linux cooked capture v2
};

enum class DecodeResult : std::uint8_t {
  tcp,                     // a TCP segment: the view is filled
  not_tcp,                 // a valid IP packet carrying something else (UDP, ICMP, ...)
  not_ip,                  // a valid frame carrying neither IPv4 nor IPv6 (ARP, LLDP, ...)
  unsupported_link_type,   // the capture's link type is not one of LinkType
  truncated_link_header,   // shorter than its Ethernet/SLL/loopback header
  truncated_vlan,          // an 802.1Q/QinQ tag cut short
  too_many_vlan_tags,      // more than kMaxVlanTags tags
  truncated_mpls,          // an MPLS label cut short
  too_many_mpls_labels,    // more than kMaxMplsLabels labels without bottom-of-stack
  mpls_payload_unknown,    // bottom of stack not followed by IPv4/IPv6
  truncated_pppoe,         // PPPoE session header cut short
  pppoe_not_ip,            // PPP protocol other than IPv4 (0x0021) / IPv6 (0x0057)
  truncated_ipv4,          // shorter than the IPv4 header or its total length
  bad_ipv4_header,         // IHL < 5 or total length < IHL
  ipv4_fragment,           // an IPv4 fragment: counted and skipped (no reassembly)
  truncated_ipv6,          // shorter than the IPv6 header or its payload length
  truncated_ipv6_extension,  // an IPv6 extension header cut short
  too_many_ipv6_extensions,  // more than kMaxIpv6Extensions extension headers
  ipv6_fragment,           // an IPv6 fragment header: counted and skipped
  bad_ip_version,          // the version nibble says neither 4 nor 6
  truncated_tcp,           // shorter than the TCP header (or its data offset)
  bad_tcp_header,          // TCP data offset < 5
  count_,                  // sentinel: number of results
};
inline constexpr std::size_t kDecodeResultCount = static_cast<std::size_t>(DecodeResult::count_);
const char* to_string(DecodeResult r);

inline constexpr unsigned kMaxVlanTags = 4;
inline constexpr unsigned kMaxMplsLabels = 8;
inline constexpr unsigned kMaxIpv6Extensions = 8;

namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;
}

// What the decoder found past the addresses. Spans point into the caller's frame buffer.
struct TransportView {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint8_t ip_protocol = 0;
  std::span<const std::uint8_t> ip_packet;  // IP header to end of IP datagram (for nDPI)
  std::span<const std::uint8_t> payload;    // TCP payload
};

// What the decoder found, with the addresses copied out.
struct PacketView : TransportView {
  IpAddress src;
  IpAddress dst;
};

// The same without copying the addresses: they stay where they are in the
// frame. The hot path decides from these bytes whether a packet can matter
// (subscriber? SMTP candidate?) and builds a PacketView only when it does.
struct HeaderView : TransportView {
  const std::uint8_t* src_address = nullptr;  // 4 (IPv4) or 16 (IPv6) bytes inside the frame
  const std::uint8_t* dst_address = nullptr;  // null until the IP header was found whole
  bool ipv6 = false;
};

// The hot part of the decoder, inline so that the pipeline's per-packet
// path has no call and keeps the HeaderView in registers. Each reader of
// packet bytes goes through ByteReader; frame.cpp has the rest.
namespace detail {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinQ = 0x88a8;
constexpr std::uint16_t kEtherQinQOld = 0x9100;
constexpr std::uint16_t kEtherMplsUnicast = 0x8847;
constexpr std::uint16_t kEtherMplsMulticast = 0x8848;
constexpr std::uint16_t kEtherPppoeSession = 0x8864;
constexpr std::uint16_t kPppIpv4 = 0x0021;
constexpr std::uint16_t kPppIpv6 = 0x0057;
constexpr std::uint8_t kProtoTcp = 6;
// 802.1Q, 802.1ad (QinQ), and the older QinQ type 0x9100.
constexpr bool is_vlan_type(std::uint16_t type) {
  // 0x8100 and 0x9100 differ in one bit only.
  static_assert((kEtherVlan | 0x1000) == kEtherQinQOld);
  return (type & 0xefff) == kEtherVlan || type == kEtherQinQ;
}

[[gnu::always_inline]] inline DecodeResult decode_tcp(ByteReader seg, HeaderView& v) {
  FixedBytes<20> tcp{nullptr};
  if (!seg.fixed(tcp)) return DecodeResult::truncated_tcp;
  const std::size_t header_len = std::size_t{static_cast<std::uint8_t>(tcp.u8<12>() >> 4)} * 4;
  if (header_len < 20) return DecodeResult::bad_tcp_header;
  if (!seg.has(header_len)) return DecodeResult::truncated_tcp;
  v.src_port = tcp.be16<0>();
  v.dst_port = tcp.be16<2>();
  v.seq = tcp.be32<4>();
  v.ack = tcp.be32<8>();
  v.flags = tcp.u8<13>();
  v.payload = seg.from(header_len).span();
  return DecodeResult::tcp;
}

[[gnu::always_inline]] inline DecodeResult decode_ipv4(ByteReader ip, HeaderView& v) {
  FixedBytes<20> header{nullptr};
  if (!ip.fixed(header)) return DecodeResult::truncated_ipv4;
  // The version nibble must agree with the encapsulation that said IPv4
  // (nDPI and any other reader of ip_packet go by the nibble).
  if ((header.u8<0>() & 0xf0) != 0x40) return DecodeResult::bad_ip_version;
  const std::size_t header_len = std::size_t{static_cast<std::uint8_t>(header.u8<0>() & 0x0f)} * 4;
  const std::size_t total_len = header.be16<2>();
  if (header_len < 20 || total_len < header_len) return DecodeResult::bad_ipv4_header;
  if (!ip.has(total_len)) return DecodeResult::truncated_ipv4;
  ip = ip.first(total_len);  // drop Ethernet padding
  v.ipv6 = false;
  v.src_address = header.bytes<12, 4>();
  v.dst_address = header.bytes<16, 4>();
  v.ip_protocol = header.u8<9>();
  v.ip_packet = ip.span();
  // More-fragments set or a non-zero offset: a fragment (RFC 791 §3.1).
  if ((header.be16<6>() & 0x3fff) != 0) return DecodeResult::ipv4_fragment;
  if (v.ip_protocol != kProtoTcp) return DecodeResult::not_tcp;
  return decode_tcp(ip.from(header_len), v);
}

[[gnu::always_inline]] inline DecodeResult decode_ipv6(ByteReader ip, HeaderView& v) {
  FixedBytes<40> header{nullptr};
  if (!ip.fixed(header)) return DecodeResult::truncated_ipv6;
  if ((header.u8<0>() & 0xf0) != 0x60) return DecodeResult::bad_ip_version;
  const std::size_t total_len = 40 + std::size_t{header.be16<4>()};
  if (!ip.has(total_len)) return DecodeResult::truncated_ipv6;
  ip = ip.first(total_len);
  v.ipv6 = true;
  v.src_address = header.bytes<8, 16>();
  v.dst_address = header.bytes<24, 16>();
  v.ip_packet = ip.span();
  std::uint8_t next = header.u8<6>();
  std::size_t at = 40;
  // RFC 8200 §4: extension headers in a chain, each naming the next.
  for (unsigned n = 0;; ++n) {
    switch (next) {
      case 0:    // hop-by-hop options
      case 43:   // routing
      case 60:   // destination options
      case 51: {  // authentication header (RFC 4302: length in 4-octet units, minus 2)
        if (n >= kMaxIpv6Extensions) return DecodeResult::too_many_ipv6_extensions;
        if (!ip.has(at + 2)) return DecodeResult::truncated_ipv6_extension;
        const std::size_t len = next == 51 ? (std::size_t{ip.u8(at + 1)} + 2) * 4
                                           : (std::size_t{ip.u8(at + 1)} + 1) * 8;
        if (!ip.has(at + len)) return DecodeResult::truncated_ipv6_extension;
        next = ip.u8(at);
        at += len;
        continue;
      }
      case 44:  // fragment
        v.ip_protocol = next;
        return DecodeResult::ipv6_fragment;
      default:
        v.ip_protocol = next;
        if (next != kProtoTcp) return DecodeResult::not_tcp;
        return decode_tcp(ip.from(at), v);
    }
  }
}

// Every link type and encapsulation, the slower way.
DecodeResult decode_headers_general(int link_type, std::span<const std::uint8_t> frame, HeaderView& view);

}  // namespace detail

// Decodes one frame into a HeaderView (what decode_frame runs): every field a
// PacketView would get, with pointers to the addresses instead of copies.
// The common frame (Ethernet, VLAN tags, then IPv4, IPv6, or MPLS or PPPoE
// carrying IP) is taken here; it ends exactly as the general path would.
// Every other frame (not IP, too many tags, cut short inside the link, tag,
// MPLS or PPPoE header, other link types) goes the general way.
[[gnu::always_inline]] inline DecodeResult decode_headers(int link_type, std::span<const std::uint8_t> frame,
                                                          HeaderView& view) {
  const ByteReader r{frame};
  if (link_type == static_cast<int>(LinkType::ethernet) && r.has(14)) {
    std::uint16_t type = r.be16(12);
    std::size_t at = 14;
    // Up to two 802.1Q / 802.1ad tags (each 4 bytes: TCI, inner type); more,
    // or cut short: the general path names the error.
    if (detail::is_vlan_type(type)) {
      type = r.has(18) ? r.be16(16) : 0;
      at = 18;
      if (detail::is_vlan_type(type)) {
        type = r.has(22) ? r.be16(20) : 0;
        at = 22;
        if (detail::is_vlan_type(type)) type = 0;
      }
    }
    // Where the IP header starts and which version the encapsulation says.
    std::size_t ip_at = 0;
    unsigned version = 0;
    switch (type) {
      case detail::kEtherIpv4: ip_at = at; version = 4; break;
      case detail::kEtherIpv6: ip_at = at; version = 6; break;
      case detail::kEtherMplsUnicast:
      case detail::kEtherMplsMulticast:
        // Labels up to the bottom of the stack, then the IP version nibble.
        for (unsigned n = 0; n < kMaxMplsLabels && r.has(at + 4); ++n) {
          const bool bottom = (r.u8(at + 2) & 0x01) != 0;
          at += 4;
          if (bottom) {
            if (r.has(at + 1)) {
              version = r.u8(at) >> 4;
              ip_at = at;
            }
            break;
          }
        }
        break;
      case detail::kEtherPppoeSession:  // RFC 2516 §4: 6 bytes, then the PPP protocol
        if (r.has(at + 8)) {
          const std::uint16_t ppp = r.be16(at + 6);
          if (ppp == detail::kPppIpv4) version = 4;
          if (ppp == detail::kPppIpv6) version = 6;
          ip_at = at + 8;
        }
        break;
      default: break;
    }
    if (version == 4) return detail::decode_ipv4(r.from(ip_at), view);
    if (version == 6) return detail::decode_ipv6(r.from(ip_at), view);
  }
  // Not through `view` itself: the caller's HeaderView can then live in registers.
  HeaderView other;
  const DecodeResult result = detail::decode_headers_general(link_type, frame, other);
  view = other;
  return result;
}

// The PacketView of a HeaderView (addresses copied; fields the decoder did not reach stay default).
inline PacketView to_packet_view(const HeaderView& h) {
  PacketView v;
  static_cast<TransportView&>(v) = h;
  if (h.src_address != nullptr) {
    v.src = h.ipv6 ? IpAddress::v6_bytes(h.src_address) : IpAddress::v4_bytes(h.src_address);
    v.dst = h.ipv6 ? IpAddress::v6_bytes(h.dst_address) : IpAddress::v4_bytes(h.dst_address);
  }
  return v;
}

// Decodes one frame. `view` is filled when the result is DecodeResult::tcp
// (addresses and ip_protocol also for not_tcp).
DecodeResult decode_frame(int link_type, std::span<const std::uint8_t> frame, PacketView& view);

// Decoding from the IP header on (used by decode_frame and by tests).
DecodeResult decode_ip(std::span<const std::uint8_t> ip, PacketView& view);

// Counts of every result.
struct DecodeCounters {
  std::array<std::uint64_t, kDecodeResultCount> by_result{};
  void add(DecodeResult r) { ++by_result[static_cast<std::size_t>(r)]; }
  std::uint64_t operator[](DecodeResult r) const { return by_result[static_cast<std::size_t>(r)]; }
};

}  // namespace botwarden::decode
