// HELO/EHLO classification: what the argument claims (RFC 5321 §4.1.1.1:
// the client's FQDN or, failing that, an address literal of its own
// address, §4.1.3), judged by where the session goes. A mail client talking
// to the ISP relay or a submission port is held to client conventions
// (`[own address]`, `DESKTOP-7F3KQ2L`, `Johns-MacBook.local` are normal
// there); a host delivering to a stranger's MX is held to server ones.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sensor/common/ip.hpp"
#include "sensor/config/detect_config.hpp"
#include "sensor/smtp/session_record.hpp"

struct psl_ctx_st;

namespace botwarden::detect {

enum class HeloClass : std::uint8_t {
  ip_literal_not_own,       // "[a.b.c.d]" / "[IPv6:...]" that is not the client's own address
  bare_ip,                  // an address without brackets (not RFC 5321 syntax)
  localhost,                // localhost, localhost.localdomain, 127.0.0.0/8, ::1
  not_fqdn,                 // one label, or no registrable domain under the PSL (.local, .lan ...)
  invalid_syntax,           // empty, outside LDH, underscores, too long, bad literal
  claims_provider,          // a big mail provider's domain, not talking to that provider
  claims_recipient_domain,  // the domain of a RCPT TO (or its registrable domain)
  claims_server_name,       // the receiving server's own name from its 220 banner
  random_name,              // random-looking labels (character statistics)
  many_helos,               // many distinct HELOs from one subscriber (set by behaviour)
  count_,                   // sentinel: number of classes
};
inline constexpr std::size_t kHeloClassCount = static_cast<std::size_t>(HeloClass::count_);
const char* to_string(HeloClass c);

// A set of classes, one bit each.
struct HeloClasses {
  std::uint16_t bits = 0;
  void add(HeloClass c) { bits = static_cast<std::uint16_t>(bits | (1u << static_cast<unsigned>(c))); }
  bool has(HeloClass c) const { return (bits >> static_cast<unsigned>(c)) & 1u; }
  bool empty() const { return bits == 0; }
};

struct HeloContext {
  smtp::Path path = smtp::Path::direct;
  IpAddress client;                      // the subscriber-side address of the session
  unsigned ipv6_own_prefix = 64;         // an IPv6 literal inside the client's /64 is its own
  std::string_view banner;               // first 220 line, e.g. "220 mx1.example.net ESMTP"
  std::span<const std::string> rcptto;   // envelope recipients
};

class HeloClassifier {
 public:
  explicit HeloClassifier(const BadHeloConfig& config);
  ~HeloClassifier();
  HeloClassifier(const HeloClassifier&) = delete;
  HeloClassifier& operator=(const HeloClassifier&) = delete;

  // Every class the argument falls in (many_helos is never set here).
  HeloClasses classify(std::string_view helo, const HeloContext& context) const;

  // Lower-cased registrable domain ("mail.foo.co.uk" -> "foo.co.uk"); empty
  // when there is none (single label, unknown or reserved top-level domain).
  std::string registrable_domain(std::string_view host) const;

  // The character-statistics model alone, on one host name.
  bool looks_random(std::string_view host) const;

  // A coarse pattern of the name for correlating senders: labels become
  // a<n> (letters), d<n> (digits), x<n> (mixed), the public suffix stays:
  // "xkqjzvbw.com" -> "a8.com", "WIN-3J9K2L1PQ0A" -> "a3-x11".
  std::string shape(std::string_view helo) const;

  // The host name a 220 banner announces ("220 mx.example.net ESMTP" -> "mx.example.net";
  // the reply code is optional).
  static std::string banner_host(std::string_view banner);

 private:
  bool known_suffix(std::string_view tld) const;
  std::string lookup_registrable(const std::string& host) const;
  struct PslDeleter { void operator()(psl_ctx_st* p) const; };
  std::unique_ptr<psl_ctx_st, PslDeleter> psl_;
  const BadHeloConfig& config_;
  // libpsl lookups dominate the per-session cost; names repeat a lot. Bounded:
  // cleared when full. Not thread-safe: one classifier per engine (worker).
  mutable std::unordered_map<std::string, std::string> registrable_cache_;
};

// Whether the HELO is an address (a literal or, against RFC 5321 §4.1.3, a
// bare one) of the client's own family that is neither the client's own
// (IPv6: its prefix) nor one a host behind NAT or CGNAT can hold as its own
// (RFC 1918, 100.64.0.0/10, link-local, ULA, loopback): an address of some
// other host on the Internet, which no configuration of the client produces.
// An IPv4 literal from an IPv6 client is not judged (dual-stack hosts).
bool names_foreign_public_address(std::string_view helo, const IpAddress& client, unsigned ipv6_own_prefix);

// ASCII lower-casing of a bounded wire string.
std::string lower(std::string_view s);

}  // namespace botwarden::detect
