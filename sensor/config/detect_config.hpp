// Detector configuration: the [sensor] keys the detectors own (exemptions,
// IPv6 subscriber prefix length, subscriber cap) and the sub-tables
// [sensor.bad_helo], [sensor.direct_to_mx], [sensor.snowshoe],
// [sensor.decision]. Owned by sensor/detect; every key and its default is
// documented in configs/botwarden.toml and docs/DETECTION.md.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sensor/common/config.hpp"
#include "sensor/common/ip.hpp"

namespace botwarden {

// What a HELO/EHLO argument claims (RFC 5321 §4.1.1.1, §4.1.3), judged by
// where the session goes. The order is the order of HeloClass in
// sensor/detect/helo_classifier.hpp.
inline constexpr std::array<const char*, 10> kHeloClassNames = {
    "ip_literal_not_own", "bare_ip", "localhost", "not_fqdn", "invalid_syntax",
    "claims_provider", "claims_recipient_domain", "claims_server_name", "random_name", "many_helos"};

struct BadHeloConfig {
  // Classes that count as evidence; a class left out is still reported in
  // evidence.helo_classes but weighs nothing.
  std::vector<std::string> classes{kHeloClassNames.begin(), kHeloClassNames.end()};
  // Log-likelihood ratio of one session showing the class (index = class).
  std::array<double, 10> weights{4.0, 4.0, 3.5, 1.0, 2.0, 4.0, 3.5, 4.0, 2.0, 3.0};
  // A HELO that is none of the above on the direct path (a plausible FQDN).
  double good_helo_weight = -0.6;
  // The n-th session with the same HELO in the window weighs repeat_decay^(n-1):
  // a host's configured name is one fact, not independent evidence per session.
  double repeat_decay = 0.85;
  std::vector<std::string> providers{"gmail.com", "googlemail.com", "google.com", "outlook.com",
                                     "hotmail.com", "live.com", "msn.com", "microsoft.com",
                                     "yahoo.com", "aol.com", "icloud.com", "me.com", "apple.com",
                                     "gmx.net", "gmx.de", "web.de", "t-online.de", "mail.ru",
                                     "yandex.ru", "orange.fr", "free.fr", "comcast.net",
                                     "protonmail.com", "zoho.com"};
  // Suffixes accepted as top-level domains besides the Public Suffix List
  // (RFC 2606 documentation names used in labs and captures).
  std::vector<std::string> extra_suffixes{"example"};
  unsigned many_helos = 4;             // distinct HELOs on the direct path in the window
  unsigned window_seconds = 3600;
};

struct DirectToMxConfig {
  unsigned window_seconds = 3600;
  unsigned min_destinations = 3;       // distinct direct servers in the window before it may flag
  // A burst: more than burst_destinations new servers within burst_window_seconds;
  // each new server beyond that is evidence.
  unsigned burst_window_seconds = 120;
  unsigned burst_destinations = 8;
  double novel_destination_weight = 0.6;
  double blocklist_rejection_weight = 2.5;  // counted once per destination server in the window
  // ... and for at most this many servers: receivers that query the same list
  // repeat one fact about the address (a PBL listing hits every home server).
  unsigned max_blocklist_servers = 2;
  double rejection_weight = 1.0;       // other 5xx refusals
  double rcpt_rejected_weight = 1.0;   // per session with refused recipients (harvested lists)
  double tempfail_weight = 0.1;        // 4xx (greylisting)
  double accepted_weight = -0.7;       // a message the receiver accepted
  // STARTTLS: what follows is opaque, but real MTAs use it and spam bots rarely do.
  double tls_weight = -1.0;
  // A new MAIL FROM domain to a new server, once the subscriber already sent
  // as min_sender_domains domains in the window: forged senders.
  unsigned min_sender_domains = 3;
  double varied_sender_weight = 1.5;
  // MAIL FROM in the HELO's own registrable domain (lists.x.org sending as
  // list-bounces@x.org): a server speaking for itself. Repeats decay like the HELO.
  double aligned_sender_weight = -1.0;
  // A HELO that spells the client's own address (an ISP's generic reverse-DNS
  // name, "dyn-198-51-100-7.isp.net"; SpamAssassin HELO_DYNAMIC_*): a host
  // that never got a name of its own delivering directly. Not for "static" names.
  double generic_name_weight = 3.0;
  // A HELO no configured server sends (localhost, a foreign or bare address
  // literal, a generic address name) on a port-25 delivery: the delivery and
  // the name together are a second, independent kind of evidence (Spamhaus:
  // such HELOs to MX servers come from infected hosts almost only).
  double impossible_helo_weight = 2.5;
  // Instead of impossible_helo_weight when the port-25 HELO is a forged
  // identity: the receiving server's own (fully qualified) name, or a public
  // address of the client's family that is not its own. No configuration of
  // a legitimate host produces either, so with the HELO's own weight it flags
  // in one session even when the message is accepted.
  double forged_helo_weight = 4.0;
  std::vector<std::string> blocklist_patterns{"spamhaus", "abuseat", "spamcop", "barracuda",
                                              "sorbs", "dnsbl", "rbl", "blocklist", "blacklist",
                                              "blocked", "listed", "service provider instead",
                                              "dynamic ip", "residential"};
};

struct SnowshoeConfig {
  bool enabled = true;
  unsigned min_cluster_size = 5;       // distinct subscribers sharing a fingerprint
  unsigned window_seconds = 3600;
  unsigned max_fingerprints = 200000;  // bounded memory: oldest fingerprints dropped first
};

struct DecisionConfig {
  double alpha = 0.001;                // target false-positive probability per test
  double beta = 0.01;                  // target miss probability per test
  double max_session_llr = 4.0;        // one session of one kind of evidence never reaches ln((1-beta)/alpha)
  // Most one session can add when it shows at least two independent strong
  // kinds of evidence (HELO, the address refused by a blocklist, the
  // impossible HELO on a port-25 delivery, forged or harvested envelopes).
  double max_corroborated_llr = 10.0;
  unsigned decay_half_life_seconds = 21600;  // evidence fades without new sessions
  unsigned event_window_seconds = 86400;     // one event per subscriber+detector per window
  double reissue_factor = 2.0;         // a new event when the sessions grow by this factor
};

struct DetectConfig {
  unsigned ipv6_subscriber_prefix = 64;  // an IPv6 subscriber is its /64 (RFC 8981 privacy addresses)
  std::vector<Prefix> exempt_prefixes;   // events carry exempt: true
  unsigned max_tracked_subscribers = 1'000'000;
  BadHeloConfig bad_helo;
  DirectToMxConfig direct_to_mx;
  SnowshoeConfig snowshoe;
  DecisionConfig decision;
};

// Reads the detector keys from the [sensor] section (marking them used) and
// its sub-tables (which must hold no unknown keys).
DetectConfig load_detect_config(ConfigSection& sensor);

}  // namespace botwarden
