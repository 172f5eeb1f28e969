// ByteReader: the one place where packet bytes are read. Every accessor is
// bounds-checked; an out-of-range read yields 0 instead of touching memory,
// and callers check size() first to report *why* a frame is short.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace botwarden::decode {

// N bytes that ByteReader::fixed found whole: reads at compile-time offsets,
// each checked against N when compiled, need no check when run. For fixed
// headers (IPv4, IPv6, TCP) read field by field on the hot path.
template <std::size_t N>
class FixedBytes {
 public:
  constexpr explicit FixedBytes(const std::uint8_t* p) : p_(p) {}
  template <std::size_t At>
  [[gnu::always_inline]] constexpr std::uint8_t u8() const {
    static_assert(At < N);
    return p_[At];
  }
  template <std::size_t At>
  [[gnu::always_inline]] constexpr std::uint16_t be16() const {
    static_assert(At + 2 <= N);
    return static_cast<std::uint16_t>((p_[At] << 8) | p_[At + 1]);
  }
  template <std::size_t At>
  [[gnu::always_inline]] constexpr std::uint32_t be32() const {
    static_assert(At + 4 <= N);
    return (std::uint32_t{p_[At]} << 24) | (std::uint32_t{p_[At + 1]} << 16) | (std::uint32_t{p_[At + 2]} << 8) |
           std::uint32_t{p_[At + 3]};
  }
  // Where `Length` bytes from `At` start (an address inside the header).
  template <std::size_t At, std::size_t Length>
  [[gnu::always_inline]] constexpr const std::uint8_t* bytes() const {
    static_assert(At + Length <= N);
    return p_ + At;
  }

 private:
  const std::uint8_t* p_;
};

class ByteReader {
 public:
  constexpr ByteReader() = default;
  constexpr explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  constexpr std::size_t size() const { return bytes_.size(); }
  constexpr bool has(std::size_t n) const { return n <= bytes_.size(); }

  [[gnu::always_inline]] constexpr std::uint8_t u8(std::size_t at) const { return at < bytes_.size() ? bytes_[at] : 0; }
  [[gnu::always_inline]] constexpr std::uint16_t be16(std::size_t at) const {
    if (bytes_.size() < 2 || at > bytes_.size() - 2) return 0;
    return static_cast<std::uint16_t>((bytes_[at] << 8) | bytes_[at + 1]);
  }
  [[gnu::always_inline]] constexpr std::uint32_t be32(std::size_t at) const {
    if (bytes_.size() < 4 || at > bytes_.size() - 4) return 0;
    return (std::uint32_t{bytes_[at]} << 24) | (std::uint32_t{bytes_[at + 1]} << 16) |
           (std::uint32_t{bytes_[at + 2]} << 8) | std::uint32_t{bytes_[at + 3]};
  }
  [[gnu::always_inline]] constexpr std::uint32_t le32(std::size_t at) const {
    if (bytes_.size() < 4 || at > bytes_.size() - 4) return 0;
    return (std::uint32_t{bytes_[at + 3]} << 24) | (std::uint32_t{bytes_[at + 2]} << 16) |
           (std::uint32_t{bytes_[at + 1]} << 8) | std::uint32_t{bytes_[at]};
  }
  // Pointer to `at` when at least `n` bytes follow it, else nullptr.
  constexpr const std::uint8_t* bytes_at(std::size_t at, std::size_t n) const {
    return (at <= bytes_.size() && n <= bytes_.size() - at) ? bytes_.data() + at : nullptr;
  }
  // The first N bytes as FixedBytes; false (out untouched) when they are not all there.
  template <std::size_t N>
  [[gnu::always_inline]] constexpr bool fixed(FixedBytes<N>& out) const {
    if (bytes_.size() < N) return false;
    out = FixedBytes<N>{bytes_.data()};
    return true;
  }
  // Copies n bytes from `at` into out; false (and nothing copied) when they are not all there.
  bool copy_to(std::size_t at, std::uint8_t* out, std::size_t n) const {
    if (at > bytes_.size() || n > bytes_.size() - at) return false;
    std::memcpy(out, bytes_.data() + at, n);
    return true;
  }
  // The bytes from `at` on (empty when at >= size()).
  [[gnu::always_inline]] constexpr ByteReader from(std::size_t at) const {
    return at >= bytes_.size() ? ByteReader{} : ByteReader{bytes_.subspan(at)};
  }
  // The first `n` bytes (all of them when n >= size()).
  [[gnu::always_inline]] constexpr ByteReader first(std::size_t n) const {
    return n >= bytes_.size() ? *this : ByteReader{bytes_.first(n)};
  }
  constexpr std::span<const std::uint8_t> span() const { return bytes_; }

 private:
  std::span<const std::uint8_t> bytes_{};
};

}  // namespace botwarden::decode
