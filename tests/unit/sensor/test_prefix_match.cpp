// The subscriber check on the hot path (PrefixSet) agrees with Prefix::contains
// for every IPv6 prefix length, on both sides of each boundary.
#include <doctest/doctest.h>

#include "sensor/common/ip.hpp"

using namespace botwarden;

TEST_CASE("PrefixSet matches IPv6 prefixes of every length like Prefix::contains") {
  const auto base = *IpAddress::parse("2001:db8:1234:5678:9abc:def0:1357:9bdf");
  for (unsigned len = 0; len <= 128; ++len) {
    const Prefix p{base.masked(len), len};
    const PrefixSet set({p});
    for (unsigned bit = 0; bit < 128; ++bit) {
      IpAddress a = base;
      a.bytes[bit / 8] = static_cast<std::uint8_t>(a.bytes[bit / 8] ^ (0x80u >> (bit % 8)));
      CAPTURE(len);
      CAPTURE(bit);
      CHECK(set.contains(a) == p.contains(a));
      CHECK(set.contains(a) == (bit >= len));
    }
    CHECK(set.contains(base));
    CHECK_FALSE(set.contains(*IpAddress::parse("10.0.0.1")));
  }
}
