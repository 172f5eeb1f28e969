// libFuzzer target: every subscriber-mapping parser. The first byte picks the
// format (kea4, kea6, dhcpd, radius, static assignments, static accounts,
// identity map); the rest is the file. Checks the invariants a caller relies
// on: problems are counted, leases never end before they start.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "notifier/mapping/parsers.hpp"

using namespace botwarden::mapping;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned selector = data[0] % 7;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  const IdentityMap ids{{"08:00:27:aa:bb:02", "acct"}};
  ParseResult r;
  if (selector == 6) {
    r = parse_identity_csv(in, "fuzz").result;
  } else {
    const Format formats[] = {Format::kea4, Format::kea6, Format::dhcpd, Format::radius,
                              Format::static_assignments, Format::static_accounts};
    r = parse(formats[selector], in, "fuzz", {.identity = Identity::hwaddr, .identities = &ids});
  }
  if (r.problem_count < r.problems.size()) std::abort();
  for (const auto& l : r.leases) {
    if (l.end < l.start || l.account.empty() || l.source_key.empty()) std::abort();
  }
  return 0;
}
