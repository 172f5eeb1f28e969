// Frame decoder: one captured frame -> a TCP packet view (addresses, ports,
// sequence numbers, payload). Hot path: no allocation, no exceptions; every
// outcome is a DecodeResult so a counter array counts every reason.
#pragma once
#include <array>
#include <cstdint>
#include <span>

#include "sensor/common/ip.hpp"

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

// What the decoder found. Spans point into the caller's frame buffer.
struct PacketView {
  IpAddress src;
  IpAddress dst;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint8_t ip_protocol = 0;
  std::span<const std::uint8_t> ip_packet;  // IP header to end of IP datagram (for nDPI)
  std::span<const std::uint8_t> payload;    // TCP payload
};

// The same without copying the addresses: they stay where they are in the
// frame. The hot path decides from these bytes whether a packet can matter
// (subscriber? SMTP candidate?) and builds a PacketView only when it does.
struct HeaderView {
  const std::uint8_t* src_address = nullptr;  // 4 (IPv4) or 16 (IPv6) bytes inside the frame
  const std::uint8_t* dst_address = nullptr;  // null until the IP header was found whole
  bool ipv6 = false;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint8_t ip_protocol = 0;
  std::span<const std::uint8_t> ip_packet;
  std::span<const std::uint8_t> payload;
};

// Decodes one frame. `view` is filled when the result is DecodeResult::tcp
// (addresses and ip_protocol also for not_tcp).
DecodeResult decode_frame(int link_type, std::span<const std::uint8_t> frame, PacketView& view);
// The same into a HeaderView (what decode_frame runs): every field a PacketView
// would get, with pointers to the addresses instead of copies.
DecodeResult decode_headers(int link_type, std::span<const std::uint8_t> frame, HeaderView& view);
// The PacketView of a HeaderView (addresses copied; fields the decoder did not reach stay default).
PacketView to_packet_view(const HeaderView& h);

// Decoding from the IP header on (used by decode_frame and by tests).
DecodeResult decode_ip(std::span<const std::uint8_t> ip, PacketView& view);

// Counts of every result.
struct DecodeCounters {
  std::array<std::uint64_t, kDecodeResultCount> by_result{};
  void add(DecodeResult r) { ++by_result[static_cast<std::size_t>(r)]; }
  std::uint64_t operator[](DecodeResult r) const { return by_result[static_cast<std::size_t>(r)]; }
};

}  // namespace botwarden::decode
