// ISC dhcpd.leases (dhcpd.leases(5)): `lease ADDR { ... }` blocks appended as
// leases change; later blocks for the same address supersede earlier ones
// (a renewal by the same client extends the lease, a free/released block
// ends it). Times are UTC ("starts 3 2026/11/25 18:00:00;"), or
// "epoch N" (db-time-format local), or "never". Other top-level blocks
// (failover peer, dhcpd6 ia-na/ia-pd) are skipped and counted.
#include <algorithm>
#include <cstdio>

#include "notifier/mapping/history.hpp"
#include "notifier/mapping/parsers.hpp"
#include "notifier/mapping/text.hpp"

namespace botwarden::mapping {

namespace {

// Cap on hostile input: dhcpd's statements have a handful of words.
constexpr std::size_t kMaxStatementTokens = 64;

struct Token {
  std::string text;
  std::size_t line = 0;
  bool quoted = false;
};

// dhcpd writes uid "\001\010..." with octal escapes: decode to bytes.
std::string decode_quoted(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i]);
      continue;
    }
    const char c = s[++i];
    if (c >= '0' && c <= '7') {
      unsigned value = 0;
      std::size_t digits = 0;
      while (digits < 3 && i < s.size() && s[i] >= '0' && s[i] <= '7') {
        value = value * 8 + static_cast<unsigned>(s[i] - '0');
        ++i;
        ++digits;
      }
      --i;
      out.push_back(static_cast<char>(value & 0xFF));
    } else if (c == 'n') {
      out.push_back('\n');
    } else if (c == 't') {
      out.push_back('\t');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string hex_colon(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    if (!out.empty()) out.push_back(':');
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

// Splits a line into words, "quoted strings" and the punctuation { } ; =.
// Returns false for an unterminated quote.
bool tokenize(std::string_view line, std::size_t line_number, std::vector<Token>& out) {
  std::size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
    } else if (c == '#') {
      return true;
    } else if (c == '{' || c == '}' || c == ';' || c == '=') {
      out.push_back(Token{std::string(1, c), line_number, false});
      ++i;
    } else if (c == '"') {
      std::size_t j = i + 1;
      while (j < line.size() && line[j] != '"') j += line[j] == '\\' ? 2 : 1;
      if (j >= line.size()) return false;
      out.push_back(Token{decode_quoted(line.substr(i + 1, j - i - 1)), line_number, true});
      i = j + 1;
    } else {
      std::size_t j = i;
      while (j < line.size() && std::string_view(" \t\r{};=\"#").find(line[j]) == std::string_view::npos) ++j;
      out.push_back(Token{std::string(line.substr(i, j - i)), line_number, false});
      i = j;
    }
  }
  return true;
}

// "3 2026/11/25 18:00:00", "epoch 1764093600" or "never" (kOpenEnd).
std::optional<Micros> parse_time(const std::vector<Token>& s) {
  if (s.size() == 2 && s[1].text == "never") return kOpenEnd;
  if (s.size() == 3 && s[1].text == "epoch") {
    const auto v = text::parse_int(s[2].text);
    if (!v || *v > (1ll << 40)) return std::nullopt;
    return text::seconds_to_micros(*v);
  }
  if (s.size() != 4 || !text::parse_uint(s[1].text)) return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  char extra = 0;
  if (std::sscanf(s[2].text.c_str(), "%4d/%2d/%2d%c", &y, &mo, &d, &extra) != 3) return std::nullopt;
  if (std::sscanf(s[3].text.c_str(), "%2d:%2d:%2d%c", &h, &mi, &se, &extra) != 3) return std::nullopt;
  const auto secs = text::epoch_seconds(y, mo, d, h, mi, se);
  if (!secs) return std::nullopt;
  return text::seconds_to_micros(*secs);
}

struct LeaseBlock {
  std::string address_text;
  std::size_t line = 0;
  std::optional<Micros> starts, ends;
  std::string binding_state = "active";  // files from old dhcpd have no binding state
  std::string hwaddr, uid, account;
  bool bad = false;
};

