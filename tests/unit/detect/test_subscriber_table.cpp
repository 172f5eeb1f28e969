// The per-subscriber table: LRU cap, idle expiry, the open-addressing index
// under many inserts and removals, subscriber keys as text.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "sensor/behaviour/small_vector.hpp"
#include "sensor/behaviour/subscriber_table.hpp"
#include "sensor/common/ip.hpp"

using namespace botwarden;
using behaviour::SubscriberKey;
using behaviour::SubscriberTable;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

SubscriberKey v4(std::uint32_t n) { return SubscriberKey::of(IpAddress::v4(0x64400000u + n), 64); }

struct Counter {
  int value = 0;
};

}  // namespace

TEST_CASE("an IPv4 subscriber is its address and an IPv6 subscriber its prefix, as text both ways") {
  CHECK(SubscriberKey::of(ip("192.0.2.7"), 64).to_string() == "192.0.2.7");
  const auto v6 = SubscriberKey::of(ip("2001:db8:1:2:a:b:c:d"), 64);
  CHECK(v6.to_string() == "2001:db8:1:2::/64");
  CHECK(v6 == SubscriberKey::of(ip("2001:db8:1:2:ffff::1"), 64));
  CHECK_FALSE(v6 == SubscriberKey::of(ip("2001:db8:1:3::1"), 64));
  CHECK(SubscriberKey::of(ip("2001:db8:1:2:a:b:c:d"), 56).to_string() == "2001:db8:1::/56");
  CHECK(behaviour::subscriber_key(ip("2001:db8:1:2:a:b:c:d"), 64) == "2001:db8:1:2::/64");
  for (const char* text : {"192.0.2.7", "2001:db8:1:2::/64", "2001:db8:1::/56"}) {
    CAPTURE(text);
    const auto parsed = SubscriberKey::parse(text);
    REQUIRE(parsed);
    CHECK(parsed->to_string() == text);
  }
  CHECK_FALSE(SubscriberKey::parse("2001:db8::1"));   // an IPv6 subscriber is a prefix
  CHECK_FALSE(SubscriberKey::parse("192.0.2.0/24"));  // an IPv4 subscriber is an address
  CHECK_FALSE(SubscriberKey::parse("mail.example.org"));
  CHECK_FALSE(SubscriberKey::parse(""));
}

TEST_CASE("a full table evicts the least recently active subscriber") {
  SubscriberTable<Counter> t(3);
  bool created = false;
  t.touch(v4(1), 10, &created).value = 1;
  CHECK(created);
  t.touch(v4(2), 20).value = 2;
  t.touch(v4(3), 30).value = 3;
  CHECK(t.touch(v4(1), 40, &created).value == 1);  // 1 is now the most recent
  CHECK_FALSE(created);
  t.touch(v4(4), 50, &created);
  CHECK(created);
  CHECK(t.size() == 3);
  CHECK(t.evictions() == 1);
  CHECK(t.find(v4(2)) == nullptr);
  REQUIRE(t.find(v4(1)) != nullptr);
  CHECK(t.find(v4(1))->value == 1);
  CHECK(t.find(v4(3))->value == 3);
  // A slot reused after eviction starts from a fresh state.
  CHECK(t.find(v4(4))->value == 0);
  std::vector<std::string> order;
  t.for_each([&](const SubscriberKey& k, Counter&) { order.push_back(k.to_string()); });
  CHECK(order == std::vector<std::string>{"100.64.0.4", "100.64.0.1", "100.64.0.3"});
}

TEST_CASE("subscribers idle since the cutoff are dropped and their slots reused") {
  SubscriberTable<Counter> t(100);
  for (std::uint32_t n = 0; n < 10; ++n) t.touch(v4(n), 100 + n).value = static_cast<int>(n);
  t.touch(v4(0), 200);  // active again
  CHECK(t.expire_idle(105) == 4);  // 1..4
  CHECK(t.size() == 6);
  for (std::uint32_t n = 1; n <= 4; ++n) CHECK(t.find(v4(n)) == nullptr);
  CHECK(t.find(v4(0))->value == 0);
  CHECK(t.find(v4(5))->value == 5);
  const auto bytes = t.table_bytes();
  for (std::uint32_t n = 20; n < 24; ++n) t.touch(v4(n), 300);
  CHECK(t.table_bytes() == bytes);  // the four freed nodes were reused
  CHECK(t.expire_idle(1000) == 10);
  CHECK(t.size() == 0);
  CHECK(t.find(v4(0)) == nullptr);
}

