// The snowshoe correlator on its own: clusters, joins by target server, and
// the caps that bound its cross-subscriber state.
#include <doctest/doctest.h>

#include "records.hpp"
#include "sensor/detect/snowshoe.hpp"

using namespace botwarden;
using namespace botwarden::testing;

namespace {
constexpr Micros kSecond = kMicrosPerSecond;
const detect::MayJoin kAlways = [](const std::string&) { return true; };

IpAddress server(unsigned n) { return ip(mx(n).c_str()); }
}  // namespace

TEST_CASE("five subscribers sharing a fingerprint form a cluster; refused subscribers at its target join it") {
  SnowshoeConfig config;
  detect::SnowshoeCorrelator c(config);
  detect::ClusterView last;
  // Refused before the cluster exists: it waits at the server.
  CHECK(c.observe_refusal({"100.64.9.9", kT0, server(1)}, kAlways).empty());
  for (unsigned m = 0; m < 5; ++m) {
    last = c.observe({"x7.a6-a5.com|cheap-deals.biz", "100.64.9." + std::to_string(m + 1), kT0 + m * kSecond, server(1)},
                     kAlways);
    if (m < 4) CHECK(last.newly_flagged.empty());
  }
  CHECK(last.newly_flagged.size() == 5);
  CHECK(last.joined == std::vector<std::string>{"100.64.9.9"});
  CHECK(last.size == 6);
  CHECK(last.cluster_id == detect::SnowshoeCorrelator::cluster_id("x7.a6-a5.com|cheap-deals.biz"));
  // Announced once: a second refusal adds nothing.
  CHECK(c.observe_refusal({"100.64.9.9", kT0 + 60 * kSecond, server(1)}, kAlways).empty());
  // A refused subscriber the engine does not let join stays out.
  CHECK(c.observe_refusal({"100.64.9.10", kT0 + 60 * kSecond, server(1)},
                          [](const std::string&) { return false; }).empty());
  // The engine is asked again at the next chance (its subscriber's record grows).
  const auto views = c.observe_refusal({"100.64.9.11", kT0 + 60 * kSecond, server(1)}, kAlways);
  REQUIRE(views.size() == 1);
  CHECK(views[0].joined == std::vector<std::string>{"100.64.9.10", "100.64.9.11"});
  CHECK(views[0].size == 8);
}

TEST_CASE("a server that refused every member it saw is the cluster's too, whatever the order") {
  SnowshoeConfig config;
  const std::string fp = "x7.a6-a5.com|cheap-deals.biz";
  SUBCASE("members refused first, then their fingerprints, then the joiner") {
    detect::SnowshoeCorrelator c(config);
    c.observe_refusal({"100.64.9.1", kT0, server(9)}, kAlways);
    c.observe_refusal({"100.64.9.2", kT0, server(9)}, kAlways);
    for (unsigned m = 0; m < 5; ++m) c.observe({fp, "100.64.9." + std::to_string(m + 1), kT0 + kSecond, server(1)}, kAlways);
    const auto views = c.observe_refusal({"100.64.9.9", kT0 + 2 * kSecond, server(9)}, kAlways);
    REQUIRE(views.size() == 1);
    CHECK(views[0].joined == std::vector<std::string>{"100.64.9.9"});
  }
  SUBCASE("the joiner first, then the members' refusals, then their fingerprints") {
    detect::SnowshoeCorrelator c(config);
    c.observe_refusal({"100.64.9.9", kT0, server(9)}, kAlways);
    c.observe_refusal({"100.64.9.1", kT0, server(9)}, kAlways);
    c.observe_refusal({"100.64.9.2", kT0, server(9)}, kAlways);
    detect::ClusterView last;
    for (unsigned m = 0; m < 5; ++m) {
      last = c.observe({fp, "100.64.9." + std::to_string(m + 1), kT0 + kSecond, server(1)}, kAlways);
    }
    CHECK(last.joined == std::vector<std::string>{"100.64.9.9"});
  }
  SUBCASE("one member refused there is not enough") {
    detect::SnowshoeCorrelator c(config);
    c.observe_refusal({"100.64.9.1", kT0, server(9)}, kAlways);
    for (unsigned m = 0; m < 5; ++m) c.observe({fp, "100.64.9." + std::to_string(m + 1), kT0 + kSecond, server(1)}, kAlways);
    CHECK(c.observe_refusal({"100.64.9.9", kT0 + 2 * kSecond, server(9)}, kAlways).empty());
  }
}

TEST_CASE("the server state is bounded and forgotten after the window") {
  SnowshoeConfig config;
  detect::SnowshoeCorrelator c(config);
  for (unsigned n = 0; n < detect::kMaxSnowshoeServers + 1000; ++n) {
    c.observe({"", "100.64.9.1", kT0 + n, server(n)}, kAlways);
  }
  CHECK(c.servers() <= detect::kMaxSnowshoeServers);
  CHECK(c.servers() >= detect::kMaxSnowshoeServers * 9 / 10 - 1000);
  CHECK(c.fingerprints() == 0);  // sessions without a fingerprint only count their server
  for (unsigned n = 0; n < detect::kMaxSnowshoeSubscribers + 1000; ++n) {
    c.observe_refusal({"100.64." + std::to_string(n / 250) + "." + std::to_string(n % 250), kT0 + n, server(1)}, kAlways);
  }
  CHECK(c.subscribers() <= detect::kMaxSnowshoeSubscribers);
  c.expire(kT0 + (config.window_seconds + 10) * kSecond + detect::kMaxSnowshoeSubscribers + 1000);
  CHECK(c.servers() == 0);
  CHECK(c.subscribers() == 0);
}

TEST_CASE("merging two correlators joins their members and refusals") {
  SnowshoeConfig config;
  detect::SnowshoeCorrelator a(config);
  detect::SnowshoeCorrelator b(config);
  for (unsigned m = 0; m < 3; ++m) {
    a.observe({"x7.a6-a5.com|cheap-deals.biz", "100.64.9." + std::to_string(m + 1), kT0, server(1)}, kAlways);
  }
  b.observe_refusal({"100.64.9.9", kT0, server(1)}, kAlways);
  b.observe({"x7.a6-a5.com|cheap-deals.biz", "100.64.9.4", kT0, server(1)}, kAlways);
  a.merge(b);
  const auto view = a.observe({"x7.a6-a5.com|cheap-deals.biz", "100.64.9.5", kT0 + kSecond, server(1)}, kAlways);
  CHECK(view.newly_flagged.size() == 5);
  CHECK(view.joined == std::vector<std::string>{"100.64.9.9"});
}