class DhcpdParser {
 public:
  DhcpdParser(std::string_view file, const ParseOptions& options) : file_(file), options_(options) {}

  ParseResult run(std::istream& in) {
    text::LineReader reader(in);
    std::string_view line;
    bool too_long = false;
    std::vector<Token> tokens;
    while (reader.next(line, too_long)) {
      const std::size_t n = reader.line_number();
      ++result_.lines;
      if (too_long) {
        result_.add_problem(file_, n, "line is longer than " + std::to_string(kMaxLineBytes) + " bytes");
        continue;
      }
      tokens.clear();
      if (!tokenize(line, n, tokens)) {
        result_.add_problem(file_, n, "unterminated quoted string");
        continue;
      }
      for (auto& t : tokens) feed(std::move(t));
    }
    if (lease_) {
      result_.add_problem(file_, lease_->line, "lease " + lease_->address_text + ": block is not closed with '}'");
    }
    result_.leases = history_.take();
    return std::move(result_);
  }

 private:
  void feed(Token t) {
    const bool punct = !t.quoted && (t.text == ";" || t.text == "{" || t.text == "}");
    if (!punct) {
      if (statement_.size() == kMaxStatementTokens) {
        if (!statement_overflow_) {
          result_.add_problem(file_, t.line, "statement has more than " + std::to_string(kMaxStatementTokens) + " words");
        }
        statement_overflow_ = true;
        return;
      }
      statement_.push_back(std::move(t));
      return;
    }
    const char terminator = t.text[0];
    const bool overflow = statement_overflow_;
    statement_overflow_ = false;
    if (skip_depth_ > 0) {  // inside a block we do not read
      if (terminator == '{') ++skip_depth_;
      if (terminator == '}') --skip_depth_;
      statement_.clear();
      return;
    }
    if (terminator == '{') {
      open_block(t.line, overflow);
    } else if (terminator == '}') {
      if (lease_) {
        if (!statement_.empty()) statement(t.line);
        finish_lease();
      } else {
        result_.add_problem(file_, t.line, "'}' without an open block");
      }
    } else if (!overflow) {
      statement(t.line);
    }
    statement_.clear();
  }

  void open_block(std::size_t line, bool overflow) {
    if (lease_ || overflow || statement_.empty()) {  // a nested block such as `on expiry { ... }`
      skip_depth_ = 1;
      return;
    }
    const auto& keyword = statement_[0].text;
    if (keyword == "lease" && statement_.size() == 2) {
      lease_ = LeaseBlock{};
      lease_->address_text = statement_[1].text;
      lease_->line = line;
      if (!IpAddress::parse(lease_->address_text) || !IpAddress::parse(lease_->address_text)->is_v4()) {
        result_.add_problem(file_, line, "lease: '" + lease_->address_text + "' is not an IPv4 address");
        lease_->bad = true;
      }
      return;
    }
    if (keyword == "failover" || keyword == "ia-na" || keyword == "ia-ta" || keyword == "ia-pd" ||
        keyword == "host" || keyword == "class" || keyword == "subclass") {
      ++result_.skipped;
    } else {
      result_.add_problem(file_, line, "unknown block '" + keyword + "'");
    }
    skip_depth_ = 1;
  }

