// The [notifier] section of botwarden.toml.
#pragma once
#include <string>

#include "sensor/common/config.hpp"

namespace botwarden {

struct NotifierConfig {
  std::string database = "botwarden.db";  // SQLite file (relative to the config file)
  std::string log_level = "info";
};

NotifierConfig load_notifier_config(const ConfigFile& file);

}  // namespace botwarden
