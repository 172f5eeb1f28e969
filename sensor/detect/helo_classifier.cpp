// HELO/EHLO classification (RFC 5321 §4.1.1.1, §4.1.3, §4.1.2 Domain and
// address-literal syntax; RFC 1035 §2.3.4 label and name lengths).
#include "helo_classifier.hpp"

#include <libpsl.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace botwarden::detect {
namespace {

#include "bigram_table.inc"

constexpr std::array<const char*, kHeloClassCount> kNames = {
    "ip_literal_not_own", "bare_ip", "localhost", "not_fqdn", "invalid_syntax",
    "claims_provider", "claims_recipient_domain", "claims_server_name", "random_name", "many_helos"};
static_assert(kNames.size() == kHeloClassNames.size());

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

// The address of an RFC 5321 §4.1.3 literal ("[192.0.2.1]", "[IPv6:2001:db8::1]");
// nullopt when malformed.
std::optional<IpAddress> literal_address(std::string_view helo) {
  if (helo.size() <= 2 || helo.front() != '[' || helo.back() != ']') return std::nullopt;
  const auto inner = helo.substr(1, helo.size() - 2);
  if (inner.size() > 5 && lower(inner.substr(0, 5)) == "ipv6:") {
    auto ip = IpAddress::parse(inner.substr(5));
    if (ip && ip->is_v4()) return std::nullopt;
    return ip;
  }
  auto ip = IpAddress::parse(inner);
  if (ip && !ip->is_v4()) return std::nullopt;  // IPv6 needs the "IPv6:" tag
  return ip;
}

// Addresses a host behind NAT or carrier-grade NAT may hold as its own.
bool is_nat_internal(const IpAddress& a) {
  const auto& b = a.bytes;
  if (a.is_v4()) {
    return b[0] == 10 || b[0] == 127 || b[0] == 0 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
           (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xc0) == 64) || (b[0] == 169 && b[1] == 254);
  }
  bool unspecified_or_loopback = b[15] <= 1;  // :: and ::1
  for (std::size_t i = 0; i < 15; ++i) unspecified_or_loopback = unspecified_or_loopback && b[i] == 0;
  return unspecified_or_loopback || (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

bool is_loopback(const IpAddress& a) {
  if (a.is_v4()) return a.bytes[0] == 127;
  static const auto one = IpAddress::parse("::1");
  return one && a == *one;
}

// RFC 5321 §4.1.2 Domain: labels of letters, digits and inner hyphens
// (1-63 octets each, RFC 1035 §2.3.4), at most 255 octets in all.
bool valid_ldh_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (auto label : split(name, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
    }
  }
  return true;
}

int bigram_index(char c) { return c - 'a'; }

// Letter bigram log-probabilities (x100) of letters-only tokens, each with
// its boundaries: the sum, how many bigrams, how many rare (below 0.15 %).
struct BigramScore {
  int sum = 0;
  int bigrams = 0;
  int rare = 0;
  void add(std::string_view letters) {
    int prev = 26;  // boundary
    for (const char c : letters) {
      note(kBigramLogProb[prev][bigram_index(c)]);
      prev = bigram_index(c);
    }
    note(kBigramLogProb[prev][26]);
  }
  double average() const { return static_cast<double>(sum) / (100.0 * bigrams); }

