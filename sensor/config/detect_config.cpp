// Validation of the detector keys; documented in configs/botwarden.toml.
#include "detect_config.hpp"

namespace botwarden {

DetectConfig load_detect_config(ConfigSection& s) {
  DetectConfig c;
  c.ipv6_subscriber_prefix = static_cast<unsigned>(s.get_int("ipv6_subscriber_prefix", 64, 32, 128));
  return c;
}

}  // namespace botwarden
