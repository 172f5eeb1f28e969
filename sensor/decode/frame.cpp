// Frame decoder: link layer (Ethernet, SLL, SLL2, raw, loopback), tags
// (802.1Q, QinQ, MPLS, PPPoE session), IPv4/IPv6 (options, extension
// headers), TCP. All reads go through ByteReader.
#include "sensor/decode/frame.hpp"

#include "sensor/decode/byte_reader.hpp"

namespace botwarden::decode {

const char* to_string(DecodeResult r) {
  switch (r) {
    case DecodeResult::tcp: return "tcp";
    case DecodeResult::not_tcp: return "not_tcp";
    case DecodeResult::not_ip: return "not_ip";
    case DecodeResult::unsupported_link_type: return "unsupported_link_type";
    case DecodeResult::truncated_link_header: return "truncated_link_header";
    case DecodeResult::truncated_vlan: return "truncated_vlan";
    case DecodeResult::too_many_vlan_tags: return "too_many_vlan_tags";
    case DecodeResult::truncated_mpls: return "truncated_mpls";
    case DecodeResult::too_many_mpls_labels: return "too_many_mpls_labels";
    case DecodeResult::mpls_payload_unknown: return "mpls_payload_unknown";
    case DecodeResult::truncated_pppoe: return "truncated_pppoe";
    case DecodeResult::pppoe_not_ip: return "pppoe_not_ip";
    case DecodeResult::truncated_ipv4: return "truncated_ipv4";
    case DecodeResult::bad_ipv4_header: return "bad_ipv4_header";
    case DecodeResult::ipv4_fragment: return "ipv4_fragment";
    case DecodeResult::truncated_ipv6: return "truncated_ipv6";
    case DecodeResult::truncated_ipv6_extension: return "truncated_ipv6_extension";
    case DecodeResult::too_many_ipv6_extensions: return "too_many_ipv6_extensions";
    case DecodeResult::ipv6_fragment: return "ipv6_fragment";
    case DecodeResult::bad_ip_version: return "bad_ip_version";
    case DecodeResult::truncated_tcp: return "truncated_tcp";
    case DecodeResult::bad_tcp_header: return "bad_tcp_header";
    case DecodeResult::count_: break;
  }
  return "unknown";
}

namespace {

using namespace detail;

DecodeResult decode_by_version(ByteReader ip, HeaderView& v) {
  if (!ip.has(1)) return DecodeResult::truncated_ipv4;
  switch (ip.u8(0) >> 4) {
    case 4: return decode_ipv4(ip, v);
    case 6: return decode_ipv6(ip, v);
    default: return DecodeResult::bad_ip_version;
  }
}

DecodeResult decode_ethertype(std::uint16_t type, ByteReader r, HeaderView& v);

DecodeResult decode_mpls(ByteReader r, HeaderView& v) {
  for (unsigned n = 0; n < kMaxMplsLabels; ++n) {
    if (!r.has(4)) return DecodeResult::truncated_mpls;
    const bool bottom = (r.u8(2) & 0x01) != 0;
    r = r.from(4);
    if (bottom) {
      if (!r.has(1)) return DecodeResult::truncated_mpls;
      const unsigned version = r.u8(0) >> 4;
      if (version == 4) return decode_ipv4(r, v);
      if (version == 6) return decode_ipv6(r, v);
      return DecodeResult::mpls_payload_unknown;
    }
  }
  return DecodeResult::too_many_mpls_labels;
}

DecodeResult decode_pppoe(ByteReader r, HeaderView& v) {
  // RFC 2516 §4: ver/type, code, session id, length; then the PPP protocol.
  if (!r.has(8)) return DecodeResult::truncated_pppoe;
  const std::uint16_t ppp_protocol = r.be16(6);
  if (ppp_protocol == kPppIpv4) return decode_ipv4(r.from(8), v);
  if (ppp_protocol == kPppIpv6) return decode_ipv6(r.from(8), v);
  return DecodeResult::pppoe_not_ip;
}

DecodeResult decode_ethertype(std::uint16_t type, ByteReader r, HeaderView& v) {
  // 802.1Q / 802.1ad tags: each 4 bytes (TCI, inner type).
  for (unsigned tags = 0; type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld; ++tags) {
    if (tags >= kMaxVlanTags) return DecodeResult::too_many_vlan_tags;
    if (!r.has(4)) return DecodeResult::truncated_vlan;
    type = r.be16(2);
    r = r.from(4);
  }
  switch (type) {
    case kEtherIpv4: return decode_ipv4(r, v);
    case kEtherIpv6: return decode_ipv6(r, v);
    case kEtherMplsUnicast:
    case kEtherMplsMulticast: return decode_mpls(r, v);
    case kEtherPppoeSession: return decode_pppoe(r, v);
    default: return DecodeResult::not_ip;
  }
}

DecodeResult decode_loopback_family(std::uint32_t family, ByteReader r, HeaderView& v) {
  // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
  switch (family) {
    case 2: return decode_ipv4(r, v);
    case 10: case 24: case 28: case 30: return decode_ipv6(r, v);
    default: return DecodeResult::not_ip;
  }
}

}  // namespace

DecodeResult decode_ip(std::span<const std::uint8_t> ip, PacketView& view) {
  HeaderView h;
  const DecodeResult r = decode_by_version(ByteReader{ip}, h);
  view = to_packet_view(h);
  return r;
}

DecodeResult decode_frame(int link_type, std::span<const std::uint8_t> frame, PacketView& view) {
  HeaderView h;
  const DecodeResult r = decode_headers(link_type, frame, h);
  view = to_packet_view(h);
  return r;
}

// Every link type and encapsulation (decode_headers in frame.hpp takes the
// common Ethernet frames itself).
DecodeResult detail::decode_headers_general(int link_type, std::span<const std::uint8_t> frame, HeaderView& view) {
  const ByteReader r{frame};
  switch (static_cast<LinkType>(link_type)) {
    case LinkType::ethernet:
      if (!r.has(14)) return DecodeResult::truncated_link_header;
      return decode_ethertype(r.be16(12), r.from(14), view);
    case LinkType::linux_sll:
      if (!r.has(16)) return DecodeResult::truncated_link_header;
      return decode_ethertype(r.be16(14), r.from(16), view);
    case LinkType::linux_sll2:
      if (!r.has(20)) return DecodeResult::truncated_link_header;
      return decode_ethertype(r.be16(0), r.from(20), view);
    case LinkType::raw_ip:
    case LinkType::raw_ip_101: return decode_by_version(r, view);
    case LinkType::ipv4: return decode_ipv4(r, view);
    case LinkType::ipv6: return decode_ipv6(r, view);
    case LinkType::null_loopback: {
      if (!r.has(4)) return DecodeResult::truncated_link_header;
      // Host byte order of the capturing machine: accept either.
      std::uint32_t family = r.le32(0);
      if (family > 0xffff) family = r.be32(0);
      return decode_loopback_family(family, r.from(4), view);
    }
    case LinkType::loop:
      if (!r.has(4)) return DecodeResult::truncated_link_header;
      return decode_loopback_family(r.be32(0), r.from(4), view);
  }
  return DecodeResult::unsupported_link_type;
}

}  // namespace botwarden::decode
