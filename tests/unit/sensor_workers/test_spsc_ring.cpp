// SpscByteRing: messages come out whole, in order, none lost, across wraps
// and between two threads.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "sensor/pipeline/spsc_ring.hpp"

using botwarden::pipeline::SpscByteRing;

namespace {

// Message i: its 8-byte index, then (i * 7) % 300 bytes of a pattern made from i.
std::size_t size_of(std::uint64_t i) { return 8 + (i * 7) % 300; }
void fill(std::span<std::byte> out, std::uint64_t i) {
  std::memcpy(out.data(), &i, 8);
  for (std::size_t k = 8; k < out.size(); ++k) out[k] = static_cast<std::byte>((i + k) & 0xff);
}
// The index of a message whose content is intact; ~0 otherwise.
std::uint64_t check(std::span<const std::byte> in) {
  if (in.size() < 8) return ~std::uint64_t{0};
  std::uint64_t i;
  std::memcpy(&i, in.data(), 8);
  if (in.size() != size_of(i)) return ~std::uint64_t{0};
  for (std::size_t k = 8; k < in.size(); ++k) {
    if (in[k] != static_cast<std::byte>((i + k) & 0xff)) return ~std::uint64_t{0};
  }
  return i;
}

}  // namespace

TEST_CASE("an empty ring has nothing to peek") {
  SpscByteRing ring(4096);
  CHECK(ring.peek().empty());
  CHECK(ring.capacity() == 4096);
}

TEST_CASE("capacity is rounded up to a power of two") {
  CHECK(SpscByteRing(5000).capacity() == 8192);
  CHECK(SpscByteRing(1).capacity() == 4096);
}

TEST_CASE("a full ring refuses until the consumer releases, then wraps") {
  SpscByteRing ring(4096);
  std::uint64_t written = 0;
  std::uint64_t read = 0;
  // Many rounds of: fill until refused, drain half; every message intact, in order.
  for (int round = 0; round < 200; ++round) {
    for (;;) {
      auto room = ring.try_reserve(size_of(written));
      if (room.empty()) break;
      fill(room, written);
      ring.commit();
      ++written;
    }
    CHECK(written > read);
    const std::uint64_t target = read + (written - read + 1) / 2;
    while (read < target) {
      const auto m = ring.peek();
      REQUIRE_FALSE(m.empty());
      CHECK(check(m) == read);
      ring.release();
      ++read;
    }
  }
  while (!ring.peek().empty()) {
    CHECK(check(ring.peek()) == read);
    ring.release();
    ++read;
  }
  CHECK(read == written);
  CHECK(written > 1000);  // the ring wrapped many times
}

TEST_CASE("a message larger than half the ring is refused with a clear error") {
  SpscByteRing ring(4096);
  CHECK(ring.max_message() == 2040);
  CHECK_NOTHROW((void)ring.try_reserve(2040));
  CHECK_THROWS_WITH_AS((void)ring.try_reserve(2041), "message larger than half the ring", std::length_error);
}

TEST_CASE("two threads: every message arrives once, whole and in order") {
  SpscByteRing ring(16384);  // small, so both sides wait on each other often
  constexpr std::uint64_t kMessages = 400000;
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < kMessages; ++i) {
      for (;;) {
        auto room = ring.try_reserve(size_of(i));
        if (!room.empty()) {
          fill(room, i);
          ring.commit();
          break;
        }
        std::this_thread::yield();
      }
    }
  });
  std::uint64_t expected = 0;
  std::uint64_t bad = 0;
  while (expected < kMessages) {
    const auto m = ring.peek();
    if (m.empty()) {
      std::this_thread::yield();
      continue;
    }
    if (check(m) != expected) ++bad;
    ring.release();
    ++expected;
  }
  producer.join();
  CHECK(bad == 0);
  CHECK(expected == kMessages);
  CHECK(ring.peek().empty());
}
