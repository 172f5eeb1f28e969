// Test helper: builds frames (Ethernet and friends, IPv4/IPv6, TCP) byte by byte.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace botwarden::test {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& b, unsigned v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Bytes& b, std::uint32_t v) {
  put16(b, v >> 16);
  put16(b, v & 0xffff);
}
inline void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
inline void append(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }

inline Bytes tcp(unsigned sport, unsigned dport, std::uint32_t seq, std::uint8_t flags, std::string_view payload,
                 std::uint32_t ack = 0) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, seq);
  put32(b, ack);
  b.push_back(0x50);
  b.push_back(flags);
  put16(b, 65535);
  put16(b, 0);
  put16(b, 0);
  append(b, payload);
  return b;
}

// IPv4 with `options` (a multiple of 4 bytes) and fragment field `frag` (flags+offset).
inline Bytes ipv4(std::initializer_list<std::uint8_t> src, std::initializer_list<std::uint8_t> dst,
                  const Bytes& l4, std::uint8_t proto = 6, const Bytes& options = {}, unsigned frag = 0x4000) {
  Bytes b;
  b.push_back(static_cast<std::uint8_t>(0x40 | ((20 + options.size()) / 4)));
  b.push_back(0);
  put16(b, static_cast<unsigned>(20 + options.size() + l4.size()));
  put16(b, 1);
  put16(b, frag);
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0);
  b.insert(b.end(), src);
  b.insert(b.end(), dst);
  append(b, options);
  append(b, l4);
  return b;
}

// IPv6; `ext` is the extension header chain and `first_next` names its first header.
inline Bytes ipv6(std::uint8_t src_last, std::uint8_t dst_last, const Bytes& l4, std::uint8_t first_next = 6,
                  const Bytes& ext = {}) {
  Bytes b;
  put32(b, 0x60000000);
  put16(b, static_cast<unsigned>(ext.size() + l4.size()));
  b.push_back(first_next);
  b.push_back(64);
  Bytes s{0x20, 0x01, 0x0d, 0xb8, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, src_last};
  Bytes d{0x20, 0x01, 0x0d, 0xb8, 0x99, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, dst_last};
  append(b, s);
  append(b, d);
  append(b, ext);
  append(b, l4);
  return b;
}

inline Bytes ethernet(unsigned ethertype, const Bytes& payload) {
  Bytes b{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
  put16(b, ethertype);
  append(b, payload);
  return b;
}

}  // namespace botwarden::test