TEST_CASE("the index agrees with a map under random touches, evictions and expiry") {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    constexpr std::size_t kCapacity = 3000;
    SubscriberTable<Counter> t(kCapacity);
    std::map<std::uint32_t, Micros> model;  // key -> last active
    Micros now = 0;
    for (int step = 0; step < 40000; ++step) {
      ++now;
      // A small key space so keys repeat, collide in the index and come back after removal.
      const auto n = static_cast<std::uint32_t>(rng() % 5000);
      if (rng() % 500 == 0) {
        const Micros cutoff = now - 2000;
        const auto dropped = t.expire_idle(cutoff);
        std::size_t expected = 0;
        for (auto it = model.begin(); it != model.end();) {
          if (it->second < cutoff) {
            it = model.erase(it);
            ++expected;
          } else {
            ++it;
          }
        }
        REQUIRE(dropped == expected);
        continue;
      }
      bool created = false;
      auto& c = t.touch(v4(n), now, &created);
      REQUIRE(created == (model.count(n) == 0));
      if (created) {
        REQUIRE(c.value == 0);
        if (model.size() == kCapacity) {
          auto oldest = model.begin();
          for (auto it = model.begin(); it != model.end(); ++it) {
            if (it->second < oldest->second) oldest = it;
          }
          model.erase(oldest);
        }
      }
      c.value = static_cast<int>(n) + 1;
      model[n] = now;
      REQUIRE(t.size() == model.size());
    }
    for (std::uint32_t n = 0; n < 5000; ++n) {
      const auto* c = t.find(v4(n));
      REQUIRE((c != nullptr) == (model.count(n) == 1));
      if (c) CHECK(c->value == static_cast<int>(n) + 1);
    }
  }
}

TEST_CASE("a small vector keeps its first value inline, spills to the heap and comes back") {
  behaviour::SmallVector<std::uint64_t, 1> v;
  v.push_back(1);
  CHECK(v.heap_bytes() == 0);
  for (std::uint64_t i = 2; i <= 100; ++i) v.push_back(i);
  CHECK(v.size() == 100);
  CHECK(v.heap_bytes() >= 100 * sizeof(std::uint64_t));
  v.erase_front(10);
  CHECK(v.front() == 11);
  v.erase(v.begin() + 1);
  CHECK(v[1] == 13);
  CHECK(v.erase_if([](std::uint64_t x) { return x % 2 == 1; }) == 45);  // 11, 13, ... 99
  CHECK(v.size() == 44);
  CHECK(v.front() == 14);
  CHECK(v[43] == 100);
  v.shrink();
  CHECK(v.heap_bytes() == 128 * sizeof(std::uint64_t) + behaviour::kHeapBlockOverhead);  // a third used: kept
  CHECK(v.erase_if([](std::uint64_t x) { return x > 30; }) == 35);
  v.shrink();
  CHECK(v.heap_bytes() == 18 * sizeof(std::uint64_t) + behaviour::kHeapBlockOverhead);
  CHECK(v.size() == 9);
  CHECK(v[8] == 30);
  v.erase_if([](std::uint64_t x) { return x != 24; });
  v.shrink();
  CHECK(v.heap_bytes() == 0);
  REQUIRE(v.size() == 1);
  CHECK(v.front() == 24);
  behaviour::SmallVector<std::uint64_t, 1> moved(std::move(v));
  CHECK(moved.front() == 24);
  CHECK(v.empty());
}

namespace {
// A state that holds `bytes` on the heap, reported as such.
struct Blob {
  std::vector<char> data;
  std::size_t heap_bytes() const { return data.capacity(); }
};
}  // namespace

TEST_CASE("past the byte budget the least recently active subscribers are evicted, never the last one") {
  SubscriberTable<Blob> t(1000);
  const auto grow = [&](std::uint32_t n, Micros now, std::size_t bytes) {
    auto& b = t.touch(v4(n), now);
    const std::size_t before = b.heap_bytes();
    b.data.resize(b.data.size() + bytes);
    b.data.shrink_to_fit();
    t.adjust_heap(before, b.heap_bytes());
  };
  for (std::uint32_t n = 0; n < 10; ++n) grow(n, n, 100);
  CHECK(t.heap_bytes() == 1000);
  CHECK(t.evict_over_budget(1000) == 0);
  grow(3, 20, 400);  // 3 becomes the most recent, with 500 bytes
  CHECK(t.heap_bytes() == 1400);
  CHECK(t.evict_over_budget(1000) == 4);  // 0, 1, 2, 4: the least recently active
  CHECK(t.heap_bytes() == 1000);
  CHECK(t.size() == 6);
  CHECK(t.evictions() == 4);
  CHECK(t.find(v4(0)) == nullptr);
  CHECK(t.find(v4(4)) == nullptr);
  CHECK(t.find(v4(5)) != nullptr);
  grow(3, 30, 5000);
  CHECK(t.evict_over_budget(1000) == 5);  // all but 3, which alone is over
  CHECK(t.size() == 1);
  CHECK(t.heap_bytes() == 5500);
  CHECK(t.expire_idle(100) == 1);
  CHECK(t.heap_bytes() == 0);
}
