// [sensor] capture/flow/log keys: defaults, and errors word for word.
#include <doctest/doctest.h>

#include "sensor/config/sensor_config.hpp"

using namespace botwarden;

namespace {
SensorConfig load(const std::string& extra) {
  const auto f = ConfigFile::parse(
      "[sensor]\nsubscriber_prefixes = [\"100.64.0.0/10\"]\nsmtp_relays = []\n" + extra, "test.toml");
  return load_sensor_config(f);
}
std::string error_of(const std::string& extra) {
  try {
    load(extra);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("pipeline keys have their documented defaults") {
  const auto c = load("");
  CHECK(c.capture.snaplen == 65535);
  CHECK(c.capture.buffer_mb == 64);
  CHECK(c.capture.promiscuous);
  CHECK(c.capture.bpf_filter.empty());
  CHECK(c.capture.user.empty());
  CHECK(c.capture.stats_interval_seconds == 60);
  CHECK(c.flows.max_flows == 100000);
  CHECK(c.flows.flow_idle_timeout_seconds == 300);
  CHECK(c.flows.flow_max_age_seconds == 3600);
  CHECK(c.flows.max_ooo_bytes == 65536);
  CHECK(c.session_log.rotate_mb == 100);
  CHECK(c.session_log.rotate_seconds == 86400);
}

TEST_CASE("pipeline keys are read and range-checked") {
  const auto c = load("snaplen = 1500\nmax_flows = 10\nbpf_filter = \"tcp\"\npromiscuous = false\n");
  CHECK(c.capture.snaplen == 1500);
  CHECK(c.flows.max_flows == 10);
  CHECK(c.capture.bpf_filter == "tcp");
  CHECK_FALSE(c.capture.promiscuous);
  CHECK(error_of("max_flows = 0\n").find("test.toml:4: sensor.max_flows:") == 0);
  CHECK(error_of("snaplen = \"big\"\n").find("test.toml:4: sensor.snaplen: expected an integer") == 0);
}
