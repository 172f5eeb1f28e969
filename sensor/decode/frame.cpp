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

[[gnu::always_inline]] inline DecodeResult decode_tcp(ByteReader seg, HeaderView& v) {
  if (!seg.has(20)) return DecodeResult::truncated_tcp;
  const std::size_t header_len = std::size_t{static_cast<std::uint8_t>(seg.u8(12) >> 4)} * 4;
  if (header_len < 20) return DecodeResult::bad_tcp_header;
  if (!seg.has(header_len)) return DecodeResult::truncated_tcp;
  v.src_port = seg.be16(0);
  v.dst_port = seg.be16(2);
  v.seq = seg.be32(4);
  v.ack = seg.be32(8);
  v.flags = seg.u8(13);
  v.payload = seg.from(header_len).span();
  return DecodeResult::tcp;
}

[[gnu::always_inline]] inline DecodeResult decode_ipv4(ByteReader ip, HeaderView& v) {
  if (!ip.has(20)) return DecodeResult::truncated_ipv4;
  const std::size_t header_len = std::size_t{static_cast<std::uint8_t>(ip.u8(0) & 0x0f)} * 4;
  const std::size_t total_len = ip.be16(2);
  if (header_len < 20 || total_len < header_len) return DecodeResult::bad_ipv4_header;
  if (!ip.has(total_len)) return DecodeResult::truncated_ipv4;
  ip = ip.first(total_len);  // drop Ethernet padding
  const std::uint8_t* header = ip.span().data();  // at least 20 bytes (checked above)
  v.ipv6 = false;
  v.src_address = header + 12;
  v.dst_address = header + 16;
  v.ip_protocol = ip.u8(9);
  v.ip_packet = ip.span();
  // More-fragments set or a non-zero offset: a fragment (RFC 791 §3.1).
  if ((ip.be16(6) & 0x3fff) != 0) return DecodeResult::ipv4_fragment;
  if (v.ip_protocol != kProtoTcp) return DecodeResult::not_tcp;
  return decode_tcp(ip.from(header_len), v);
}

[[gnu::always_inline]] inline DecodeResult decode_ipv6(ByteReader ip, HeaderView& v) {
  if (!ip.has(40)) return DecodeResult::truncated_ipv6;
  const std::size_t total_len = 40 + std::size_t{ip.be16(4)};
  if (!ip.has(total_len)) return DecodeResult::truncated_ipv6;
  ip = ip.first(total_len);
  const std::uint8_t* header = ip.span().data();  // at least 40 bytes (checked above)
  v.ipv6 = true;
  v.src_address = header + 8;
  v.dst_address = header + 24;
  v.ip_packet = ip.span();
  std::uint8_t next = ip.u8(6);
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

PacketView to_packet_view(const HeaderView& h) {
  PacketView v;
  if (h.src_address != nullptr) {
    v.src = h.ipv6 ? IpAddress::v6_bytes(h.src_address) : IpAddress::v4_bytes(h.src_address);
    v.dst = h.ipv6 ? IpAddress::v6_bytes(h.dst_address) : IpAddress::v4_bytes(h.dst_address);
  }
  v.src_port = h.src_port;
  v.dst_port = h.dst_port;
  v.seq = h.seq;
  v.ack = h.ack;
  v.flags = h.flags;
  v.ip_protocol = h.ip_protocol;
  v.ip_packet = h.ip_packet;
  v.payload = h.payload;
  return v;
}

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

DecodeResult decode_headers(int link_type, std::span<const std::uint8_t> frame, HeaderView& view) {
  const ByteReader r{frame};
  // The common frame first: Ethernet with at most one 802.1Q tag around
  // IPv4, IPv6, MPLS or PPPoE. It ends exactly as the general path below
  // would; every other frame (QinQ, two tags, not IP, short) goes that way.
  if (link_type == static_cast<int>(LinkType::ethernet) && r.has(14)) {
    std::uint16_t type = r.be16(12);
    std::size_t at = 14;
    if (type == kEtherVlan && r.has(18)) {
      type = r.be16(16);
      at = 18;
    }
    switch (type) {
      case kEtherIpv4: return decode_ipv4(r.from(at), view);
      case kEtherIpv6: return decode_ipv6(r.from(at), view);
      case kEtherMplsUnicast:
      case kEtherMplsMulticast: return decode_mpls(r.from(at), view);
      case kEtherPppoeSession: return decode_pppoe(r.from(at), view);
      default: break;
    }
  }
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
