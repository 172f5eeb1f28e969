// Configuration errors are part of the interface: each class is checked for
// its message, key and line.
#include <doctest/doctest.h>

#include "notifier/config/notifier_config.hpp"
#include "sensor/common/config.hpp"
#include "sensor/config/sensor_config.hpp"

using namespace botwarden;

namespace {
ConfigError sensor_error(const std::string& text) {
  try {
    load_sensor_config(ConfigFile::parse(text, "test.toml"));
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("expected a ConfigError");
  return ConfigError("", 0, "", "");
}
}  // namespace

TEST_CASE("a minimal sensor config needs only subscriber_prefixes and smtp_relays") {
  auto cfg = load_sensor_config(ConfigFile::parse(
      "[sensor]\nsubscriber_prefixes = [\"10.0.0.0/8\", \"2001:db8::/32\"]\nsmtp_relays = [\"192.0.2.25\"]\n",
      "test.toml"));
  CHECK(cfg.subscriber_prefixes.size() == 2);
  CHECK(cfg.smtp_relays.at(0).to_string() == "192.0.2.25/32");
  CHECK(cfg.name == "sensor1");
}

TEST_CASE("an unknown key names file, line and key") {
  auto e = sensor_error("[sensor]\nsubscriber_prefixes = [\"10.0.0.0/8\"]\nsmtp_relays = []\nsnaplenn = 3\n");
  CHECK(e.key() == "sensor.snaplenn");
  CHECK(e.line() == 4);
  CHECK(std::string(e.what()) == "test.toml:4: sensor.snaplenn: unknown key");
}

TEST_CASE("a wrong type names the expected type") {
  auto e = sensor_error("[sensor]\nsubscriber_prefixes = [\"10.0.0.0/8\"]\nsmtp_relays = []\nname = 7\n");
  CHECK(std::string(e.what()) == "test.toml:4: sensor.name: expected a string, got an integer");
}

TEST_CASE("an invalid prefix points at its line") {
  auto e = sensor_error("[sensor]\nsubscriber_prefixes = [\n  \"10.0.0.0/8\",\n  \"10.0.0.1/8\",\n]\nsmtp_relays = []\n");
  CHECK(e.line() == 4);
  CHECK(std::string(e.what()) ==
        "test.toml:4: sensor.subscriber_prefixes: invalid prefix: '10.0.0.1/8' has host bits set below /8");
  auto e2 = sensor_error("[sensor]\nsubscriber_prefixes = [\"10.0.0.0/8\"]\nsmtp_relays = [\"relay.isp.example\"]\n");
  CHECK(std::string(e2.what()) ==
        "test.toml:3: sensor.smtp_relays: invalid prefix: 'relay.isp.example' is not an IPv4 or IPv6 address");
}

TEST_CASE("a missing required key names the section line") {
  auto e = sensor_error("# comment\n[sensor]\nsmtp_relays = []\n");
  CHECK(std::string(e.what()) ==
        "test.toml:2: sensor.subscriber_prefixes: required key is missing (a list of IPv4/IPv6 prefixes)");
}

TEST_CASE("a missing file and invalid TOML give clear errors") {
  try {
    ConfigFile::load("/nonexistent/botwarden.toml");
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "/nonexistent/botwarden.toml: cannot open configuration file");
  }
  try {
    ConfigFile::parse("[sensor]\nname = \"unterminated\n", "bad.toml");
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK(e.line() == 2);
    CHECK(std::string(e.what()).rfind("bad.toml:2: not valid TOML: ", 0) == 0);
  }
}

TEST_CASE("a referenced file that does not exist is named") {
  auto file = ConfigFile::parse("[x]\ntemplate = \"/nonexistent/t.txt\"\n", "t.toml");
  auto s = file.section("x");
  try {
    s.get_existing_file("template", "");
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "t.toml:2: x.template: file '/nonexistent/t.txt' does not exist or cannot be read");
  }
}

TEST_CASE("each program ignores the other programs' sections") {
  const std::string text =
      "[sensor]\nsubscriber_prefixes = [\"10.0.0.0/8\"]\nsmtp_relays = []\n"
      "[notifier]\ndatabase = \"x.db\"\n[web]\nwhatever = 1\n";
  auto file = ConfigFile::parse(text, "/etc/botwarden/b.toml");
  CHECK_NOTHROW(load_sensor_config(file));
  CHECK(load_notifier_config(file).database == "/etc/botwarden/x.db");
}

TEST_CASE("integer ranges are enforced") {
  auto file = ConfigFile::parse("[x]\nn = 70000\n", "r.toml");
  auto s = file.section("x");
  try {
    s.get_int("n", 1, 1, 65535);
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "r.toml:2: x.n: 70000 is out of range 1..65535");
  }
}
