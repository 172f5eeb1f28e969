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
  c.detect = load_detect_config(s);
  s.finish();
  return c;
}

}  // namespace botwarden
