// The [notifier] section: defaults, policy keys, sensors and their tokens,
// and errors naming file, line and key.
#include <doctest/doctest.h>

#include <fstream>

#include "notifier/config/notifier_config.hpp"
#include "temp_dir.hpp"

using namespace botwarden;

namespace {
std::string error_of(const std::string& toml) {
  try {
    load_notifier_config(ConfigFile::parse(toml, "b.toml"));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "valid";
}
}  // namespace

TEST_CASE("an absent [notifier] section gives the documented defaults") {
  const auto c = load_notifier_config(ConfigFile::parse("", "b.toml"));
  CHECK(c.policy.channels == std::vector<std::string>{"email"});
  CHECK(c.policy.walled_garden_after_hours == 72);
  CHECK(c.policy.acknowledge_grace_hours == 1);
  CHECK(c.policy.monitoring_days == 14);
  CHECK(c.policy.self_release_limit == 2);
  CHECK(c.policy.exempt_accounts.empty());
  CHECK(c.retention_days == 90);
  CHECK(c.body_limit_bytes == 1048576);
  CHECK(c.max_events_per_batch == 1000);
  CHECK(c.tick_interval_seconds == 60);
  CHECK(c.sensors.empty());
}

TEST_CASE("the shipped configs/botwarden.toml is valid for the notifier") {
  const auto c = load_notifier_config(ConfigFile::load(std::string(BOTWARDEN_SOURCE_DIR) + "/configs/botwarden.toml"));
  REQUIRE(c.sensors.size() == 1);
  CHECK(c.sensors[0].name == "sensor1");
}

TEST_CASE("policy keys and sensors are read") {
  testing::TempDir dir;
  {
    std::ofstream(dir.file("s2.token")) << "  file-token-0123456789\n";
  }
  const auto c = load_notifier_config(ConfigFile::parse(
      "[notifier]\nwalled_garden_after_hours = 24\nmonitoring_days = 7\nself_release_limit = 0\n"
      "exempt_accounts = [\"hospital\"]\n"
      "[[notifier.sensors]]\nname = \"s1\"\ntoken = \"inline-token-0123456789\"\n"
      "[[notifier.sensors]]\nname = \"s2\"\ntoken_file = \"" + dir.file("s2.token") + "\"\n",
      "b.toml"));
  CHECK(c.policy.walled_garden_after_hours == 24);
  CHECK(c.policy.monitoring_days == 7);
  CHECK(c.policy.self_release_limit == 0);
  CHECK(c.policy.exempt_accounts == std::vector<std::string>{"hospital"});
  REQUIRE(c.sensors.size() == 2);
  CHECK(c.sensors[0].token == "inline-token-0123456789");
  CHECK(c.sensors[1].token == "file-token-0123456789");  // first line, blanks trimmed
}

TEST_CASE("bad [notifier] values are errors naming file, line and key") {
  CHECK(error_of("[notifier]\nmonitoring_days = 0\n") ==
        "b.toml:2: notifier.monitoring_days: 0 is out of range 1..365");
  CHECK(error_of("[notifier]\nchannels = [\"pigeon\"]\n") ==
        "b.toml:2: notifier.channels: unknown channel \"pigeon\" (known: email)");
  CHECK(error_of("[notifier]\nwalled_garden_hours = 3\n") == "b.toml:2: notifier.walled_garden_hours: unknown key");
  CHECK(error_of("[[notifier.sensors]]\nname = \"s1\"\ntoken = \"short\"\n") ==
        "b.toml:3: notifier.sensors[1].token: the token must be at least 16 characters");
  CHECK(error_of("[[notifier.sensors]]\nname = \"s1\"\n") ==
        "b.toml:2: notifier.sensors[1].name: give exactly one of token and token_file");
  CHECK(error_of("[[notifier.sensors]]\nname = \"s 1\"\ntoken = \"inline-token-0123456789\"\n") ==
        "b.toml:2: notifier.sensors[1].name: expected 1 to 64 characters of A-Z a-z 0-9 . _ -");
  CHECK(error_of("[[notifier.sensors]]\nname = \"a\"\ntoken = \"inline-token-0123456789\"\n"
                 "[[notifier.sensors]]\nname = \"a\"\ntoken = \"inline-token-9876543210\"\n") ==
        "b.toml:5: notifier.sensors[2].name: sensor \"a\" is listed twice");
  CHECK(error_of("[[notifier.sensors]]\nname = \"a\"\ntoken = \"inline-token-0123456789\"\ncolour = 1\n") ==
        "b.toml:4: notifier.sensors[1].colour: unknown key");
}
