// ISC dhcpd.leases: later blocks supersede earlier ones; times in all three
// forms; uid octal escapes decode to the client id.
#include <doctest/doctest.h>

#include "mapping_test_util.hpp"

using namespace botwarden;
using namespace botwarden::mapping;
using namespace botwarden::mapping::test;
using V = std::vector<std::string>;

TEST_CASE("dhcpd.leases renewals extend, a free block ends a lease, a new client starts a new one") {
  const auto ids = sample_identities();
  const auto r = parse_sample(Format::dhcpd, "dhcpd.leases", {.identity = Identity::hwaddr, .identities = &ids});
  CHECK(describe(r.leases) == V{
      "100.64.1.5/32 acct-2001 2026-11-25T18:00:00Z..2026-11-25T21:00:00Z",
      "100.64.1.6/32 acct-2002 2026-11-25T18:00:00Z..open",
      "100.64.1.7/32 acct-2003 2026-11-25T18:00:00Z..2026-11-25T18:20:00Z",
      "100.64.1.7/32 acct-2004 2026-11-25T18:25:00Z..2026-11-25T19:25:00Z",
  });
  CHECK(problems(r) == V{
      "dhcpd.leases:60: lease 100.64.1.8: starts: expected 'W yyyy/mm/dd hh:mm:ss', 'epoch N'",
      "dhcpd.leases:68: lease 100.64.1.9: no starts time",
      "dhcpd.leases:73: lease 100.64.1.10: no account for hardware ethernet '08:00:27:11:22:10': no 'set account' and not in the identity map",
  });
  CHECK(r.skipped == 2);  // the free block and the failover peer state
  CHECK(r.leases.at(0).source == "dhcpd");
  CHECK(r.leases.at(0).source_key == "100.64.1.5/32@1795629600");
}

TEST_CASE("dhcpd uid strings with octal escapes are matched as client ids") {
  const auto ids = sample_identities();
  const auto r = parse_sample(Format::dhcpd, "dhcpd.leases", {.identity = Identity::client_id, .identities = &ids});
  CHECK(describe(r.leases).at(1) == "100.64.1.6/32 acct-2002 2026-11-25T18:00:00Z..open");
  CHECK(problems(r).at(2) == "dhcpd.leases:73: lease 100.64.1.10: no account: no 'set account' and no uid");
}

TEST_CASE("dhcpd structure errors are named") {
  std::istringstream in(
      "lease 100.64.1.5 {\n  starts 3 2026/11/25 18:00:00;\n  client-hostname \"open;\n}\n"
      "}\nbogus 1;\nlease 2001:db8::1 {\n}\nlease 100.64.1.6 {\n  starts 3 2026/11/25 18:00:00;\n");
  const auto r = parse_dhcpd(in, "d.leases");
  CHECK(problems(r) == V{
      "d.leases:3: unterminated quoted string",
      "d.leases:1: lease 100.64.1.5: no account: no 'set account' and no hardware ethernet",
      "d.leases:5: '}' without an open block",
      "d.leases:6: unknown statement 'bogus'",
      "d.leases:7: lease: '2001:db8::1' is not an IPv4 address",
      "d.leases:9: lease 100.64.1.6: block is not closed with '}'",
  });
}
