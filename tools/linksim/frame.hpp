// Wire frames from packet specs: link-layer encapsulation (Ethernet, 802.1Q,
// QinQ, MPLS, PPPoE), IPv4/IPv6, TCP/UDP, with every checksum filled in.
#pragma once
#include <array>
#include <cstdint>
#include <span>

#include "tools/linksim/flow.hpp"
#include "tools/linksim/scenario.hpp"

namespace botwarden::linksim {

// How one subscriber's frames are framed on the access link.
struct LinkLayer {
  Encapsulation encapsulation = Encapsulation::ethernet;
  std::array<std::uint8_t, 6> subscriber_mac{};
  std::array<std::uint8_t, 6> gateway_mac{};
  std::uint16_t outer_vlan = 0;   // S-tag (QinQ) or the only tag (802.1Q)
  std::uint16_t inner_vlan = 0;   // C-tag (QinQ)
  std::uint32_t mpls_outer = 0;   // label stack of two: transport, then service
  std::uint32_t mpls_inner = 0;
  std::uint16_t pppoe_session = 0;
};

inline constexpr std::size_t kMaxFrame = 2048;

// Writes the frame for `p` into `out` (at least kMaxFrame bytes) and returns its length.
std::size_t build_frame(const Flow& flow, const Packet& p, const LinkLayer& link, std::span<std::uint8_t> out);

// The bytes of link-layer framing before the IP header, and the MTU it leaves.
std::size_t link_header_length(Encapsulation e);
std::uint16_t link_mtu(Encapsulation e);

// RFC 1071 one's-complement sum, folded and inverted.
std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes, std::uint32_t initial = 0);

}  // namespace botwarden::linksim
