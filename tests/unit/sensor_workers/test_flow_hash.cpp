// The worker of a subscriber: the same for all its addresses (IPv4 host,
// IPv6 subscriber prefix), spread over workers, symmetric for a flow.
#include <doctest/doctest.h>

#include <array>
#include <string>

#include "sensor/pipeline/workers.hpp"

using namespace botwarden;
using namespace botwarden::pipeline;

namespace {
IpAddress ip(const char* text) { return *IpAddress::parse(text); }
}  // namespace

TEST_CASE("every address in one IPv6 /64 goes to the same worker") {
  for (std::size_t workers = 2; workers <= 8; ++workers) {
    CAPTURE(workers);
    const auto w = worker_for(ip("2001:db8:1000:42::1"), 64, workers);
    CHECK(worker_for(ip("2001:db8:1000:42::2"), 64, workers) == w);
    CHECK(worker_for(ip("2001:db8:1000:42:ffff:ffff:ffff:ffff"), 64, workers) == w);
    CHECK(worker_for(ip("2001:db8:1000:42:1234:5678:9abc:def0"), 64, workers) == w);
  }
}

TEST_CASE("the IPv6 subscriber prefix length decides what is one subscriber") {
  // A /56 subscriber: its /64s share a worker; at /64 they are different subscribers.
  CHECK(subscriber_hash(ip("2001:db8:1000:4201::1"), 56) == subscriber_hash(ip("2001:db8:1000:42ff::9"), 56));
  CHECK(subscriber_hash(ip("2001:db8:1000:4201::1"), 64) != subscriber_hash(ip("2001:db8:1000:42ff::9"), 64));
  CHECK(subscriber_hash(ip("2001:db8::1"), 128) != subscriber_hash(ip("2001:db8::2"), 128));
  CHECK(subscriber_hash(ip("2001:db8::1"), 0) == subscriber_hash(ip("fe80::2"), 0));
}

TEST_CASE("an IPv4 subscriber is its address, always the same worker") {
  for (std::size_t workers = 1; workers <= 8; ++workers) {
    CAPTURE(workers);
    CHECK(worker_for(ip("100.64.3.7"), 64, workers) == worker_for(ip("100.64.3.7"), 48, workers));
    CHECK(worker_for(ip("100.64.3.7"), 64, workers) < workers);
  }
  CHECK(subscriber_hash(ip("100.64.3.7"), 64) != subscriber_hash(ip("100.64.3.8"), 64));
}

TEST_CASE("subscribers spread evenly over workers") {
  // 4096 consecutive IPv4 subscribers and 4096 consecutive /64s over 2 and 3 workers.
  for (std::size_t workers : {2u, 3u}) {
    CAPTURE(workers);
    std::array<int, 3> v4{};
    std::array<int, 3> v6{};
    for (unsigned i = 0; i < 4096; ++i) {
      ++v4[worker_for(IpAddress::v4(0x64400000u + i), 64, workers)];
      IpAddress a = ip("2001:db8:1000::1");
      a.bytes[6] = static_cast<std::uint8_t>(i >> 8);
      a.bytes[7] = static_cast<std::uint8_t>(i);
      ++v6[worker_for(a, 64, workers)];
    }
    const int even = static_cast<int>(4096 / workers);
    for (std::size_t w = 0; w < workers; ++w) {
      CAPTURE(w);
      CHECK(v4[w] > even * 9 / 10);
      CHECK(v4[w] < even * 11 / 10);
      CHECK(v6[w] > even * 9 / 10);
      CHECK(v6[w] < even * 11 / 10);
    }
  }
}
