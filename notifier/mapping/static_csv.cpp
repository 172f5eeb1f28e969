// Operator-maintained CSV files: the account list, static assignments
// (business customers, IPv6 delegations) and the identity map. RFC 4180
// quoting; a header line names the columns (any order); '#' starts a comment line.
#include <algorithm>
#include <fstream>
#include <functional>
#include <unordered_map>

#include "notifier/mapping/parsers.hpp"
#include "notifier/mapping/text.hpp"

namespace botwarden::mapping {

namespace {

using Row = std::unordered_map<std::string_view, std::string>;

// Reads the header (which must hold every `required` column) and hands each
// row to `row(line, fields)`; problems for structure are reported here.
void read_csv(std::istream& in, std::string_view file, const std::vector<std::string_view>& required,
              ParseResult& result, const std::function<void(std::size_t, const Row&)>& row) {
  text::LineReader reader(in);
  std::string_view line;
  bool too_long = false;
  std::vector<std::string> header;
  while (reader.next(line, too_long)) {
    const std::size_t n = reader.line_number();
    if (too_long) {
      result.add_problem(file, n, "line is longer than " + std::to_string(kMaxLineBytes) + " bytes");
      continue;
    }
    const auto trimmed = text::trim(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    auto fields = text::split_csv(line);
    if (!fields) {
      result.add_problem(file, n, "unterminated quoted field");
      continue;
    }
    if (header.empty()) {
      for (const auto& name : required) {
        if (std::find(fields->begin(), fields->end(), name) == fields->end()) {
          std::string expected;
          for (const auto& r : required) expected += (expected.empty() ? "" : ",") + std::string(r);
          result.add_problem(file, n, "header lacks column '" + std::string(name) + "' (expected " + expected + ")");
          return;
        }
      }
      header = std::move(*fields);
      continue;
    }
    ++result.lines;
    if (fields->size() != header.size()) {
      result.add_problem(file, n, "expected " + std::to_string(header.size()) + " fields as in the header, got " +
                                      std::to_string(fields->size()));
      continue;
    }
    Row values;
    for (std::size_t i = 0; i < header.size(); ++i) values.emplace(header[i], std::move((*fields)[i]));
    row(n, values);
  }
  if (header.empty() && result.problem_count == 0) {
    result.add_problem(file, reader.line_number(), "no header line");
  }
}

std::string get(const Row& row, std::string_view column) {
  const auto found = row.find(column);
  return found == row.end() ? std::string() : found->second;
}

bool valid_email(std::string_view e) {
  const auto at = e.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= e.size() || e.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  for (const char c : e) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' ||
        static_cast<unsigned char>(c) == 0x7F) {
      return false;
    }
  }
  return e.substr(at + 1).find('.') != std::string_view::npos;
}

// "en", "de", "pt-BR": a BCP 47 primary tag with an optional region.
bool valid_language(std::string_view l) {
  auto letters = [](std::string_view s) {
    for (const char c : s) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
    }
    return true;
  };
  const auto dash = l.find('-');
  const auto primary = l.substr(0, dash);
  if (primary.size() < 2 || primary.size() > 3 || !letters(primary)) return false;
  if (dash == std::string_view::npos) return true;
  const auto region = l.substr(dash + 1);
  return region.size() == 2 && letters(region);
}

}  // namespace

ParseResult parse_static_assignments(std::istream& in, std::string_view file) {
  ParseResult result;
  read_csv(in, file, {"prefix", "account", "start", "end"}, result, [&](std::size_t n, const Row& row) {
    auto problem = [&](std::string m) { result.add_problem(file, n, std::move(m)); };
    std::string error;
    const auto prefix_text = get(row, "prefix");
    const auto prefix = Prefix::parse(prefix_text, &error);
    if (!prefix) return problem("prefix: " + error);
    const auto account = get(row, "account");
    if (account.empty()) return problem("account: empty");
    const auto start_text = get(row, "start");
    const auto start = parse_rfc3339(start_text);
    if (!start) return problem("start: '" + start_text + "' is not an RFC 3339 time such as 2026-11-25T18:00:00Z");
    const auto end_text = get(row, "end");
    Micros end = kOpenEnd;
    if (!end_text.empty()) {
      const auto parsed = parse_rfc3339(end_text);
      if (!parsed) return problem("end: '" + end_text + "' is not an RFC 3339 time (or empty for open)");
      if (*parsed < *start) return problem("end is before start");
      end = *parsed;
    }
    Lease lease;
    lease.prefix = *prefix;
    lease.start = *start;
    lease.end = end;
    lease.account = account;
    lease.source = "static";
    lease.source_key = prefix->to_string() + "@" + format_rfc3339(*start);
    result.leases.push_back(std::move(lease));
  });
  return result;
}

