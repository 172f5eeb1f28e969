// Validation of the [notifier] section.
#include "notifier_config.hpp"

namespace botwarden {

NotifierConfig load_notifier_config(const ConfigFile& file) {
  NotifierConfig c;
  auto s = file.section("notifier");
  c.database = s.get_path("database", c.database);
  c.log_level = s.get_choice("log_level", c.log_level, {"trace", "debug", "info", "warn", "error", "off"});
  s.finish();
  return c;
}

}  // namespace botwarden
