#include <doctest/doctest.h>

#include "sensor/common/time.hpp"

using namespace botwarden;

TEST_CASE("RFC 3339 round-trips with and without microseconds") {
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(1764096021123456) == "2025-11-25T18:40:21.123456Z");
  CHECK(parse_rfc3339("2025-11-25T18:40:21.123456Z") == 1764096021123456);
  CHECK(parse_rfc3339("2025-11-25T19:40:21.123456+01:00") == 1764096021123456);
  CHECK(format_epoch_seconds(1764096021000001) == "1764096021.000001");
}

TEST_CASE("impossible RFC 3339 times are rejected") {
  CHECK_FALSE(parse_rfc3339("2025-02-30T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2025-11-25T24:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2025-11-25T18:40:21"));
  CHECK_FALSE(parse_rfc3339("yesterday"));
}
