// Kea memfile CSV: renewals merge, releases and new holders end leases,
// accounts come from user_context or the identity map, bad lines are named.
#include <doctest/doctest.h>

#include "mapping_test_util.hpp"

using namespace botwarden;
using namespace botwarden::mapping;
using namespace botwarden::mapping::test;
using V = std::vector<std::string>;

TEST_CASE("Kea v4 renewals merge, releases end leases and a reused address gets a new lease") {
  const auto ids = sample_identities();
  const auto r = parse_sample(Format::kea4, "kea-leases4.csv", {.identity = Identity::hwaddr, .identities = &ids});
  CHECK(describe(r.leases) == V{
      "100.64.0.5/32 acct-1001 2026-11-25T18:00:00Z..2026-11-25T20:00:00Z",
      "100.64.0.6/32 acct-1002 2026-11-25T18:00:00Z..2026-11-25T18:45:00Z",
      "100.64.0.6/32 acct-1003 2026-11-25T18:50:00Z..2026-11-25T19:50:00Z",
      "100.64.0.9/32 acct-1006 2026-11-25T19:00:00Z..2026-11-25T19:30:00Z",
      "100.64.0.9/32 acct-1007 2026-11-25T19:30:00Z..2026-11-25T20:30:00Z",
  });
  CHECK(problems(r) == V{
      "kea-leases4.csv:9: no account for hwaddr '08:00:27:aa:bb:04': no user_context account and not in the identity map",
      "kea-leases4.csv:10: address: '100.64.0.999' is not an IPv4 address",
      "kea-leases4.csv:11: valid_lifetime: 'abc' is not a number of seconds",
      "kea-leases4.csv:12: expected 12 fields as in the header, got 2",
      "kea-leases4.csv:16: user_context: account must be a non-empty string",
  });
  CHECK(r.problem_count == 5);
  CHECK(r.skipped == 1);  // the declined 100.64.0.7
  CHECK(r.lines == 15);
  CHECK(r.leases.at(0).source == "kea4");
  CHECK(r.leases.at(0).source_key == "100.64.0.5/32@1795629600");
}

TEST_CASE("Kea v4 without an identity map names the missing account") {
  const auto r = parse_sample(Format::kea4, "kea-leases4.csv");
  CHECK(r.leases.size() == 4);
  CHECK(problems(r).at(0) ==
        "kea-leases4.csv:3: no account for hwaddr '08:00:27:aa:bb:02': no user_context account and not in the identity map");
}

TEST_CASE("Kea v4 can take the account key from client_id") {
  IdentityMap ids{{"01:08:00:27:aa:bb:02", "acct-by-client-id"}};
  const auto r = parse_sample(Format::kea4, "kea-leases4.csv", {.identity = Identity::client_id, .identities = &ids});
  CHECK(describe(r.leases).at(1) == "100.64.0.6/32 acct-by-client-id 2026-11-25T18:00:00Z..2026-11-25T18:45:00Z");
  CHECK(problems(r).at(0) == "kea-leases4.csv:9: no account: no user_context account and no client_id");
}

TEST_CASE("Kea v6 delegations are prefixes, addresses are /128, the DUID maps to an account") {
  const auto ids = sample_identities();
  const auto r = parse_sample(Format::kea6, "kea-leases6.csv", {.identity = Identity::duid, .identities = &ids});
  CHECK(describe(r.leases) == V{
      "2001:db8:1000:100::/56 acct-1001 2026-11-25T18:00:00Z..2026-11-25T21:00:00Z",
      "2001:db8:1000::5/128 acct-1002 2026-11-25T18:00:00Z..2026-11-25T20:00:00Z",
  });
  CHECK(problems(r) == V{
      "kea-leases6.csv:5: address: '2001:db8:1000:201::/56' has host bits set below /56",
      "kea-leases6.csv:6: lease_type: '5' is not 0 (IA_NA), 1 (IA_TA) or 2 (IA_PD)",
      "kea-leases6.csv:7: address: '100.64.0.5' is not an IPv6 address",
  });
  CHECK(r.leases.at(0).source == "kea6");
}

TEST_CASE("Kea re-import gives the same source keys, and CRLF files read the same") {
  const auto ids = sample_identities();
  const auto a = parse_sample(Format::kea4, "kea-leases4.csv", {.identities = &ids});
  auto text = read_sample("kea-leases4.csv");
  std::string crlf;
  for (const char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  std::istringstream in(crlf);
  const auto b = parse_kea4(in, "kea-leases4.csv", {.identities = &ids});
  REQUIRE(a.leases.size() == b.leases.size());
  for (std::size_t i = 0; i < a.leases.size(); ++i) {
    CAPTURE(i);
    CHECK(a.leases[i].source_key == b.leases[i].source_key);
    CHECK(describe(a.leases[i]) == describe(b.leases[i]));
  }
  CHECK(problems(a) == problems(b));
}

TEST_CASE("Kea lines before a header and a header without required columns are reported") {
  std::istringstream no_header("100.64.0.5,08:00:27:aa:bb:01,,3600,1795633200,1,0,0,,0,,0\n");
  CHECK(problems(parse_kea4(no_header, "k.csv")) ==
        V{"k.csv:1: no Kea header before this line (expected a line starting with 'address,')"});
  std::istringstream bad_header("address,hwaddr,client_id\n");
  CHECK(problems(parse_kea4(bad_header, "k.csv")) ==
        V{"k.csv:1: header lacks a required column (address, valid_lifetime, expire)"});
}

TEST_CASE("a Kea header with a stray quote is read as Kea writes it, not as RFC 4180") {
  std::istringstream in("address,\"hwaddr,client_id\n");
  CHECK(problems(parse_kea4(in, "k.csv")) ==
        V{"k.csv:1: header lacks a required column (address, valid_lifetime, expire)"});
}
