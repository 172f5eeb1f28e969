// Detector configuration: the [sensor] keys the detectors own (exemptions,
// IPv6 subscriber prefix length) and [sensor.bad_helo], [sensor.direct_to_mx],
// [sensor.snowshoe], [sensor.decision]. Owned by sensor/detect.
#pragma once
#include "sensor/common/config.hpp"

namespace botwarden {

struct DetectConfig {
  unsigned ipv6_subscriber_prefix = 64;  // an IPv6 subscriber is its /64 (RFC 8981 privacy addresses)
};

// Reads the detector keys from the [sensor] section (marking them used).
DetectConfig load_detect_config(ConfigSection& sensor);

}  // namespace botwarden
