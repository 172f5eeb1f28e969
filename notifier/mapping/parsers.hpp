// Subscriber-mapping parsers: lease and accounting files -> mapping::Lease /
// mapping::Account (lease.hpp). Pure functions of their input: no database,
// no clock. Every parser reads a whole stream, reports each bad line as a
// Problem ("file:line: message") and skips it; lines are capped at
// kMaxLineBytes. Formats and merge rules are described in docs/MAPPING.md.
//
//   auto ids = parse_identity_csv_file("ids.csv");          // optional
//   auto r = parse_file(Format::kea4, "/var/lib/kea/kea-leases4.csv",
//                       {.identity = Identity::hwaddr, .identities = &ids.identities});
//   for (auto& p : r.problems) log(p.to_string());
//   store.upsert(r.leases);   // key: (source, source_key)
#pragma once
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "notifier/mapping/parse_result.hpp"

namespace botwarden::mapping {

enum class Format {
  kea4,                // Kea DHCPv4 memfile CSV (kea-leases4.csv)
  kea6,                // Kea DHCPv6 memfile CSV (kea-leases6.csv)
  dhcpd,               // ISC dhcpd.leases (IPv4 lease blocks)
  radius,              // FreeRADIUS accounting detail file
  static_assignments,  // CSV prefix,account,start,end
  static_accounts,     // CSV account,email,language,business,exempt,name
};
// "kea4", "kea6", "dhcpd", "radius", "static-assignments", "static-accounts".
std::optional<Format> format_from_name(std::string_view name);
std::string_view format_name(Format format);

// Which client identity of a DHCP lease is looked up in the identity map
// when the lease carries no account itself (Kea user_context "account",
// dhcpd `set account = "..."`). kea6 accepts duid and hwaddr; kea4 and dhcpd
// accept hwaddr and client_id (dhcpd's `uid`).
enum class Identity { hwaddr, client_id, duid };
std::optional<Identity> identity_from_name(std::string_view name);  // "hwaddr", "client_id", "duid"

struct ParseOptions {
  Identity identity = Identity::hwaddr;  // kea6 uses duid when this is client_id
  const IdentityMap* identities = nullptr;
};

// Thrown only when a file cannot be opened ("<path>: cannot open file").
class MappingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `file` is the name used in problems.
ParseResult parse_kea4(std::istream& in, std::string_view file, const ParseOptions& options = {});
ParseResult parse_kea6(std::istream& in, std::string_view file, const ParseOptions& options = {});
ParseResult parse_dhcpd(std::istream& in, std::string_view file, const ParseOptions& options = {});
ParseResult parse_radius(std::istream& in, std::string_view file);
ParseResult parse_static_assignments(std::istream& in, std::string_view file);
ParseResult parse_static_accounts(std::istream& in, std::string_view file);

struct IdentityResult {
  IdentityMap identities;
  ParseResult result;  // problems and line count
};
// CSV with header `identity,account`: a hwaddr, client id or DUID (any case)
// and the account it belongs to.
IdentityResult parse_identity_csv(std::istream& in, std::string_view file);
IdentityResult parse_identity_csv_file(const std::string& path);

ParseResult parse(Format format, std::istream& in, std::string_view file,
                  const ParseOptions& options = {});
// Opens `path` (MappingError if it cannot) and parses it; problems name `path`.
ParseResult parse_file(Format format, const std::string& path, const ParseOptions& options = {});

}  // namespace botwarden::mapping
