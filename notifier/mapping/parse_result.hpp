// What every mapping parser returns: leases, accounts, and the problems found
// on the way, each naming file and line. A bad line is reported and skipped;
// nothing is dropped without a problem or a `skipped` count.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "notifier/mapping/lease.hpp"

namespace botwarden::mapping {

// Longest line any parser accepts; a longer line is one problem ("line is
// longer than 65536 bytes") and the rest of it is discarded up to LF.
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;
// Problems kept in a ParseResult; later ones are only counted (problem_count).
inline constexpr std::size_t kMaxProblems = 1000;

struct Problem {
  std::string file;
  std::size_t line = 0;
  std::string message;
  // "file:line: message"
  std::string to_string() const;
};

struct ParseResult {
  std::vector<Lease> leases;
  std::vector<Account> accounts;   // static accounts CSV only
  std::vector<Problem> problems;   // the first kMaxProblems
  std::size_t problem_count = 0;   // all of them
  std::size_t lines = 0;           // lines read
  std::size_t skipped = 0;         // records ignored on purpose (declined, free, backup...)

  void add_problem(std::string_view file, std::size_t line, std::string message);
};

// Hardware address / client id / DUID -> account id, for DHCP sources whose
// lease carries no account of its own (see parse_identity_csv). Keys are
// lower-case as produced by normalize_identity().
using IdentityMap = std::unordered_map<std::string, std::string>;

// "08:00:27:AA:BB:CC" -> "08:00:27:aa:bb:cc"; surrounding blanks dropped.
std::string normalize_identity(std::string_view text);

}  // namespace botwarden::mapping
