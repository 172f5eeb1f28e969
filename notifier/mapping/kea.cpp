// Kea DHCPv4/DHCPv6 memfile CSV (kea-leases4.csv, kea-leases6.csv). Kea
// appends one line per change of a lease (new, renewal, release, reclaim);
// a line with valid_lifetime 0 marks a deleted (released) lease. Columns are
// found by the header, so older files without state/user_context, and newer
// ones with pool_id, read the same.
#include <nlohmann/json.hpp>

#include "notifier/mapping/history.hpp"
#include "notifier/mapping/parsers.hpp"
#include "notifier/mapping/text.hpp"

namespace botwarden::mapping {

namespace {

struct KeaLayout {
  bool v6;
  std::string_view source;
};

struct Columns {
  std::size_t count = 0;
  std::optional<std::size_t> address, hwaddr, client_id, duid, valid_lifetime, expire, state,
      user_context, lease_type, prefix_len;
};

std::optional<std::size_t> column(const std::vector<std::string>& header, std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return std::nullopt;
}

Columns read_header(const std::vector<std::string>& h) {
  Columns c;
  c.count = h.size();
  c.address = column(h, "address");
  c.hwaddr = column(h, "hwaddr");
  c.client_id = column(h, "client_id");
  c.duid = column(h, "duid");
  c.valid_lifetime = column(h, "valid_lifetime");
  c.expire = column(h, "expire");
  c.state = column(h, "state");
  c.user_context = column(h, "user_context");
  c.lease_type = column(h, "lease_type");
  c.prefix_len = column(h, "prefix_len");
  return c;
}

std::string_view identity_name(Identity id) {
  switch (id) {
    case Identity::hwaddr: return "hwaddr";
    case Identity::client_id: return "client_id";
    case Identity::duid: return "duid";
  }
  return "hwaddr";
}

// The account in user_context ({"account": "..."}); empty when absent.
// Returns an error message when user_context is present but unusable.
std::optional<std::string> account_from_user_context(const std::string& text, std::string& account) {
  account.clear();
  if (text.empty()) return std::nullopt;
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return "user_context: not a JSON object";
  const auto found = json.find("account");
  if (found == json.end()) return std::nullopt;
  if (!found->is_string() || found->get_ref<const std::string&>().empty()) {
    return "user_context: account must be a non-empty string";
  }
  account = found->get<std::string>();
  return std::nullopt;
}

// Kea escapes commas inside fields, so a plain split is exact (no CSV quoting).
std::vector<std::string> split_kea_line(std::string_view line) {
  std::vector<std::string> fields;
  for (std::size_t start = 0;;) {
    const auto comma = line.find(',', start);
    fields.push_back(text::kea_unescape(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

ParseResult parse_kea(std::istream& in, std::string_view file, const ParseOptions& options,
                      const KeaLayout& layout) {
  ParseResult result;
  LeaseHistory history;
  text::LineReader reader(in);
  std::optional<Columns> columns;
  std::string_view line;
  bool too_long = false;
  const Identity identity =
      layout.v6 ? (options.identity == Identity::hwaddr ? Identity::hwaddr : Identity::duid)
                : (options.identity == Identity::client_id ? Identity::client_id : Identity::hwaddr);

  while (reader.next(line, too_long)) {
    const std::size_t n = reader.line_number();
    auto problem = [&](std::string message) { result.add_problem(file, n, std::move(message)); };
    if (too_long) {
      problem("line is longer than " + std::to_string(kMaxLineBytes) + " bytes");
      continue;
    }
    if (text::trim(line).empty()) continue;
    if (line.starts_with("address,")) {  // a header; Kea's cleanup may concatenate files
      columns = read_header(split_kea_line(line));
      if (!columns->address || !columns->valid_lifetime || !columns->expire ||
          (layout.v6 && !columns->duid)) {
        problem(std::string("header lacks a required column (") +
                (layout.v6 ? "address, duid, valid_lifetime, expire" : "address, valid_lifetime, expire") + ")");
        columns.reset();
      }
      continue;
    }
    ++result.lines;
    if (!columns) {
      problem("no Kea header before this line (expected a line starting with 'address,')");
      continue;
    }
    const auto fields = split_kea_line(line);
    if (fields.size() < columns->count) {
      problem("expected " + std::to_string(columns->count) + " fields as in the header, got " +
              std::to_string(fields.size()));
      continue;
    }
    auto field = [&](const std::optional<std::size_t>& c) -> std::string {
      return c ? std::string(text::trim(fields[*c])) : std::string();
    };

    const auto address_text = field(columns->address);
    const auto address = IpAddress::parse(address_text);
    if (!address || address->is_v4() == layout.v6) {
      problem("address: '" + address_text + "' is not an " + (layout.v6 ? "IPv6" : "IPv4") + " address");
      continue;
    }
    const auto lifetime_text = field(columns->valid_lifetime);
    const auto lifetime = text::parse_uint(lifetime_text);
    if (!lifetime || *lifetime > 0xFFFFFFFFu) {
      problem("valid_lifetime: '" + lifetime_text + "' is not a number of seconds");
      continue;
    }
    const auto expire_text = field(columns->expire);
    const auto expire = text::parse_uint(expire_text);
    const auto expire_micros =
        expire && *expire < (1ull << 40) ? text::seconds_to_micros(static_cast<std::int64_t>(*expire)) : std::nullopt;
    if (!expire_micros) {
      problem("expire: '" + expire_text + "' is not a time in epoch seconds");
      continue;
    }
    if (*lifetime > *expire) {
      problem("valid_lifetime " + lifetime_text + " is larger than expire " + expire_text);
      continue;
    }
    std::uint64_t state = 0;
    if (columns->state) {
      const auto state_text = field(columns->state);
      const auto parsed = state_text.empty() ? std::optional<std::uint64_t>(0) : text::parse_uint(state_text);
      if (!parsed || *parsed > 2) {
        problem("state: '" + state_text + "' is not 0 (default), 1 (declined) or 2 (expired-reclaimed)");
        continue;
      }
      state = *parsed;
    }

    unsigned length = layout.v6 ? 128 : 32;
    if (layout.v6 && columns->lease_type) {
      const auto type_text = field(columns->lease_type);
      const auto type = text::parse_uint(type_text);
      if (!type || *type > 2) {
        problem("lease_type: '" + type_text + "' is not 0 (IA_NA), 1 (IA_TA) or 2 (IA_PD)");
        continue;
      }
      if (*type == 2) {
        const auto len_text = field(columns->prefix_len);
        const auto len = text::parse_uint(len_text);
        if (!len || *len < 1 || *len > 128) {
          problem("prefix_len: '" + len_text + "' is not a prefix length 1..128");
          continue;
        }
        length = static_cast<unsigned>(*len);
      }
    }
    std::string prefix_error;
    const auto prefix = Prefix::parse(address_text + "/" + std::to_string(length), &prefix_error);
    if (!prefix) {
      problem("address: " + prefix_error);
      continue;
    }

    if (state == 1) {  // declined: the address was found in use, nobody was given it
      ++result.skipped;
      continue;
    }
    const auto hwaddr = normalize_identity(field(columns->hwaddr));
    const auto client_id = normalize_identity(field(layout.v6 ? columns->duid : columns->client_id));
    // The client as the server knows it: DUID for DHCPv6, else the hardware
    // address (the client id when there is none).
    const std::string holder = layout.v6 ? client_id : (hwaddr.empty() ? client_id : hwaddr);
    const Micros end = *expire_micros;
    const Micros start = end - static_cast<Micros>(*lifetime) * kMicrosPerSecond;
    if (*lifetime == 0) {  // Kea writes a deleted (released) lease with valid_lifetime 0
      history.release(*prefix, holder, end);
      continue;
    }

    std::string account;
    if (auto error = account_from_user_context(field(columns->user_context), account)) {
      problem(*error);
      continue;
    }
    if (account.empty()) {
      const std::string& key = identity == Identity::hwaddr ? hwaddr : client_id;
      const auto name = std::string(identity_name(identity));
      const IdentityMap::const_iterator found =
          options.identities && !key.empty() ? options.identities->find(key) : IdentityMap::const_iterator{};
      if (options.identities && !key.empty() && found != options.identities->end()) {
        account = found->second;
      } else if (state == 2) {
        // A reclaimed lease that lost its identity still says when the holding ended.
        history.release(*prefix, "", end);
        continue;
      } else if (key.empty()) {
        problem("no account: no user_context account and no " + name);
        continue;
      } else {
        problem("no account for " + name + " '" + key + "': no user_context account and not in the identity map");
        continue;
      }
    }
    Lease lease;
    lease.prefix = *prefix;
    lease.start = start;
    lease.end = end;
    lease.account = std::move(account);
    lease.source = std::string(layout.source);
    lease.source_key = prefix->to_string() + "@" + std::to_string(start / kMicrosPerSecond);
    history.assign(std::move(lease), holder);
  }
  result.leases = history.take();
  return result;
}

}  // namespace

ParseResult parse_kea4(std::istream& in, std::string_view file, const ParseOptions& options) {
  return parse_kea(in, file, options, KeaLayout{false, "kea4"});
}

ParseResult parse_kea6(std::istream& in, std::string_view file, const ParseOptions& options) {
  return parse_kea(in, file, options, KeaLayout{true, "kea6"});
}

}  // namespace botwarden::mapping
