// A linksim scenario: who is on the simulated access link, what they send,
// and how the link is framed and impaired. Loaded from TOML through the
// shared ConfigFile reader, so every bad key is reported as file:line: key.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "sensor/common/config.hpp"
#include "sensor/common/time.hpp"

namespace botwarden::linksim {

// Subscriber kinds in labels.json order; benign ones first.
enum class Kind : std::uint8_t {
  web_only, mail_client, relay_user, business_mta, home_server, mailing_list,
  bot_bad_helo, bot_direct_mx, bot_slow, bot_snowshoe,
  count_  // sentinel
};
inline constexpr std::size_t kKindCount = static_cast<std::size_t>(Kind::count_);
const char* to_string(Kind k);
inline bool is_bot(Kind k) { return k >= Kind::bot_bad_helo; }

enum class Encapsulation : std::uint8_t { ethernet, vlan, qinq, mpls, pppoe, count_ };
inline constexpr std::size_t kEncapsulationCount = static_cast<std::size_t>(Encapsulation::count_);
const char* to_string(Encapsulation e);

struct Background {
  double flows_per_subscriber_per_minute = 2.0;
  std::int64_t min_flow_bytes = 400;
  std::int64_t max_flow_bytes = 2'000'000;
  // Relative weights of the flow types.
  double https = 0.6, http = 0.1, dns = 0.25, quic = 0.05;
  double downlink_mbit = 50.0;
};

struct MailRates {
  double mail_client_sessions_per_hour = 6;
  double relay_user_sessions_per_hour = 4;
  double business_mta_sessions_per_hour = 40;
  double home_server_sessions_per_hour = 2;
  double mailing_list_bursts_per_hour = 2;
  std::int64_t mailing_list_burst_sessions = 30;
  double bot_bad_helo_sessions_per_hour = 60;
  double bot_direct_mx_bursts_per_hour = 3;
  std::int64_t bot_direct_mx_burst_sessions = 40;
  double bot_slow_sessions_per_hour = 3;
  double blocklisted_bot_fraction = 0.7;
  std::int64_t mx_servers = 300;
};

struct Impairments {
  double retransmit_rate = 0;     // lost after the capture point: seen, then retransmitted one RTO later
  double reorder_rate = 0;        // a segment is seen 3 ms late, after its successor
  double loss_rate = 0;           // lost before the capture point: seen only as the retransmission, later
  double capture_drop_rate = 0;   // the capture itself misses the segment: a gap for good
  // In the first three the receiver answers only once the segment has arrived.
};

struct Scenario {
  std::string file;               // where it was loaded from, for messages
  std::string name = "scenario";
  std::uint64_t seed = 1;         // used when --seed is not given
  Micros start = 0;
  std::int64_t duration_seconds = 300;
  std::int64_t snaplen = 65535;
  std::array<std::int64_t, kKindCount> counts{};
  double ipv6_fraction = 0.2;
  double business_sloppy_helo_fraction = 0.2;
  double business_exempt_fraction = 0.1;
  std::int64_t snowshoe_group_size = 10;
  std::array<double, kEncapsulationCount> encapsulation_weights{1, 0, 0, 0, 0};
  Background background;
  MailRates mail;
  Impairments impairments;

  std::int64_t subscriber_count() const;
};

// Reads [scenario] and its sub-tables; throws ConfigError (file:line: key: message).
Scenario load_scenario(const ConfigFile& file);

}  // namespace botwarden::linksim
