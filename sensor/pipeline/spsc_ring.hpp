// A bounded lock-free single-producer/single-consumer ring of variable-sized
// byte messages (the reader thread -> one worker). The producer reserves room,
// writes, commits; the consumer peeks, reads, releases. Nothing is ever
// dropped: a full ring makes try_reserve fail and the producer waits.
// Messages are 8-byte aligned and contiguous (a message that would straddle
// the end is preceded by a wrap marker and starts again at offset 0).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>

namespace botwarden::pipeline {

class SpscByteRing {
 public:
  // `capacity_bytes` is rounded up to a power of two (at least 4 KiB).
  explicit SpscByteRing(std::size_t capacity_bytes) {
    std::size_t c = 4096;
    while (c < capacity_bytes) c <<= 1;
    capacity_ = c;
    buffer_ = std::make_unique<std::byte[]>(capacity_);
  }
  SpscByteRing(const SpscByteRing&) = delete;
  SpscByteRing& operator=(const SpscByteRing&) = delete;

  std::size_t capacity() const { return capacity_; }
  // The largest message try_reserve can ever accept.
  std::size_t max_message() const { return capacity_ / 2 - kHeader; }

  // Producer: room for `size` bytes, or an empty span when the ring is full
  // now. Throws std::length_error when `size` exceeds max_message().
  std::span<std::byte> try_reserve(std::size_t size) {
    if (size > max_message()) throw std::length_error("message larger than half the ring");
    const std::size_t need = kHeader + align(size);
    std::size_t pos = write_ & (capacity_ - 1);
    std::size_t skip = 0;
    if (pos + need > capacity_) skip = capacity_ - pos;  // wrap: waste the tail
    if (write_ + skip + need - read_cached_ > capacity_) {
      read_cached_ = read_.load(std::memory_order_acquire);
      if (write_ + skip + need - read_cached_ > capacity_) return {};
    }
    if (skip != 0) {
      store_size(pos, kWrap);
      write_ += skip;
      pos = 0;
    }
    reserved_ = size;
    return {buffer_.get() + pos + kHeader, size};
  }
  // Producer: publishes the message reserved last.
  void commit() {
    const std::size_t pos = write_ & (capacity_ - 1);
    store_size(pos, reserved_);
    write_ += kHeader + align(reserved_);
    write_published_.store(write_, std::memory_order_release);
  }

  // Consumer: the oldest message, or an empty optional-like span with
  // data() == nullptr when there is none.
  std::span<const std::byte> peek() {
    for (;;) {
      if (read_local_ == write_cached_) {
        write_cached_ = write_published_.load(std::memory_order_acquire);
        if (read_local_ == write_cached_) return {};
      }
      const std::size_t pos = read_local_ & (capacity_ - 1);
      const std::uint64_t size = load_size(pos);
      if (size == kWrap) {
        read_local_ += capacity_ - pos;
        continue;
      }
      return {buffer_.get() + pos + kHeader, static_cast<std::size_t>(size)};
    }
  }
  // Consumer: frees the message returned by the last peek().
  void release() {
    const std::size_t pos = read_local_ & (capacity_ - 1);
    read_local_ += kHeader + align(static_cast<std::size_t>(load_size(pos)));
    read_.store(read_local_, std::memory_order_release);
  }

 private:
  static constexpr std::size_t kHeader = 8;
  static constexpr std::uint64_t kWrap = ~std::uint64_t{0};
  static std::size_t align(std::size_t n) { return (n + 7) & ~std::size_t{7}; }
  void store_size(std::size_t pos, std::uint64_t size) { std::memcpy(buffer_.get() + pos, &size, sizeof size); }
  std::uint64_t load_size(std::size_t pos) const {
    std::uint64_t size;
    std::memcpy(&size, buffer_.get() + pos, sizeof size);
    return size;
  }

  std::size_t capacity_ = 0;
  std::unique_ptr<std::byte[]> buffer_;
  // Producer side (one cache line), consumer side (another), shared counters apart.
  alignas(64) std::size_t write_ = 0;
  std::size_t read_cached_ = 0;
  std::size_t reserved_ = 0;
  alignas(64) std::size_t read_local_ = 0;
  std::size_t write_cached_ = 0;
  alignas(64) std::atomic<std::size_t> write_published_{0};
  alignas(64) std::atomic<std::size_t> read_{0};
};

}  // namespace botwarden::pipeline