 private:
  void note(int lp) {
    sum += lp;
    ++bigrams;
    if (lp < -650) ++rare;
  }
};

// Calls f(run) for each maximal run of letters in a token of letters and digits.
template <class F>
void for_each_letter_run(std::string_view token, F&& f) {
  std::size_t start = 0;
  for (std::size_t i = 0; i <= token.size(); ++i) {
    if (i < token.size() && !is_digit(token[i])) continue;
    if (i > start) f(token.substr(start, i - start));
    start = i + 1;
  }
}

// Letters-only token: average ln P(next|prev) over the token with its
// boundaries, and how many of its bigrams are rare (below 0.15 %).
// Calibrated on real names (places, companies, people of many countries):
// none of them flags; about 65 % of uniformly random 6-12 letter strings do.
bool random_letters(std::string_view token) {
  if (token.size() < 6) return false;
  BigramScore score;
  score.add(token);
  int run = 0;
  int longest_run = 0;
  for (char c : token) {
    const bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
    run = vowel ? 0 : run + 1;
    longest_run = std::max(longest_run, run);
  }
  const int rare = score.rare;
  const int n = score.bigrams;
  const double average = score.average();
  return (rare >= 2 && rare * 5 >= n) || (rare >= 2 && average < -3.8 && longest_run >= 4) ||
         (rare >= 1 && average < -3.6 && longest_run >= 5) || average < -4.4;
}

// An operating system's default computer name, the whole (lower-cased)
// HELO: Windows Server setup names a host "WIN-" and 11 random characters
// from A-Z0-9, Windows 10/11 "DESKTOP-" and 7, OEM laptops "LAPTOP-" and 8.
// The prefix and length say where the name comes from; the random part must
// not read like words (a person's "WIN-FILESERVER1"): the average letter
// bigram log-probability over its runs of letters is below -3.0, where
// names people type score -2.2 to -2.9 and about 92 % of random 11-character
// parts fall (84 % of 7-character ones). A part without letters is random.
bool os_default_name(std::string_view name) {
  static constexpr std::pair<std::string_view, std::size_t> kDefaults[] = {
      {"win-", 11}, {"desktop-", 7}, {"laptop-", 8}};
  for (const auto& [prefix, length] : kDefaults) {
    if (name.size() != prefix.size() + length || name.substr(0, prefix.size()) != prefix) continue;
    const auto part = name.substr(prefix.size());
    if (!std::all_of(part.begin(), part.end(), [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c); })) {
      return false;
    }
    // Each run of letters with its boundaries, as random_letters scores a token.
    BigramScore score;
    for_each_letter_run(part, [&](std::string_view run) { score.add(run); });
    return score.bigrams == 0 || score.average() < -3.0;
  }
  return false;
}

// Letters and digits interleaved ("3j9k2l1pq0a", "7f3kq2l"): machine-made.
bool random_mixed(std::string_view token) {
  if (token.size() < 6) return false;
  int transitions = 0;
  for (std::size_t i = 1; i < token.size(); ++i) {
    if (is_digit(token[i]) != is_digit(token[i - 1])) ++transitions;
  }
  return transitions >= 3;
}

std::string token_shape(std::string_view token) {
  bool letters = false;
  bool digits = false;
  for (char c : token) {
    if (is_digit(c)) digits = true;
    else letters = true;
  }
  const char kind = letters && digits ? 'x' : digits ? 'd' : 'a';
  return kind + std::to_string(token.size());
}

}  // namespace

const char* to_string(HeloClass c) {
  const auto i = static_cast<std::size_t>(c);
  return i < kNames.size() ? kNames[i] : "unknown";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return out;
}

void HeloClassifier::PslDeleter::operator()(psl_ctx_st* p) const { psl_free(p); }

HeloClassifier::HeloClassifier(const BadHeloConfig& config) : config_(config) {
  // The newer of the built-in list and Debian's /usr/share/publicsuffix.
  psl_.reset(psl_latest(nullptr));
  if (!psl_) psl_.reset(const_cast<psl_ctx_t*>(psl_builtin()));
}

HeloClassifier::~HeloClassifier() {
  // psl_builtin() is static and must not be freed; psl_free ignores it.
}