ParseResult parse_static_accounts(std::istream& in, std::string_view file) {
  ParseResult result;
  std::unordered_map<std::string, std::size_t> seen;  // id -> line
  read_csv(in, file, {"account", "email", "language", "business", "exempt", "name"}, result,
           [&](std::size_t n, const Row& row) {
             auto problem = [&](std::string m) { result.add_problem(file, n, std::move(m)); };
             Account a;
             a.id = get(row, "account");
             if (a.id.empty()) return problem("account: empty");
             if (const auto dup = seen.find(a.id); dup != seen.end()) {
               return problem("account '" + a.id + "' is already defined on line " + std::to_string(dup->second));
             }
             a.email = get(row, "email");
             if (!a.email.empty() && !valid_email(a.email)) {
               return problem("email: '" + a.email + "' is not an address like user@example.net");
             }
             const auto language = get(row, "language");
             if (!language.empty()) {
               if (!valid_language(language)) return problem("language: '" + language + "' is not a tag like en or pt-BR");
               a.language = language;
             }
             const auto business = text::parse_bool(get(row, "business"));
             if (!business) return problem("business: '" + get(row, "business") + "' is not yes/no/true/false/1/0");
             const auto exempt = text::parse_bool(get(row, "exempt"));
             if (!exempt) return problem("exempt: '" + get(row, "exempt") + "' is not yes/no/true/false/1/0");
             a.business = *business;
             a.exempt = *exempt;
             a.name = get(row, "name");
             seen.emplace(a.id, n);
             result.accounts.push_back(std::move(a));
           });
  return result;
}

IdentityResult parse_identity_csv(std::istream& in, std::string_view file) {
  IdentityResult out;
  read_csv(in, file, {"identity", "account"}, out.result, [&](std::size_t n, const Row& row) {
    const auto identity = normalize_identity(get(row, "identity"));
    const auto account = get(row, "account");
    if (identity.empty() || account.empty()) {
      return out.result.add_problem(file, n, "identity and account must both be given");
    }
    if (!out.identities.emplace(identity, account).second) {
      out.result.add_problem(file, n, "identity '" + identity + "' is listed twice");
    }
  });
  return out;
}

IdentityResult parse_identity_csv_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MappingError(path + ": cannot open file");
  return parse_identity_csv(in, path);
}

std::optional<Format> format_from_name(std::string_view name) {
  for (const auto f : {Format::kea4, Format::kea6, Format::dhcpd, Format::radius, Format::static_assignments,
                       Format::static_accounts}) {
    if (format_name(f) == name) return f;
  }
  return std::nullopt;
}

std::string_view format_name(Format format) {
  switch (format) {
    case Format::kea4: return "kea4";
    case Format::kea6: return "kea6";
    case Format::dhcpd: return "dhcpd";
    case Format::radius: return "radius";
    case Format::static_assignments: return "static-assignments";
    case Format::static_accounts: return "static-accounts";
  }
  return "?";
}

std::optional<Identity> identity_from_name(std::string_view name) {
  if (name == "hwaddr") return Identity::hwaddr;
  if (name == "client_id") return Identity::client_id;
  if (name == "duid") return Identity::duid;
  return std::nullopt;
}

ParseResult parse(Format format, std::istream& in, std::string_view file, const ParseOptions& options) {
  switch (format) {
    case Format::kea4: return parse_kea4(in, file, options);
    case Format::kea6: return parse_kea6(in, file, options);
    case Format::dhcpd: return parse_dhcpd(in, file, options);
    case Format::radius: return parse_radius(in, file);
    case Format::static_assignments: return parse_static_assignments(in, file);
    case Format::static_accounts: return parse_static_accounts(in, file);
  }
  return {};
}

ParseResult parse_file(Format format, const std::string& path, const ParseOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MappingError(path + ": cannot open file");
  return parse(format, in, path, options);
}

}  // namespace botwarden::mapping
