// Bounded per-subscriber memory (issue 11): the detectors' state for many
// subscribers, measured by counting every heap allocation the engine makes.
// Its own binary: heap_counter.hpp replaces the global operator new/delete.
#include <doctest/doctest.h>

#include "../sensor/heap_counter.hpp"
#include "records.hpp"
#include "sensor/detect/engine.hpp"

using namespace botwarden;
using namespace botwarden::testing;

namespace {

struct Discard : events::EventSink {
  std::size_t events = 0;
  void emit(const events::DetectionEvent&) override { ++events; }
};

// The n-th subscriber of a residential /10: 100.64.0.0 + n + 1.
std::string subscriber(std::uint32_t n) {
  const std::uint32_t a = (100u << 24 | 64u << 16) + n + 1;
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) +
         "." + std::to_string(a & 255);
}

constexpr Micros kSecond = kMicrosPerSecond;

}  // namespace

TEST_CASE("100,000 subscribers with typical traffic hold under 400 bytes each of detector state") {
  DetectConfig config;
  Discard sink;
  detect::Engine engine("sensor1", config, sink);
  constexpr std::uint32_t kSubscribers = 100'000;
  const long long before = g_live_bytes.load();
  // Typical residential mail: most send one message through a foreign MX or
  // the relay; every tenth sends three to different MX servers.
  for (std::uint32_t n = 0; n < kSubscribers; ++n) {
    const std::string client = subscriber(n);
    const Micros at = kT0 + static_cast<Micros>(n) * 100;
    if (n % 4 == 1) {
      engine.on_session(submission(client.c_str(), "DESKTOP-7F3KQ2L", at));
    } else {
      engine.on_session(delivery(client.c_str(), mx(n % 200), "home.example.org", at, "me@example.org",
                                 "you@example.net"));
    }
    if (n % 10 == 3) {
      for (unsigned i = 1; i <= 2; ++i) {
        engine.on_session(delivery(client.c_str(), mx((n + i * 7) % 200), "home.example.org", at + i * kSecond,
                                   "me@example.org", "you@example.net"));
      }
    }
  }
  REQUIRE(engine.stats().tracked_subscribers == kSubscribers);
  const long long per_subscriber = (g_live_bytes.load() - before) / kSubscribers;
  MESSAGE("detector state: " << per_subscriber << " bytes per subscriber, of which the states report "
                              << engine.stats().state_heap_bytes / kSubscribers << " on the heap");
  CHECK(per_subscriber < 400);
  // The byte budget's view: what the states hold besides their nodes, well
  // under kStateHeapBytesPerSubscriber for this kind of traffic.
  CHECK(engine.stats().state_heap_bytes / kSubscribers < 100);
}

TEST_CASE("subscribers whose windows have passed are freed: a new crowd reuses their memory") {
  DetectConfig config;
  Discard sink;
  detect::Engine engine("sensor1", config, sink);
  constexpr std::uint32_t kSubscribers = 10'000;
  const auto crowd = [&](std::uint32_t first, Micros start) {
    for (std::uint32_t n = first; n < first + kSubscribers; ++n) {
      const std::string client = subscriber(n);
      const Micros at = start + static_cast<Micros>(n - first) * 1000;
      engine.on_time(at);
      engine.on_session(delivery(client.c_str(), mx(n % 200), "[192.0.2.1]", at));
      engine.on_session(delivery(client.c_str(), mx((n + 1) % 200), "[192.0.2.1]", at + kSecond));
    }
  };
  const long long before = g_live_bytes.load();
  crowd(0, kT0);
  const long long first = g_live_bytes.load() - before;
  REQUIRE(engine.stats().tracked_subscribers == kSubscribers);
  // A day later (longer than every window, the event window's 24 h too) a
  // different crowd arrives.
  crowd(kSubscribers, kT0 + 25 * 3600 * kSecond);
  REQUIRE(engine.stats().tracked_subscribers == kSubscribers);
  const long long second = g_live_bytes.load() - before;
  MESSAGE("flagged subscribers in one snowshoe cluster: " << first / kSubscribers
                                                          << " bytes each; after a second crowd " << second / kSubscribers);
  // Every one of them is flagged (bad_helo, then snowshoe: one sender
  // fingerprint) and so carries its reports and a cluster membership.
  CHECK(sink.events >= 2 * kSubscribers);
  CHECK(first / kSubscribers < 1024);
  CHECK(second < first + first / 50);
}

TEST_CASE("the engine reports what its subscribers hold on the heap, back to zero once they expire") {
  DetectConfig config;
  Discard sink;
  detect::Engine engine("sensor1", config, sink);
  // A bot to 3,000 servers with a new sender domain each, a HELO-literal
  // snowshoe crowd, plain senders.
  Micros at = kT0;
  for (unsigned i = 0; i < 3000; ++i, at += 100'000) {
    engine.on_time(at);
    engine.on_session(delivery("100.64.200.1", mx(i), "bulk.example", at, "a@d" + std::to_string(i) + ".example"));
  }
  const auto bot = engine.stats().state_heap_bytes;
  MESSAGE("a bot to 3,000 servers: " << bot << " bytes of windows and samples");
  CHECK(bot > 3000 * (16 + 16));
  CHECK(bot < 3000 * 80);
  for (std::uint32_t n = 0; n < 2000; ++n, at += 1000) {
    const std::string client = subscriber(n);
    engine.on_time(at);
    engine.on_session(delivery(client.c_str(), mx(n % 200), n % 2 ? "[192.0.2.1]" : "home.example.org", at));
  }
  CHECK(sink.events > 0);
  CHECK(engine.stats().state_heap_bytes > bot + 2000 * 40);
  // Windows pass after an hour; subscribers leave after the day's event window.
  engine.on_time(at + 2 * 3600 * kSecond);
  CHECK(engine.stats().state_heap_bytes < bot / 4 + 2000 * 400);
  engine.on_time(at + 25 * 3600 * kSecond);
  CHECK(engine.stats().tracked_subscribers == 0);
  CHECK(engine.stats().state_heap_bytes == 0);
}

TEST_CASE("bots with thousands of servers each are evicted at the byte budget, least recently active first") {
  DetectConfig config;
  config.max_tracked_subscribers = 16;  // budget: the 1 MiB floor
  Discard sink;
  detect::Engine engine("sensor1", config, sink);
  Micros at = kT0;
  std::size_t peak = 0;
  for (unsigned i = 0; i < 3000; ++i) {
    for (std::uint32_t bot = 0; bot < 8; ++bot, at += 10'000) {
      engine.on_time(at);
      engine.on_session(delivery(subscriber(bot).c_str(), mx(i), "bulk.example", at,
                                 "a@d" + std::to_string(i) + ".example"));
      peak = std::max(peak, engine.stats().state_heap_bytes);
    }
  }
  MESSAGE("8 bots: " << engine.stats().evictions << " evictions, peak " << peak << " bytes");
  CHECK(engine.stats().evictions > 0);
  CHECK(peak <= detect::kMinStateHeapBytes);
  CHECK(engine.stats().tracked_subscribers <= 8);
}