  void statement(std::size_t line) {
    if (statement_.empty()) return;
    const auto& key = statement_[0].text;
    if (!lease_) {
      static const std::vector<std::string_view> kTopLevel = {"server-duid", "authoring-byte-order",
                                                               "db-time-format", "lease-id-format"};
      if (std::find(kTopLevel.begin(), kTopLevel.end(), key) == kTopLevel.end()) {
        result_.add_problem(file_, line, "unknown statement '" + key + "'");
      }
      return;
    }
    LeaseBlock& l = *lease_;
    auto bad = [&](std::string message) {
      result_.add_problem(file_, line, "lease " + l.address_text + ": " + message);
      l.bad = true;
    };
    if (key == "starts" || key == "ends") {
      const auto t = parse_time(statement_);
      if (!t || (key == "starts" && *t == kOpenEnd)) {
        bad(key + ": expected 'W yyyy/mm/dd hh:mm:ss', 'epoch N'" + (key == "ends" ? " or 'never'" : ""));
        return;
      }
      (key == "starts" ? l.starts : l.ends) = *t;
    } else if (key == "binding" && statement_.size() == 3 && statement_[1].text == "state") {
      l.binding_state = statement_[2].text;
    } else if (key == "hardware" && statement_.size() == 3) {
      l.hwaddr = normalize_identity(statement_[2].text);
    } else if (key == "uid" && statement_.size() == 2) {
      l.uid = statement_[1].quoted ? hex_colon(statement_[1].text) : normalize_identity(statement_[1].text);
    } else if (key == "set" && statement_.size() == 4 && statement_[1].text == "account" && statement_[2].text == "=") {
      if (statement_[3].text.empty()) {
        bad("set account: empty value");
        return;
      }
      l.account = statement_[3].text;
    }
    // Other statements (cltt, tstp, client-hostname, option ...) do not bear on the mapping.
  }

  void finish_lease() {
    LeaseBlock l = std::move(*lease_);
    lease_.reset();
    if (l.bad) return;
    const auto prefix = Prefix::parse(l.address_text);
    const std::string holder = l.hwaddr.empty() ? l.uid : l.hwaddr;
    auto problem = [&](std::string message) {
      result_.add_problem(file_, l.line, "lease " + l.address_text + ": " + message);
    };
    const auto& state = l.binding_state;
    if (state == "free" || state == "released" || state == "expired" || state == "abandoned" ||
        state == "reset" || state == "backup") {
      // The address went back to the pool at `ends` (or it never left it).
      if (l.ends && *l.ends != kOpenEnd) history_.release(*prefix, holder, *l.ends);
      ++result_.skipped;
      return;
    }
    if (state != "active" && state != "bootp") {
      problem("binding state '" + state + "' is not one of active, free, released, expired, abandoned, reset, backup");
      return;
    }
    if (!l.starts) {
      problem("no starts time");
      return;
    }
    const Micros end = l.ends.value_or(kOpenEnd);
    if (end < *l.starts) {
      problem("ends before it starts");
      return;
    }
    std::string account = l.account;
    if (account.empty()) {
      const bool by_uid = options_.identity == Identity::client_id;
      const std::string& key = by_uid ? l.uid : l.hwaddr;
      const std::string name = by_uid ? "uid" : "hardware ethernet";
      if (key.empty()) {
        problem("no account: no 'set account' and no " + name);
        return;
      }
      const IdentityMap::const_iterator found =
          options_.identities ? options_.identities->find(key) : IdentityMap::const_iterator{};
      if (!options_.identities || found == options_.identities->end()) {
        problem("no account for " + name + " '" + key + "': no 'set account' and not in the identity map");
        return;
      }
      account = found->second;
    }
    Lease lease;
    lease.prefix = *prefix;
    lease.start = *l.starts;
    lease.end = end;
    lease.account = std::move(account);
    lease.source = "dhcpd";
    lease.source_key = prefix->to_string() + "@" + std::to_string(*l.starts / kMicrosPerSecond);
    history_.assign(std::move(lease), holder);
  }

  std::string_view file_;
  const ParseOptions& options_;
  ParseResult result_;
  LeaseHistory history_;
  std::vector<Token> statement_;
  bool statement_overflow_ = false;
  int skip_depth_ = 0;
  std::optional<LeaseBlock> lease_;
};

}  // namespace

ParseResult parse_dhcpd(std::istream& in, std::string_view file, const ParseOptions& options) {
  return DhcpdParser(file, options).run(in);
}

}  // namespace botwarden::mapping
