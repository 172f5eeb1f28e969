// One subscriber's windows and samples: novelty, caps, expiry that gives
// memory back, samples exact up to the schema's lengths.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <random>

#include "records.hpp"
#include "sensor/behaviour/subscriber_behaviour.hpp"

using namespace botwarden;
using namespace botwarden::testing;
using behaviour::SampleLists;

namespace {
constexpr Micros kSecond = kMicrosPerSecond;
const behaviour::BehaviourLimits kLimits;
}  // namespace

TEST_CASE("sample lists keep distinct values in arrival order, ten at most") {
  SampleLists s;
  CHECK(s.heap_bytes() == 0);
  s.add(SampleLists::helo, "", 10);
  CHECK(s.heap_bytes() == 0);
  s.add(SampleLists::helo, "a.example", 10);
  s.add(SampleLists::destination, "203.0.113.1", 10);
  s.add(SampleLists::helo, "b.example", 10);
  s.add(SampleLists::helo, "a.example", 10);
  CHECK(s.list(SampleLists::helo) == std::vector<std::string>{"a.example", "b.example"});
  CHECK(s.list(SampleLists::destination) == std::vector<std::string>{"203.0.113.1"});
  CHECK(s.list(SampleLists::mailfrom_domain).empty());
  for (int i = 0; i < 20; ++i) s.add(SampleLists::destination, "198.18.0." + std::to_string(i), 10);
  const auto d = s.list(SampleLists::destination);
  REQUIRE(d.size() == 10);
  CHECK(d.back() == "198.18.0.8");
  CHECK(s.list(SampleLists::helo).size() == 2);
}

TEST_CASE("a sample longer than the schema allows is cut on storing, yet told apart by the whole string") {
  SampleLists s;
  const std::string a = std::string(300, 'h') + "a";
  const std::string b = std::string(300, 'h') + "b";
  s.add(SampleLists::helo, a, 10);
  s.add(SampleLists::helo, b, 10);
  s.add(SampleLists::helo, a, 10);
  s.add(SampleLists::helo, std::string(256, 'h'), 10);  // the cut text itself is another name
  const auto helos = s.list(SampleLists::helo);
  REQUIRE(helos.size() == 3);
  for (const auto& h : helos) CHECK(h == std::string(256, 'h'));
  CHECK(s.heap_bytes() < 3 * 280);
  s.add(SampleLists::destination, std::string(100, '1'), 10);
  CHECK(s.list(SampleLists::destination) == std::vector<std::string>{std::string(64, '1')});
}

TEST_CASE("new servers, repeated HELOs and blocklisting servers are counted within their windows") {
  behaviour::SubscriberBehaviour b;
  const auto client = ip("100.64.1.2");
  auto n = b.observe(delivery("100.64.1.2", mx(0), "x.example", kT0), client, false, "example.com", kT0, kLimits);
  CHECK(n.direct);
  CHECK(n.new_destination);
  CHECK(n.new_sender_domain);
  CHECK(n.recent_new_destinations == 1);
  CHECK(n.helo_repeats == 0);
  n = b.observe(delivery("100.64.1.2", mx(0), "x.example", kT0 + kSecond), client, true, "example.com",
                kT0 + kSecond, kLimits);
  CHECK_FALSE(n.new_destination);
  CHECK_FALSE(n.new_sender_domain);
  CHECK(n.helo_repeats == 1);
  CHECK(n.first_blocklist_at_destination);
  CHECK(n.blocklisting_servers == 1);
  n = b.observe(delivery("100.64.1.2", mx(0), "x.example", kT0 + 2 * kSecond), client, true, "example.com",
                kT0 + 2 * kSecond, kLimits);
  CHECK_FALSE(n.first_blocklist_at_destination);
  CHECK(n.blocklisting_servers == 1);
  // Past the burst window the first server no longer counts as recent.
  n = b.observe(delivery("100.64.1.2", mx(1), "y.example", kT0 + 200 * kSecond), client, false, "",
                kT0 + 200 * kSecond, kLimits);
  CHECK(n.new_destination);
  CHECK(n.recent_new_destinations == 1);
  CHECK(b.distinct_destinations() == 2);
  CHECK(b.distinct_direct_helos() == 2);
  CHECK(b.sessions == 4);
  CHECK(b.direct_sessions == 4);
  CHECK(b.sample_helos() == std::vector<std::string>{"x.example", "y.example"});
  CHECK(b.sample_destinations() == std::vector<std::string>{"203.0.113.1", "203.0.113.2"});
  CHECK(b.sample_mailfrom_domains() == std::vector<std::string>{"smithplumbing.com"});
}

