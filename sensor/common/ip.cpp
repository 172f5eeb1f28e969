// IP address and prefix parsing, formatting and matching.
#include "ip.hpp"

#include <utility>

#include <arpa/inet.h>

#include <bit>
#include <charconv>
#include <cstring>

namespace botwarden {

IpAddress IpAddress::v4(std::uint32_t host_order) {
  IpAddress a;
  a.family = Family::v4;
  a.bytes[0] = static_cast<std::uint8_t>(host_order >> 24);
  a.bytes[1] = static_cast<std::uint8_t>(host_order >> 16);
  a.bytes[2] = static_cast<std::uint8_t>(host_order >> 8);
  a.bytes[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::v4_bytes(const std::uint8_t* p) {
  IpAddress a;
  a.family = Family::v4;
  std::memcpy(a.bytes.data(), p, 4);
  return a;
}

IpAddress IpAddress::v6_bytes(const std::uint8_t* p) {
  IpAddress a;
  a.family = Family::v6;
  std::memcpy(a.bytes.data(), p, 16);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.family = Family::v4;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    a.family = Family::v6;
    return a;
  }
  return std::nullopt;
}

std::uint32_t IpAddress::v4_host_order() const {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

IpAddress IpAddress::masked(unsigned length) const {
  IpAddress out = *this;
  const unsigned total = static_cast<unsigned>(byte_length()) * 8;
  for (unsigned bit = length; bit < total; ++bit) {
    out.bytes[bit / 8] = static_cast<std::uint8_t>(out.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
  }
  for (std::size_t i = byte_length(); i < 16; ++i) out.bytes[i] = 0;
  return out;
}

std::size_t IpAddressHash::operator()(const IpAddress& a) const noexcept {
  // FNV-1a over the significant bytes; addresses are short.
  std::uint64_t h = 1469598103934665603ull ^ static_cast<std::uint64_t>(a.family);
  for (std::size_t i = 0; i < a.byte_length(); ++i) {
    h ^= a.bytes[i];
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h);
}

std::optional<Prefix> Prefix::parse(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<Prefix> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  const auto slash = text.find('/');
  const auto addr_text = text.substr(0, slash);
  auto addr = IpAddress::parse(addr_text);
  if (!addr) return fail("'" + std::string(addr_text) + "' is not an IPv4 or IPv6 address");
  const unsigned max_len = addr->is_v4() ? 32 : 128;
  unsigned length = max_len;
  if (slash != std::string_view::npos) {
    const auto len_text = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
    if (ec != std::errc{} || ptr != len_text.data() + len_text.size() || len_text.empty() ||
        length > max_len) {
      return fail("prefix length '" + std::string(len_text) + "' must be 0.." +
                  std::to_string(max_len));
    }
  }
  if (addr->masked(length) != *addr) {
    return fail("'" + std::string(text) + "' has host bits set below /" + std::to_string(length));
  }
  return Prefix{*addr, length};
}

bool Prefix::contains(const IpAddress& a) const {
  if (a.family != network.family) return false;
  return a.masked(length) == network;
}

std::string Prefix::to_string() const {
  return network.to_string() + "/" + std::to_string(length);
}

namespace {
// An IPv6 address as two host-order 64-bit halves.
std::pair<std::uint64_t, std::uint64_t> halves(const IpAddress& a) {
  return {load_be64(a.bytes.data()), load_be64(a.bytes.data() + 8)};
}
}  // namespace

PrefixSet::PrefixSet(std::vector<Prefix> prefixes) : all_(std::move(prefixes)) {
  for (const auto& p : all_) {
    if (p.network.is_v4()) {
      const std::uint32_t mask = p.length == 0 ? 0u : ~0u << (32 - p.length);
      v4_.push_back({p.network.v4_host_order(), mask});
    } else {
      const auto [high, low] = halves(p.network);
      const unsigned hl = p.length >= 64 ? 64 : p.length;
      const unsigned ll = p.length >= 64 ? p.length - 64 : 0;
      const std::uint64_t high_mask = hl == 0 ? 0 : ~0ULL << (64 - hl);
      const std::uint64_t low_mask = ll == 0 ? 0 : ~0ULL << (64 - ll);
      v6_.push_back({high & high_mask, low & low_mask, high_mask, low_mask});
    }
  }
  if (!v4_.empty()) first_v4_ = v4_.front();
  if (!v6_.empty()) first_v6_ = v6_.front();
}

}  // namespace botwarden
