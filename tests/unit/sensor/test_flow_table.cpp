// FlowTable: keys in both directions, idle expiry, eviction of the oldest.
#include <doctest/doctest.h>

#include <vector>

#include "sensor/flow/flow_table.hpp"

using namespace botwarden;
using namespace botwarden::flow;

namespace {
IpAddress ip(const char* s) { return *IpAddress::parse(s); }
}  // namespace

TEST_CASE("a flow's key is the same from both sides") {
  bool a_low = false, b_low = false;
  const auto a = FlowKey::from_packet(ip("100.64.1.10"), 40000, ip("203.0.113.5"), 25, a_low);
  const auto b = FlowKey::from_packet(ip("203.0.113.5"), 25, ip("100.64.1.10"), 40000, b_low);
  CHECK(a == b);
  CHECK(a_low != b_low);
  CHECK(FlowKeyHash{}(a) == FlowKeyHash{}(b));
  bool same_low = false;
  const auto c = FlowKey::from_packet(ip("10.0.0.1"), 25, ip("10.0.0.1"), 40000, same_low);
  CHECK(same_low);
  CHECK(c.low_port == 25);
}

TEST_CASE("flows idle for longer than the timeout are expired, oldest first") {
  FlowTable<int> t(10);
  std::vector<std::pair<int, FlowEnd>> removed;
  auto on_remove = [&](FlowTable<int>::Entry& e, FlowEnd why) { removed.emplace_back(*e.value, why); };
  bool low = false;
  for (int i = 0; i < 3; ++i) {
    const auto k = FlowKey::from_packet(ip("100.64.1.10"), static_cast<std::uint16_t>(40000 + i), ip("203.0.113.5"), 25, low);
    t.insert(k, i * 10, std::make_unique<int>(i), on_remove);
  }
  // Touch flow 0 at t=25: it becomes the most recent.
  REQUIRE(t.find(FlowKey::from_packet(ip("100.64.1.10"), 40000, ip("203.0.113.5"), 25, low), 25) != nullptr);
  t.expire_idle(40, 15, on_remove);  // idle > 15: flows 1 (t=10) and... 2 (t=20) is idle 20
  REQUIRE(removed.size() == 2);
  CHECK(removed[0] == std::pair{1, FlowEnd::idle});
  CHECK(removed[1] == std::pair{2, FlowEnd::idle});
  CHECK(t.size() == 1);
  t.drain(FlowEnd::end_of_capture, on_remove);
  CHECK(removed.back() == std::pair{0, FlowEnd::end_of_capture});
  CHECK(t.size() == 0);
}

TEST_CASE("a full table evicts the least recently seen flow") {
  FlowTable<int> t(100);
  int evicted = 0;
  auto on_remove = [&](FlowTable<int>::Entry&, FlowEnd why) { evicted += why == FlowEnd::evicted; };
  bool low = false;
  for (int i = 0; i < 10000; ++i) {
    const auto k = FlowKey::from_packet(ip("100.64.1.10"), static_cast<std::uint16_t>(i), ip("203.0.113.5"), 25, low);
    t.insert(k, i, std::make_unique<int>(i), on_remove);
    CHECK(t.size() <= 100);
  }
  CHECK(evicted == 9900);
  CHECK(t.find(FlowKey::from_packet(ip("100.64.1.10"), 9999, ip("203.0.113.5"), 25, low), 10000) != nullptr);
  CHECK(t.find(FlowKey::from_packet(ip("100.64.1.10"), 0, ip("203.0.113.5"), 25, low), 10000) == nullptr);
}

TEST_CASE("a released flow keeps its entry without its value, and leaves like any other") {
  FlowTable<int> t(10);
  std::vector<std::pair<bool, FlowEnd>> removed;  // had a value, why
  auto on_remove = [&](FlowTable<int>::Entry& e, FlowEnd why) { removed.emplace_back(e.value != nullptr, why); };
  bool low = false;
  const auto a = FlowKey::from_packet(ip("100.64.1.10"), 40000, ip("203.0.113.5"), 25, low);
  const auto b = FlowKey::from_packet(ip("100.64.1.10"), 40001, ip("203.0.113.5"), 25, low);
  t.insert(a, 10, std::make_unique<int>(1), on_remove);
  t.insert(b, 20, std::make_unique<int>(2), on_remove);
  CHECK(t.release(a));
  CHECK_FALSE(t.release(FlowKey::from_packet(ip("100.64.1.10"), 40002, ip("203.0.113.5"), 25, low)));
  CHECK(t.size() == 2);
  auto* e = t.find(a, 30);
  REQUIRE(e != nullptr);
  CHECK(e->value == nullptr);
  CHECK(e->last_seen == 30);
  CHECK(*t.find(b, 30)->value == 2);
  t.expire_idle(100, 50, on_remove);
  REQUIRE(removed.size() == 2);
  CHECK(removed[0] == std::pair{false, FlowEnd::idle});
  CHECK(removed[1] == std::pair{true, FlowEnd::idle});
  CHECK(t.size() == 0);
}
