#include <doctest/doctest.h>

#include "sensor/common/ip.hpp"

using namespace botwarden;

TEST_CASE("IPv4 and IPv6 addresses parse and print back") {
  for (const char* text : {"192.0.2.7", "0.0.0.0", "2001:db8::1", "::1", "fe80::1:2:3:4"}) {
    CAPTURE(text);
    auto a = IpAddress::parse(text);
    REQUIRE(a);
    CHECK(a->to_string() == text);
  }
  CHECK_FALSE(IpAddress::parse("300.1.1.1"));
  CHECK_FALSE(IpAddress::parse("example.com"));
  CHECK_FALSE(IpAddress::parse(""));
}

TEST_CASE("a prefix contains the addresses under it and no others") {
  auto p = Prefix::parse("10.1.0.0/16");
  REQUIRE(p);
  CHECK(p->contains(*IpAddress::parse("10.1.255.3")));
  CHECK_FALSE(p->contains(*IpAddress::parse("10.2.0.1")));
  CHECK_FALSE(p->contains(*IpAddress::parse("::ffff:10.1.0.1")));
  auto v6 = Prefix::parse("2001:db8:1::/48");
  REQUIRE(v6);
  CHECK(v6->contains(*IpAddress::parse("2001:db8:1:ff::9")));
  CHECK_FALSE(v6->contains(*IpAddress::parse("2001:db8:2::9")));
  PrefixSet set({*p, *v6});
  CHECK(set.contains(*IpAddress::parse("10.1.2.3")));
  CHECK(set.contains(*IpAddress::parse("2001:db8:1::1")));
  CHECK_FALSE(set.contains(*IpAddress::parse("192.0.2.1")));
}

TEST_CASE("prefix errors say what is wrong") {
  std::string why;
  CHECK_FALSE(Prefix::parse("10.0.0.1/8", &why));
  CHECK(why == "'10.0.0.1/8' has host bits set below /8");
  CHECK_FALSE(Prefix::parse("10.0.0.0/33", &why));
  CHECK(why == "prefix length '33' must be 0..32");
  CHECK_FALSE(Prefix::parse("nonsense/8", &why));
  CHECK(why == "'nonsense' is not an IPv4 or IPv6 address");
  auto host = Prefix::parse("192.0.2.1");
  REQUIRE(host);
  CHECK(host->length == 32);
}
