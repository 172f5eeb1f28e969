// FreeRADIUS detail files: Start..Stop sessions, Interim-Update without Start,
// Accounting-On closing a NAS's sessions, open sessions, bad records named.
#include <doctest/doctest.h>

#include "mapping_test_util.hpp"

using namespace botwarden;
using namespace botwarden::mapping;
using namespace botwarden::mapping::test;
using V = std::vector<std::string>;

TEST_CASE("RADIUS sessions become leases for every framed address and delegated prefix") {
  const auto r = parse_sample(Format::radius, "radius-detail");
  CHECK(describe(r.leases) == V{
      "100.64.2.5/32 alice@isp.example 2026-11-25T18:00:00Z..2026-11-25T19:00:00Z",
      "2001:db8:1000:300::/56 alice@isp.example 2026-11-25T18:00:00Z..2026-11-25T19:00:00Z",
      "100.64.2.6/32 bob@isp.example 2026-11-25T18:05:00Z..open",
      "100.64.2.7/32 carol@isp.example 2026-11-25T18:00:00Z..2026-11-25T19:30:00Z",
      "2001:db8:1000:400::/64 carol@isp.example 2026-11-25T18:00:00Z..2026-11-25T19:30:00Z",
      "100.64.2.5/32 dave@isp.example 2026-11-25T19:05:00Z..open",
  });
  CHECK(problems(r) == V{
      "radius-detail:57: expected a record header date such as 'Wed Nov 25 18:00:00 2026'",
      "radius-detail:61: Framed-IP-Address: '100.64.2.300' is not an IPv4 address",
      "radius-detail:67: Stop for session '5A3F0007' without a Start and without Acct-Session-Time",
  });
  CHECK(r.leases.at(0).source == "radius");
  CHECK(r.leases.at(0).source_key == "5A3F0001/100.64.2.5/32");
  CHECK(r.leases.at(1).source_key == "5A3F0001/2001:db8:1000:300::/56");
}

TEST_CASE("RADIUS records lacking what a session needs are named") {
  std::istringstream in(
      "Wed Nov 25 18:00:00 2026\n\tAcct-Status-Type = Start\n\tAcct-Session-Id = \"1\"\n\n"
      "Wed Nov 25 18:00:00 2026\n\tUser-Name = \"a\"\n\n"
      "Wed Nov 25 18:00:00 2026\n\tAcct-Status-Type = Start\n\tUser-Name = \"a\"\n\tAcct-Session-Id = \"2\"\n"
      "\tEvent-Timestamp = \"Nov 25 2026 18:00:00 CET\"\n\n"
      "Wed Nov 25 18:00:00 2026\n\tAcct-Status-Type = Start\n\tUser-Name = \"a\"\n\tAcct-Session-Id = \"3\"\n\n"
      "\tUser-Name = \"orphan\"\n"
      "Wed Nov 25 18:00:00 2026\n\tno equals sign here\n");
  const auto r = parse_radius(in, "detail");
  CHECK(problems(r) == V{
      "detail:1: record has no User-Name",
      "detail:5: record has no Acct-Status-Type",
      "detail:8: Event-Timestamp: 'Nov 25 2026 18:00:00 CET' is not 'Mon DD YYYY hh:mm:ss UTC' or epoch seconds",
      "detail:19: attribute line before any record header date",
      "detail:21: expected 'Attribute = value'",
      "detail:14: session '3' of 'a' has no Framed-IP-Address, Framed-IPv6-Prefix or Delegated-IPv6-Prefix",
  });
  CHECK(r.leases.empty());
}

TEST_CASE("a Stop with Acct-Session-Time but no Start still gives the session") {
  std::istringstream in(
      "Wed Nov 25 19:00:00 2026\n\tAcct-Status-Type = Stop\n\tUser-Name = \"a\"\n\tAcct-Session-Id = \"9\"\n"
      "\tFramed-IP-Address = 100.64.2.9\n\tAcct-Session-Time = 600\n");
  const auto r = parse_radius(in, "detail");
  CHECK(describe(r.leases) == V{"100.64.2.9/32 a 2026-11-25T18:50:00Z..2026-11-25T19:00:00Z"});
  CHECK(r.problems.empty());
}
