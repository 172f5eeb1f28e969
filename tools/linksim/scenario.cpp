// Scenario keys, their defaults and their ranges: the one table that
// docs/LINKSIM.md documents.
#include "tools/linksim/scenario.hpp"

#include <numeric>

namespace botwarden::linksim {

const char* to_string(Kind k) {
  switch (k) {
    case Kind::web_only: return "web_only";
    case Kind::mail_client: return "mail_client";
    case Kind::relay_user: return "relay_user";
    case Kind::business_mta: return "business_mta";
    case Kind::home_server: return "home_server";
    case Kind::mailing_list: return "mailing_list";
    case Kind::bot_bad_helo: return "bot_bad_helo";
    case Kind::bot_direct_mx: return "bot_direct_mx";
    case Kind::bot_slow: return "bot_slow";
    case Kind::bot_snowshoe: return "bot_snowshoe";
    case Kind::count_: break;
  }
  return "?";
}

const char* to_string(Encapsulation e) {
  switch (e) {
    case Encapsulation::ethernet: return "ethernet";
    case Encapsulation::vlan: return "vlan";
    case Encapsulation::qinq: return "qinq";
    case Encapsulation::mpls: return "mpls";
    case Encapsulation::pppoe: return "pppoe";
    case Encapsulation::count_: break;
  }
  return "?";
}

std::int64_t Scenario::subscriber_count() const {
  return std::accumulate(counts.begin(), counts.end(), std::int64_t{0});
}

Scenario load_scenario(const ConfigFile& file) {
  Scenario s;
  s.file = file.path();
  auto root = file.section("scenario");
  s.name = root.get_string("name", s.name);
  s.seed = static_cast<std::uint64_t>(root.get_int("seed", 1, 0, INT64_MAX));
  const auto start_text = root.get_string("start", "2026-11-25T12:00:00Z");
  const auto start = parse_rfc3339(start_text);
  if (!start) root.fail("start", "'" + start_text + "' is not an RFC 3339 time");
  s.start = *start;
  // pcap record timestamps are 32-bit seconds.
  if (s.start < 0 || s.start >= parse_rfc3339("2100-01-01T00:00:00Z").value()) {
    root.fail("start", "'" + start_text + "' is outside 1970-01-01..2100-01-01");
  }
  s.duration_seconds = root.get_int("duration_seconds", s.duration_seconds, 1, 86'400);
  s.snaplen = root.get_int("snaplen", s.snaplen, 64, 262'144);

  auto subs = root.subsection("subscribers");
  for (std::size_t k = 0; k < kKindCount; ++k) {
    s.counts[k] = subs.get_int(to_string(static_cast<Kind>(k)), 0, 0, 1'000'000);
  }
  s.ipv6_fraction = subs.get_double("ipv6_fraction", s.ipv6_fraction, 0, 1);
  s.business_sloppy_helo_fraction =
      subs.get_double("business_sloppy_helo_fraction", s.business_sloppy_helo_fraction, 0, 1);
  s.business_exempt_fraction = subs.get_double("business_exempt_fraction", s.business_exempt_fraction, 0, 1);
  s.snowshoe_group_size = subs.get_int("snowshoe_group_size", s.snowshoe_group_size, 2, 1000);
  subs.finish();
  if (s.subscriber_count() == 0) {
    subs.fail("web_only", "the scenario has no subscribers (set at least one count in [scenario.subscribers])");
  }
  if (s.subscriber_count() > 4'000'000) {
    subs.fail("web_only", "at most 4000000 subscribers fit the 100.64.0.0/10 plan");
  }

  auto enc = root.subsection("encapsulation");
  double total = 0;
  for (std::size_t e = 0; e < kEncapsulationCount; ++e) {
    s.encapsulation_weights[e] = enc.get_double(to_string(static_cast<Encapsulation>(e)),
                                                e == 0 ? 1.0 : 0.0, 0, 1e6);
    total += s.encapsulation_weights[e];
  }
  enc.finish();
  if (total <= 0) enc.fail("ethernet", "all encapsulation weights are 0");

  auto bg = root.subsection("background");
  auto& b = s.background;
  b.flows_per_subscriber_per_minute =
      bg.get_double("flows_per_subscriber_per_minute", b.flows_per_subscriber_per_minute, 0, 10'000);
  b.min_flow_bytes = bg.get_int("min_flow_bytes", b.min_flow_bytes, 1, 1'000'000'000);
  b.max_flow_bytes = bg.get_int("max_flow_bytes", b.max_flow_bytes, 1, 1'000'000'000);
  if (b.max_flow_bytes < b.min_flow_bytes) bg.fail("max_flow_bytes", "must be at least min_flow_bytes");
  b.https = bg.get_double("https", b.https, 0, 1e6);
  b.http = bg.get_double("http", b.http, 0, 1e6);
  b.dns = bg.get_double("dns", b.dns, 0, 1e6);
  b.quic = bg.get_double("quic", b.quic, 0, 1e6);
  b.downlink_mbit = bg.get_double("downlink_mbit", b.downlink_mbit, 0.1, 100'000);
  bg.finish();
  if (b.flows_per_subscriber_per_minute > 0 && b.https + b.http + b.dns + b.quic <= 0) {
    bg.fail("https", "all flow type weights are 0");
  }

  auto mail = root.subsection("mail");
  auto& m = s.mail;
  m.mail_client_sessions_per_hour = mail.get_double("mail_client_sessions_per_hour", m.mail_client_sessions_per_hour, 0, 1e5);
  m.relay_user_sessions_per_hour = mail.get_double("relay_user_sessions_per_hour", m.relay_user_sessions_per_hour, 0, 1e5);
  m.business_mta_sessions_per_hour = mail.get_double("business_mta_sessions_per_hour", m.business_mta_sessions_per_hour, 0, 1e5);
  m.home_server_sessions_per_hour = mail.get_double("home_server_sessions_per_hour", m.home_server_sessions_per_hour, 0, 1e5);
  m.mailing_list_bursts_per_hour = mail.get_double("mailing_list_bursts_per_hour", m.mailing_list_bursts_per_hour, 0, 1e4);
  m.mailing_list_burst_sessions = mail.get_int("mailing_list_burst_sessions", m.mailing_list_burst_sessions, 1, 10'000);
  m.bot_bad_helo_sessions_per_hour = mail.get_double("bot_bad_helo_sessions_per_hour", m.bot_bad_helo_sessions_per_hour, 0, 1e5);
  m.bot_direct_mx_bursts_per_hour = mail.get_double("bot_direct_mx_bursts_per_hour", m.bot_direct_mx_bursts_per_hour, 0, 1e4);
  m.bot_direct_mx_burst_sessions = mail.get_int("bot_direct_mx_burst_sessions", m.bot_direct_mx_burst_sessions, 1, 10'000);
  m.bot_slow_sessions_per_hour = mail.get_double("bot_slow_sessions_per_hour", m.bot_slow_sessions_per_hour, 0, 1e4);
  m.blocklisted_bot_fraction = mail.get_double("blocklisted_bot_fraction", m.blocklisted_bot_fraction, 0, 1);
  m.mx_servers = mail.get_int("mx_servers", m.mx_servers, 10, 50'000);
  mail.finish();

  auto imp = root.subsection("impairments");
  auto& i = s.impairments;
  i.retransmit_rate = imp.get_double("retransmit_rate", 0, 0, 0.5);
  i.reorder_rate = imp.get_double("reorder_rate", 0, 0, 0.5);
  i.loss_rate = imp.get_double("loss_rate", 0, 0, 0.5);
  i.capture_drop_rate = imp.get_double("capture_drop_rate", 0, 0, 0.5);
  imp.finish();

  root.finish();
  return s;
}

}  // namespace botwarden::linksim