bool HeloClassifier::known_suffix(std::string_view tld) const {
  const std::string t(tld);
  if (std::find(config_.extra_suffixes.begin(), config_.extra_suffixes.end(), t) !=
      config_.extra_suffixes.end()) {
    return true;
  }
  return psl_is_public_suffix2(psl_.get(), t.c_str(), PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

std::string HeloClassifier::registrable_domain(std::string_view host) const {
  std::string h = lower(host);
  if (!h.empty() && h.back() == '.') h.pop_back();
  if (!valid_ldh_name(h)) return {};
  if (auto it = registrable_cache_.find(h); it != registrable_cache_.end()) return it->second;
  std::string result = lookup_registrable(h);
  if (registrable_cache_.size() >= 65536) registrable_cache_.clear();
  registrable_cache_.emplace(std::move(h), result);
  return result;
}

std::string HeloClassifier::lookup_registrable(const std::string& h) const {
  const auto dot = h.rfind('.');
  if (dot == std::string::npos || !known_suffix(std::string_view(h).substr(dot + 1))) return {};
  const char* r = psl_registrable_domain(psl_.get(), h.c_str());
  return r ? std::string(r) : std::string();
}

bool HeloClassifier::looks_random(std::string_view host) const {
  std::string h = lower(host);
  if (!h.empty() && h.back() == '.') h.pop_back();
  if (!valid_ldh_name(h)) return false;
  // Judge only the labels the owner chose, not the public suffix.
  const std::string reg = registrable_domain(h);
  std::string_view chosen = h;
  if (!reg.empty()) {
    const auto suffix_len = reg.size() - reg.find('.') - 1;
    chosen = std::string_view(h).substr(0, h.size() - suffix_len - 1);
  }
  for (auto label : split(chosen, '.')) {
    for (auto token : split(label, '-')) {
      const bool has_digit = std::any_of(token.begin(), token.end(), is_digit);
      const bool has_alpha = std::any_of(token.begin(), token.end(), is_alpha);
      if (has_digit && has_alpha && random_mixed(token)) return true;
      if (!has_digit && has_alpha && random_letters(token)) return true;
      // A machine-made token with few digits ("LMQFRGXF4VM", the random part of a
      // Windows default name): its runs of letters judged like letters-only tokens.
      if (has_digit && has_alpha) {
        bool random = false;
        for_each_letter_run(token, [&](std::string_view run) { random = random || random_letters(run); });
        if (random) return true;
      }
    }
  }
  return false;
}

std::string HeloClassifier::banner_host(std::string_view banner) {
  // "220 mx.example.net ESMTP ..." or "220-mx.example.net ..." (RFC 5321 §4.2),
  // or the text alone when the SMTP stage kept it without the code.
  auto rest = banner;
  if (banner.size() >= 4 && is_digit(banner[0]) && is_digit(banner[1]) && is_digit(banner[2]) &&
      (banner[3] == ' ' || banner[3] == '-')) {
    rest = banner.substr(4);
  }
  const auto end = rest.find_first_of(" \t\r\n");
  std::string host = lower(rest.substr(0, end));
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host.find('.') == std::string::npos || !valid_ldh_name(host)) return {};
  return host;
}

std::string HeloClassifier::shape(std::string_view helo) const {
  std::string h = lower(helo);
  if (!h.empty() && h.back() == '.') h.pop_back();
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') {
    return h.rfind("[ipv6:", 0) == 0 ? "[v6]" : "[v4]";
  }
  if (auto ip = IpAddress::parse(h)) return ip->is_v4() ? "v4" : "v6";
  if (!valid_ldh_name(h)) return "invalid";
  const std::string reg = registrable_domain(h);
  std::string_view chosen = h;
  std::string suffix;
  if (!reg.empty()) {
    suffix = reg.substr(reg.find('.') + 1);
    chosen = std::string_view(h).substr(0, h.size() - suffix.size() - 1);
  }
  std::string out;
  for (auto label : split(chosen, '.')) {
    if (!out.empty()) out += '.';
    bool first = true;
    for (auto token : split(label, '-')) {
      if (!first) out += '-';
      first = false;
      out += token_shape(token);
    }
  }
  if (!suffix.empty()) out += "." + suffix;
  return out;
}

