// Small value types shared by the sensor and the notifier: IP addresses,
// prefixes and prefix sets. No allocation on the matching path.
#pragma once
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace botwarden {

// An IPv4 or IPv6 address. IPv4 is kept in the first 4 bytes.
struct IpAddress {
  enum class Family : std::uint8_t { v4, v6 };
  Family family = Family::v4;
  std::array<std::uint8_t, 16> bytes{};

  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v4_bytes(const std::uint8_t* network_order);
  static IpAddress v6_bytes(const std::uint8_t* network_order);
  // Parses dotted IPv4 or RFC 4291 IPv6 text; nullopt when it is neither.
  static std::optional<IpAddress> parse(std::string_view text);

  bool is_v4() const { return family == Family::v4; }
  std::size_t byte_length() const { return is_v4() ? 4 : 16; }
  std::uint32_t v4_host_order() const;
  std::string to_string() const;
  // The first `length` bits kept, the rest zeroed.
  IpAddress masked(unsigned length) const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

struct IpAddressHash {
  std::size_t operator()(const IpAddress& a) const noexcept;
};

// A CIDR prefix such as 192.0.2.0/24 or 2001:db8::/32.
struct Prefix {
  IpAddress network;
  unsigned length = 0;

  // Parses "addr/len" (or a bare address, as a host prefix). Host bits set
  // below the length are an error: "10.0.0.1/8" is rejected, not guessed at.
  static std::optional<Prefix> parse(std::string_view text, std::string* error = nullptr);
  bool contains(const IpAddress& a) const;
  std::string to_string() const;
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

// Big-endian loads from address bytes (no alignment needed).
inline std::uint32_t load_be32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
  return v;
}
inline std::uint64_t load_be64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

// A short list of prefixes (an ISP's subscriber ranges, relays, exemptions).
// Matching is inline: the sensor asks for every TCP packet, and a call plus
// the family dispatch cost more than the one or two mask compares.
class PrefixSet {
 public:
  PrefixSet() = default;
  explicit PrefixSet(std::vector<Prefix> prefixes);
  bool contains(const IpAddress& a) const {
    if (a.is_v4()) return contains_v4(load_be32(a.bytes.data()));
    return contains_v6(load_be64(a.bytes.data()), load_be64(a.bytes.data() + 8));
  }
  // An IPv4 address in host byte order.
  bool contains_v4(std::uint32_t host_order) const {
    if ((host_order & first_v4_.mask) == first_v4_.network) return true;
    for (std::size_t i = 1; i < v4_.size(); ++i) {
      if ((host_order & v4_[i].mask) == v4_[i].network) return true;
    }
    return false;
  }
  // An IPv6 address as its two host-order 64-bit halves.
  bool contains_v6(std::uint64_t high, std::uint64_t low) const {
    if ((high & first_v6_.high_mask) == first_v6_.high && (low & first_v6_.low_mask) == first_v6_.low) return true;
    for (std::size_t i = 1; i < v6_.size(); ++i) {
      const V6& p = v6_[i];
      if ((high & p.high_mask) == p.high && (low & p.low_mask) == p.low) return true;
    }
    return false;
  }
  bool empty() const { return v4_.empty() && v6_.empty(); }
  const std::vector<Prefix>& prefixes() const { return all_; }

 private:
  struct V4 { std::uint32_t network, mask; };
  struct V6 { std::uint64_t high, low, high_mask, low_mask; };  // two 64-bit halves: no per-byte masking
  std::vector<V4> v4_;
  std::vector<V6> v6_;
  // Copies of the first prefix of each family, tested without touching the
  // vectors (an ISP has a few prefixes; the first usually matches). With no
  // prefix of a family they match nothing (network bits outside the mask).
  V4 first_v4_{1, 0};
  V6 first_v6_{1, 1, 0, 0};
  std::vector<Prefix> all_;
};

}  // namespace botwarden
