// Hostile input: over-long lines, binary bytes and mutated sample files never
// crash a parser, never lose the problem count, and good lines around them
// still parse.
#include <doctest/doctest.h>

#include <random>

#include "mapping_test_util.hpp"

using namespace botwarden;
using namespace botwarden::mapping;
using namespace botwarden::mapping::test;

namespace {
struct Sample {
  Format format;
  const char* file;
};
constexpr Sample kSamples[] = {{Format::kea4, "kea-leases4.csv"},  {Format::kea6, "kea-leases6.csv"},
                               {Format::dhcpd, "dhcpd.leases"},     {Format::radius, "radius-detail"},
                               {Format::static_accounts, "accounts.csv"},
                               {Format::static_assignments, "assignments.csv"}};
}  // namespace

TEST_CASE("a line longer than the cap is one problem and the next line still parses") {
  const std::string huge(200'000, 'x');
  std::istringstream in("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,"
                        "state,user_context\n" + huge + "\n" +
                        "100.64.0.5,08:00:27:aa:bb:01,,3600,1795633200,1,0,0,,0,{ \"account\": \"a\" }\n");
  const auto r = parse_kea4(in, "k.csv");
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].to_string() == "k.csv:2: line is longer than 65536 bytes");
  CHECK(r.leases.size() == 1);
  for (const auto& s : kSamples) {
    CAPTURE(s.file);
    std::istringstream with_huge(huge + "\n" + read_sample(s.file));
    const auto h = parse(s.format, with_huge, s.file);
    REQUIRE(!h.problems.empty());
    CHECK(h.problems[0].to_string() == std::string(s.file) + ":1: line is longer than 65536 bytes");
  }
}

TEST_CASE("a line of exactly the cap is accepted") {
  std::string name(kMaxLineBytes - std::string("x,a,no,no,no,").size() - std::string("a@b.example").size(), 'n');
  std::istringstream in("account,email,language,business,exempt,name\nx,a@b.example,,no,no," + name + "\n");
  // The line above is exactly kMaxLineBytes long.
  const auto r = parse_static_accounts(in, "a.csv");
  CHECK(r.problems.empty());
  REQUIRE(r.accounts.size() == 1);
  CHECK(r.accounts[0].name.size() == name.size());
}

TEST_CASE("mutated sample files never crash and every problem is counted") {
  std::mt19937 rng(20261125);
  for (const auto& s : kSamples) {
    const auto original = read_sample(s.file);
    for (int round = 0; round < 300; ++round) {
      std::string data = original;
      const int edits = 1 + static_cast<int>(rng() % 8);
      for (int e = 0; e < edits && !data.empty(); ++e) {
        const auto pos = rng() % data.size();
        switch (rng() % 4) {
          case 0: data[pos] = static_cast<char>(rng() & 0xFF); break;
          case 1: data.insert(pos, 1, '\0'); break;
          case 2: data.erase(pos, rng() % 16); break;
          default: data.insert(pos, data.substr(rng() % data.size(), rng() % 64)); break;
        }
      }
      std::istringstream in(data);
      const auto r = parse(s.format, in, s.file);
      CAPTURE(s.file);
      CAPTURE(round);
      CHECK(r.problem_count >= r.problems.size());
      for (const auto& l : r.leases) CHECK(l.start <= l.end);
    }
  }
}

TEST_CASE("problems beyond the cap are counted, not kept") {
  std::string data = "prefix,account,start,end\n";
  for (int i = 0; i < 1500; ++i) data += "bad,a,b,c\n";
  std::istringstream in(data);
  const auto r = parse_static_assignments(in, "a.csv");
  CHECK(r.problems.size() == kMaxProblems);
  CHECK(r.problem_count == 1500);
}