bool names_foreign_public_address(std::string_view helo, const IpAddress& client, unsigned ipv6_own_prefix) {
  while (!helo.empty() && (helo.front() == ' ' || helo.front() == '\t')) helo.remove_prefix(1);
  while (!helo.empty() && (helo.back() == ' ' || helo.back() == '\t' || helo.back() == '\r')) helo.remove_suffix(1);
  const auto ip = !helo.empty() && helo.front() == '[' ? literal_address(helo) : IpAddress::parse(helo);
  if (!ip || ip->is_v4() != client.is_v4() || is_nat_internal(*ip)) return false;
  if (ip->is_v4()) return *ip != client;
  return ip->masked(ipv6_own_prefix) != client.masked(ipv6_own_prefix);
}

HeloClasses HeloClassifier::classify(std::string_view helo, const HeloContext& context) const {
  HeloClasses out;
  const bool server_rules = context.path == smtp::Path::direct;
  auto server_class = [&](HeloClass c) {
    if (server_rules) out.add(c);
  };
  // Surrounding blanks are the parser's business; trim them defensively.
  while (!helo.empty() && (helo.front() == ' ' || helo.front() == '\t')) helo.remove_prefix(1);
  while (!helo.empty() && (helo.back() == ' ' || helo.back() == '\t' || helo.back() == '\r')) {
    helo.remove_suffix(1);
  }
  if (helo.empty()) {
    server_class(HeloClass::invalid_syntax);
    return out;
  }

  // Address literal (RFC 5321 §4.1.3): "[192.0.2.1]" or "[IPv6:2001:db8::1]".
  if (helo.front() == '[') {
    const auto ip = literal_address(helo);
    if (!ip) {
      server_class(HeloClass::invalid_syntax);
      return out;
    }
    if (is_loopback(*ip)) {
      server_class(HeloClass::localhost);
      return out;
    }
    const bool own = *ip == context.client ||
                     (!ip->is_v4() && !context.client.is_v4() &&
                      ip->masked(context.ipv6_own_prefix) == context.client.masked(context.ipv6_own_prefix));
    if (!own) server_class(HeloClass::ip_literal_not_own);
    return out;
  }
  if (auto ip = IpAddress::parse(helo)) {
    server_class(HeloClass::bare_ip);
    if (is_loopback(*ip)) server_class(HeloClass::localhost);
    return out;
  }

  std::string name = lower(helo);
  if (name.back() == '.') name.pop_back();  // a root dot: tolerated, judged without it
  if (name == "localhost" || name.rfind("localhost.", 0) == 0) {
    server_class(HeloClass::localhost);
    return out;
  }
  if (!valid_ldh_name(name)) {
    server_class(HeloClass::invalid_syntax);
    return out;
  }

  const std::string reg = registrable_domain(name);
  if (reg.empty()) server_class(HeloClass::not_fqdn);

  const std::string server = banner_host(context.banner);
  if (!server.empty() && name == server) out.add(HeloClass::claims_server_name);

  if (!reg.empty()) {
    const bool provider =
        std::find(config_.providers.begin(), config_.providers.end(), reg) != config_.providers.end();
    if (provider && (server.empty() || registrable_domain(server) != reg)) {
      out.add(HeloClass::claims_provider);
    }
  }

  if (server_rules) {
    for (const auto& rcpt : context.rcptto) {
      const auto at = rcpt.rfind('@');
      if (at == std::string::npos) continue;
      std::string domain = lower(std::string_view(rcpt).substr(at + 1));
      if (!domain.empty() && domain.back() == '>') domain.pop_back();
      if (domain.empty()) continue;
      if (name == domain || name == registrable_domain(domain)) {
        out.add(HeloClass::claims_recipient_domain);
        break;
      }
    }
    // A single-label OS default name was never configured by anyone.
    if (looks_random(name) || (reg.empty() && os_default_name(name))) out.add(HeloClass::random_name);
  }
  return out;
}

}  // namespace botwarden::detect
