// Small value types shared by the sensor and the notifier: IP addresses,
// prefixes and prefix sets. No allocation on the matching path.
#pragma once
#include <array>
#include <cstdint>
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

// A short list of prefixes (an ISP's subscriber ranges, relays, exemptions).
class PrefixSet {
 public:
  PrefixSet() = default;
  explicit PrefixSet(std::vector<Prefix> prefixes);
  bool contains(const IpAddress& a) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }
  const std::vector<Prefix>& prefixes() const { return all_; }

 private:
  struct V4 { std::uint32_t network, mask; };
  struct V6 { std::uint64_t high, low, high_mask, low_mask; };  // two 64-bit halves: no per-byte masking
  std::vector<V4> v4_;
  std::vector<V6> v6_;
  std::vector<Prefix> all_;
};

}  // namespace botwarden
