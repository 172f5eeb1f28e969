// Scenario files: defaults, and every class of error checked word for word
// with its line.
#include <doctest/doctest.h>

#include "sensor/common/config.hpp"
#include "tools/linksim/scenario.hpp"

using namespace botwarden;
using namespace botwarden::linksim;

namespace {
std::string error_of(const std::string& text) {
  try {
    load_scenario(ConfigFile::parse(text, "s.toml"));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("a scenario with only counts takes every other default") {
  const auto s = load_scenario(ConfigFile::parse("[scenario]\nname = \"x\"\n[scenario.subscribers]\nbot_slow = 3\n", "s.toml"));
  CHECK(s.name == "x");
  CHECK(s.seed == 1);
  CHECK(s.duration_seconds == 300);
  CHECK(format_rfc3339(s.start) == "2026-11-25T12:00:00Z");
  CHECK(s.counts[static_cast<std::size_t>(Kind::bot_slow)] == 3);
  CHECK(s.subscriber_count() == 3);
  CHECK(s.encapsulation_weights[0] == 1.0);
  CHECK(s.impairments.loss_rate == 0.0);
}

TEST_CASE("the checked-in scenarios load") {
  for (const char* name : {"tiny", "mixed", "large", "quality"}) {
    CAPTURE(name);
    const auto s = load_scenario(ConfigFile::load(std::string(BOTWARDEN_SOURCE_DIR) + "/configs/scenarios/" + name + ".toml"));
    CHECK(s.name == name);
    CHECK(s.subscriber_count() > 0);
  }
}

TEST_CASE("an unknown key names file, line and key") {
  CHECK(error_of("[scenario]\n[scenario.subscribers]\nweb_only = 1\nbot_sloww = 2\n") ==
        "s.toml:4: scenario.subscribers.bot_sloww: unknown key");
  CHECK(error_of("[scenario]\nduration = 5\n[scenario.subscribers]\nweb_only = 1\n") ==
        "s.toml:2: scenario.duration: unknown key");
  CHECK(error_of("[scenario.subscribers]\nweb_only = 1\n[scenario.bogus]\nx = 1\n") ==
        "s.toml:3: scenario.bogus: unknown key");
}

TEST_CASE("a wrong type or range names what was expected") {
  CHECK(error_of("[scenario.subscribers]\nweb_only = \"3\"\n") ==
        "s.toml:2: scenario.subscribers.web_only: expected an integer, got a string");
  CHECK(error_of("[scenario]\nduration_seconds = 0\n[scenario.subscribers]\nweb_only = 1\n") ==
        "s.toml:2: scenario.duration_seconds: 0 is out of range 1..86400");
  CHECK(error_of("[scenario.subscribers]\nweb_only = 1\n[scenario.impairments]\nloss_rate = 0.9\n") ==
        "s.toml:4: scenario.impairments.loss_rate: 0.9 is out of range 0..0.5");
  CHECK(error_of("[scenario.subscribers]\nweb_only = 1\n[scenario.background]\nhttps = true\n") ==
        "s.toml:4: scenario.background.https: expected a number, got a boolean");
}

TEST_CASE("inconsistent values are refused with the reason") {
  CHECK(error_of("[scenario]\nstart = \"yesterday\"\n[scenario.subscribers]\nweb_only = 1\n") ==
        "s.toml:2: scenario.start: 'yesterday' is not an RFC 3339 time");
  CHECK(error_of("[scenario]\nstart = \"2107-01-01T00:00:00Z\"\n[scenario.subscribers]\nweb_only = 1\n") ==
        "s.toml:2: scenario.start: '2107-01-01T00:00:00Z' is outside 1970-01-01..2100-01-01");
  CHECK(error_of("[scenario]\nname = \"empty\"\n[scenario.subscribers]\nipv6_fraction = 0.5\n") ==
        "s.toml:3: scenario.subscribers.web_only: the scenario has no subscribers (set at least one count in "
        "[scenario.subscribers])");
  CHECK(error_of("[scenario.subscribers]\nweb_only = 1\n[scenario.encapsulation]\nethernet = 0\n") ==
        "s.toml:4: scenario.encapsulation.ethernet: all encapsulation weights are 0");
  CHECK(error_of("[scenario.subscribers]\nweb_only = 1\n[scenario.background]\nmin_flow_bytes = 10\nmax_flow_bytes = 5\n") ==
        "s.toml:5: scenario.background.max_flow_bytes: must be at least min_flow_bytes");
}
