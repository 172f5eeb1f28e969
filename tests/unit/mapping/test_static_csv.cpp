// Operator CSV files: accounts, static assignments, the identity map.
#include <doctest/doctest.h>

#include "mapping_test_util.hpp"

using namespace botwarden;
using namespace botwarden::mapping;
using namespace botwarden::mapping::test;
using V = std::vector<std::string>;

TEST_CASE("the accounts CSV gives accounts with quoted names and flags") {
  const auto r = parse_sample(Format::static_accounts, "accounts.csv");
  REQUIRE(r.accounts.size() == 3);
  CHECK(r.accounts[0].id == "acct-1001");
  CHECK(r.accounts[0].email == "alice@example.net");
  CHECK(r.accounts[1].name == "Bob, the Builder");
  CHECK(r.accounts[1].language == "de");
  CHECK(r.accounts[2].name == "Business \"Big\" Ltd");
  CHECK(r.accounts[2].language == "pt-BR");
  CHECK(r.accounts[2].business);
  CHECK(r.accounts[2].exempt);
  CHECK_FALSE(r.accounts[0].business);
  CHECK(problems(r) == V{
      "accounts.csv:6: account 'acct-1001' is already defined on line 3",
      "accounts.csv:7: email: 'not-an-email' is not an address like user@example.net",
      "accounts.csv:8: language: 'english' is not a tag like en or pt-BR",
      "accounts.csv:9: business: 'maybe' is not yes/no/true/false/1/0",
      "accounts.csv:10: expected 6 fields as in the header, got 4",
  });
}

TEST_CASE("static assignments: open and closed ranges, IPv6 delegations, bad rows named") {
  const auto r = parse_sample(Format::static_assignments, "assignments.csv");
  CHECK(describe(r.leases) == V{
      "198.51.100.64/28 acct-3001 2026-01-01T00:00:00Z..open",
      "2001:db8:2000:100::/56 acct-3001 2026-01-01T00:00:00Z..2026-12-31T00:00:00Z",
  });
  CHECK(r.leases.at(0).source == "static");
  CHECK(r.leases.at(0).source_key == "198.51.100.64/28@2026-01-01T00:00:00Z");
  CHECK(problems(r) == V{
      "assignments.csv:4: prefix: '100.64.3.1/24' has host bits set below /24",
      "assignments.csv:5: start: 'yesterday' is not an RFC 3339 time such as 2026-11-25T18:00:00Z",
      "assignments.csv:6: end is before start",
  });
}

TEST_CASE("a CSV without the expected header says which column is missing") {
  std::istringstream in("prefix,account,begin,end\n10.0.0.0/8,a,2026-01-01T00:00:00Z,\n");
  const auto r = parse_static_assignments(in, "a.csv");
  CHECK(problems(r) == V{"a.csv:1: header lacks column 'start' (expected prefix,account,start,end)"});
  CHECK(r.leases.empty());
  std::istringstream empty("");
  CHECK(problems(parse_static_accounts(empty, "e.csv")) == V{"e.csv:0: no header line"});
}

TEST_CASE("the identity map lower-cases identities and rejects duplicates") {
  std::istringstream in("identity,account\n08:00:27:AA:BB:02,a\n08:00:27:aa:bb:02,b\n,c\n");
  const auto r = parse_identity_csv(in, "ids.csv");
  CHECK(r.identities.size() == 1);
  CHECK(r.identities.at("08:00:27:aa:bb:02") == "a");
  CHECK(problems(r.result) == V{"ids.csv:3: identity '08:00:27:aa:bb:02' is listed twice",
                                "ids.csv:4: identity and account must both be given"});
}

TEST_CASE("format and identity names round-trip and a missing file is named") {
  for (const auto f : {Format::kea4, Format::kea6, Format::dhcpd, Format::radius, Format::static_assignments,
                       Format::static_accounts}) {
    CHECK(format_from_name(format_name(f)) == f);
  }
  CHECK_FALSE(format_from_name("kea").has_value());
  CHECK(identity_from_name("duid") == Identity::duid);
  try {
    parse_file(Format::kea4, "/nonexistent/leases.csv");
    FAIL("expected MappingError");
  } catch (const MappingError& e) {
    CHECK(std::string(e.what()) == "/nonexistent/leases.csv: cannot open file");
  }
}
