// Helpers for the mapping tests: sample files and readable lease lines.
#pragma once
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "notifier/mapping/parsers.hpp"

namespace botwarden::mapping::test {

inline std::string sample_path(const std::string& name) {
  return std::string(BOTWARDEN_SOURCE_DIR) + "/tests/data/mapping/" + name;
}

inline std::string read_sample(const std::string& name) {
  std::ifstream in(sample_path(name), std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Parses a sample file; problems name it by its short name.
inline ParseResult parse_sample(Format format, const std::string& name, const ParseOptions& options = {}) {
  std::istringstream in(read_sample(name));
  return parse(format, in, name, options);
}

inline IdentityMap sample_identities() {
  std::istringstream in(read_sample("identities.csv"));
  return parse_identity_csv(in, "identities.csv").identities;
}

// "100.64.0.5/32 acct-1001 2026-11-25T18:00:00Z..2026-11-25T20:00:00Z"
inline std::string describe(const Lease& l) {
  return l.prefix.to_string() + " " + l.account + " " + format_rfc3339(l.start) + ".." +
         (l.end == kOpenEnd ? std::string("open") : format_rfc3339(l.end));
}

inline std::vector<std::string> describe(const std::vector<Lease>& leases) {
  std::vector<std::string> out;
  for (const auto& l : leases) out.push_back(describe(l));
  return out;
}

inline std::vector<std::string> problems(const ParseResult& r) {
  std::vector<std::string> out;
  for (const auto& p : r.problems) out.push_back(p.to_string());
  return out;
}

}  // namespace botwarden::mapping::test
