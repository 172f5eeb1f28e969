// Validation of the [sensor] section; every key and default is documented in
// configs/botwarden.toml.
#include "sensor_config.hpp"

namespace botwarden {

SensorConfig load_sensor_config(const ConfigFile& file) {
  SensorConfig c;
  auto s = file.section("sensor");
  c.name = s.get_string("name", c.name);
  if (c.name.empty() || c.name.size() > 64 ||
      c.name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
          std::string::npos) {
    s.fail("name", "'" + c.name + "' must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
  c.subscriber_prefixes = s.require_prefixes("subscriber_prefixes");
  c.smtp_relays = s.get_prefixes("smtp_relays", {});
  if (!s.has("smtp_relays")) s.fail("smtp_relays", "required key is missing (the ISP's relay addresses; may be [])");
  c.log_level = s.get_choice("log_level", c.log_level, {"trace", "debug", "info", "warn", "error", "off"});
  c.workers = static_cast<int>(s.get_int("workers", c.workers, 1, 64));
  c.capture.snaplen = static_cast<int>(s.get_int("snaplen", c.capture.snaplen, 64, 262144));
  c.capture.buffer_mb = static_cast<int>(s.get_int("buffer_mb", c.capture.buffer_mb, 1, 4096));
  c.capture.promiscuous = s.get_bool("promiscuous", c.capture.promiscuous);
  c.capture.bpf_filter = s.get_string("bpf_filter", c.capture.bpf_filter);
  c.capture.user = s.get_string("user", c.capture.user);
  c.capture.stats_interval_seconds =
      static_cast<int>(s.get_int("stats_interval_seconds", c.capture.stats_interval_seconds, 0, 86400));
  c.capture.live_fanout = s.get_bool("live_fanout", c.capture.live_fanout);
  c.flows.max_flows = s.get_int("max_flows", c.flows.max_flows, 1, 10'000'000);
  c.flows.flow_idle_timeout_seconds =
      s.get_int("flow_idle_timeout_seconds", c.flows.flow_idle_timeout_seconds, 1, 86400);
  c.flows.flow_max_age_seconds = s.get_int("flow_max_age_seconds", c.flows.flow_max_age_seconds, 1, 7 * 86400);
  c.flows.max_ooo_bytes = s.get_int("max_ooo_bytes", c.flows.max_ooo_bytes, 0, 16 << 20);
  c.session_log.rotate_mb = s.get_int("smtp_log_rotate_mb", c.session_log.rotate_mb, 0, 1 << 20);
  c.session_log.rotate_seconds =
      s.get_int("smtp_log_rotate_seconds", c.session_log.rotate_seconds, 0, 30 * 86400);
  c.detect = load_detect_config(s);
  s.finish();
  return c;
}

}  // namespace botwarden