TEST_CASE("more HELOs than the cap forget the least recently used one") {
  behaviour::SubscriberBehaviour b;
  const auto client = ip("100.64.1.3");
  for (unsigned i = 0; i < 70; ++i) {
    const Micros at = kT0 + i * kSecond;
    b.observe(delivery("100.64.1.3", mx(0), "h" + std::to_string(i) + ".example", at), client, false, "", at, kLimits);
  }
  CHECK(b.distinct_helos() == kLimits.max_helos);
  CHECK(b.distinct_direct_helos() == kLimits.max_helos);
  // h0..h5 were dropped: h0 is new again; h69 repeats.
  const Micros at = kT0 + 100 * kSecond;
  CHECK(b.observe(delivery("100.64.1.3", mx(0), "h0.example", at), client, false, "", at, kLimits).helo_repeats == 0);
  CHECK(b.observe(delivery("100.64.1.3", mx(0), "h69.example", at), client, false, "", at, kLimits).helo_repeats == 1);
  CHECK(b.sample_helos().size() == kLimits.max_samples);
}

TEST_CASE("once its windows pass, a busy subscriber's windows give their memory back") {
  behaviour::SubscriberBehaviour b;
  const auto client = ip("100.64.1.4");
  for (unsigned i = 0; i < 500; ++i) {
    const Micros at = kT0 + i * kSecond;
    b.observe(delivery("100.64.1.4", mx(i), "h" + std::to_string(i) + ".example", at), client, true,
              "d" + std::to_string(i) + ".example", at, kLimits);
  }
  CHECK(b.distinct_destinations() == 500);
  const std::size_t busy = b.heap_bytes();
  CHECK(busy > 500 * 16);
  b.expire(kT0 + 4200 * kSecond, kLimits);  // the last use was at 499 s; windows are 3600 s
  CHECK(b.distinct_destinations() == 0);
  CHECK(b.distinct_helos() == 0);
  CHECK(b.distinct_sender_domains() == 0);
  CHECK(b.distinct_direct_helos() == 0);
  // Left: the samples events need, and the burst window's times until the next session.
  CHECK(b.heap_bytes() < busy / 4);
  const Micros later = kT0 + 4300 * kSecond;
  const auto n = b.observe(delivery("100.64.1.4", mx(0), "h0.example", later), client, true, "", later, kLimits);
  CHECK(n.new_destination);
  CHECK(n.recent_new_destinations == 1);
  CHECK(n.blocklisting_servers == 1);
  CHECK(n.helo_repeats == 0);
}

TEST_CASE("hostile names of any length keep the samples those of whole strings, cut to the schema") {
  // Reference: the lists of whole strings the events described before the
  // compact layout, cut on output.
  const auto reference_add = [](std::vector<std::string>& list, const std::string& v) {
    if (!v.empty() && list.size() < 10 && std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
  };
  const auto cut = [](std::vector<std::string> list, std::size_t max) {
    for (auto& v : list) v.resize(std::min(v.size(), max));
    return list;
  };
  for (unsigned seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    behaviour::SubscriberBehaviour b;
    std::vector<std::string> helos, destinations, domains;
    const auto client = ip("100.64.9.9");
    for (unsigned i = 0; i < 60; ++i) {
      // Few distinct stems so values repeat; lengths around the 256 cut.
      const std::size_t length = std::array<std::size_t, 6>{0, 1, 255, 256, 257, 900}[rng() % 6];
      std::string helo(length, static_cast<char>('a' + rng() % 3));
      if (!helo.empty() && rng() % 2) helo.back() = static_cast<char>('x' + rng() % 2);
      const std::string server = rng() % 2 ? mx(static_cast<unsigned>(rng() % 15)) : "2001:db8::" + std::to_string(rng() % 15 + 1);
      auto r = delivery("100.64.9.9", server, helo, kT0 + i * kSecond, std::string(rng() % 300, 'M') + "@" +
                                                                              std::string(rng() % 3 * 150, 'D'));
      b.observe(r, client, rng() % 2 == 0, "", kT0 + i * kSecond, kLimits);
      reference_add(helos, helo);
      reference_add(destinations, r.resp_h.to_string());
      std::string domain = r.mailfrom.substr(r.mailfrom.rfind('@') + 1);
      for (auto& c : domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reference_add(domains, domain);
    }
    CHECK(b.sample_helos() == cut(helos, 256));
    CHECK(b.sample_destinations() == cut(destinations, 64));
    CHECK(b.sample_mailfrom_domains() == cut(domains, 256));
    CHECK(b.sessions == 60);
  }
}
