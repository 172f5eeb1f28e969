// Validation of the detector keys; documented in configs/botwarden.toml.
#include "detect_config.hpp"

#include <algorithm>

namespace botwarden {
namespace {

void check_domains(ConfigSection& s, std::string_view key, std::vector<std::string>& names) {
  for (auto& n : names) {
    std::transform(n.begin(), n.end(), n.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    if (n.empty() || n.size() > 253 ||
        n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos) {
      s.fail(key, "'" + n + "' is not a domain name (letters, digits, '.', '-')");
    }
  }
}

BadHeloConfig load_bad_helo(ConfigSection s) {
  BadHeloConfig c;
  c.classes = s.get_strings("classes", c.classes);
  for (const auto& name : c.classes) {
    if (std::find_if(kHeloClassNames.begin(), kHeloClassNames.end(),
                     [&](const char* k) { return name == k; }) == kHeloClassNames.end()) {
      std::string list;
      for (const char* k : kHeloClassNames) list += std::string(list.empty() ? "" : ", ") + k;
      s.fail("classes", "unknown class '" + name + "' (expected one of " + list + ")");
    }
  }
  auto w = s.subsection("weights");
  for (std::size_t i = 0; i < kHeloClassNames.size(); ++i) {
    c.weights[i] = w.get_double(kHeloClassNames[i], c.weights[i], 0.0, 20.0);
  }
  w.finish();
  c.good_helo_weight = s.get_double("good_helo_weight", c.good_helo_weight, -20.0, 0.0);
  c.repeat_decay = s.get_double("repeat_decay", c.repeat_decay, 0.0, 1.0);
  c.providers = s.get_strings("providers", c.providers);
  check_domains(s, "providers", c.providers);
  c.extra_suffixes = s.get_strings("extra_suffixes", c.extra_suffixes);
  check_domains(s, "extra_suffixes", c.extra_suffixes);
  c.many_helos = static_cast<unsigned>(s.get_int("many_helos", c.many_helos, 2, 1000));
  c.window_seconds = static_cast<unsigned>(s.get_int("window_seconds", c.window_seconds, 60, 7 * 86400));
  s.finish();
  return c;
}

DirectToMxConfig load_direct_to_mx(ConfigSection s) {
  DirectToMxConfig c;
  c.window_seconds = static_cast<unsigned>(s.get_int("window_seconds", c.window_seconds, 60, 7 * 86400));
  c.min_destinations = static_cast<unsigned>(s.get_int("min_destinations", c.min_destinations, 1, 100000));
  c.burst_window_seconds =
      static_cast<unsigned>(s.get_int("burst_window_seconds", c.burst_window_seconds, 1, 86400));
  c.burst_destinations =
      static_cast<unsigned>(s.get_int("burst_destinations", c.burst_destinations, 1, 100000));
  c.novel_destination_weight = s.get_double("novel_destination_weight", c.novel_destination_weight, 0.0, 20.0);
  c.blocklist_rejection_weight =
      s.get_double("blocklist_rejection_weight", c.blocklist_rejection_weight, 0.0, 20.0);
  c.max_blocklist_servers =
      static_cast<unsigned>(s.get_int("max_blocklist_servers", c.max_blocklist_servers, 0, 100000));
  c.rejection_weight = s.get_double("rejection_weight", c.rejection_weight, 0.0, 20.0);
  c.rcpt_rejected_weight = s.get_double("rcpt_rejected_weight", c.rcpt_rejected_weight, 0.0, 20.0);
  c.tempfail_weight = s.get_double("tempfail_weight", c.tempfail_weight, 0.0, 20.0);
  c.accepted_weight = s.get_double("accepted_weight", c.accepted_weight, -20.0, 0.0);
  c.tls_weight = s.get_double("tls_weight", c.tls_weight, -20.0, 0.0);
  c.min_sender_domains =
      static_cast<unsigned>(s.get_int("min_sender_domains", c.min_sender_domains, 1, 100000));
  c.varied_sender_weight = s.get_double("varied_sender_weight", c.varied_sender_weight, 0.0, 20.0);
  c.aligned_sender_weight = s.get_double("aligned_sender_weight", c.aligned_sender_weight, -20.0, 0.0);
  c.generic_name_weight = s.get_double("generic_name_weight", c.generic_name_weight, 0.0, 20.0);
  c.impossible_helo_weight = s.get_double("impossible_helo_weight", c.impossible_helo_weight, 0.0, 20.0);
  c.forged_helo_weight = s.get_double("forged_helo_weight", c.forged_helo_weight, 0.0, 20.0);
  c.blocklist_patterns = s.get_strings("blocklist_patterns", c.blocklist_patterns);
  for (auto& p : c.blocklist_patterns) {
    if (p.empty()) s.fail("blocklist_patterns", "an empty pattern would match every reply");
    std::transform(p.begin(), p.end(), p.begin(),
                   [](unsigned char ch) { return static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch); });
  }
  s.finish();
  return c;
}

SnowshoeConfig load_snowshoe(ConfigSection s) {
  SnowshoeConfig c;
  c.enabled = s.get_bool("enabled", c.enabled);
  c.min_cluster_size = static_cast<unsigned>(s.get_int("min_cluster_size", c.min_cluster_size, 2, 100000));
  c.window_seconds = static_cast<unsigned>(s.get_int("window_seconds", c.window_seconds, 60, 7 * 86400));
  c.max_fingerprints =
      static_cast<unsigned>(s.get_int("max_fingerprints", c.max_fingerprints, 100, 100'000'000));
  s.finish();
  return c;
}

DecisionConfig load_decision(ConfigSection s) {
  DecisionConfig c;
  c.alpha = s.get_double("alpha", c.alpha, 1e-9, 0.5);
  c.beta = s.get_double("beta", c.beta, 1e-9, 0.5);
  c.max_session_llr = s.get_double("max_session_llr", c.max_session_llr, 0.1, 100.0);
  c.max_corroborated_llr = s.get_double("max_corroborated_llr", c.max_corroborated_llr, 0.1, 100.0);
  c.decay_half_life_seconds = static_cast<unsigned>(
      s.get_int("decay_half_life_seconds", c.decay_half_life_seconds, 60, 365 * 86400));
  c.event_window_seconds = static_cast<unsigned>(
      s.get_int("event_window_seconds", c.event_window_seconds, 60, 365 * 86400));
  c.reissue_factor = s.get_double("reissue_factor", c.reissue_factor, 1.0, 1000.0);
  s.finish();
  return c;
}

}  // namespace

DetectConfig load_detect_config(ConfigSection& s) {
  DetectConfig c;
  c.ipv6_subscriber_prefix = static_cast<unsigned>(s.get_int("ipv6_subscriber_prefix", 64, 32, 128));
  c.exempt_prefixes = s.get_prefixes("exempt_prefixes", {});
  c.max_tracked_subscribers = static_cast<unsigned>(
      s.get_int("max_tracked_subscribers", c.max_tracked_subscribers, 16, 100'000'000));
  c.bad_helo = load_bad_helo(s.subsection("bad_helo"));
  c.direct_to_mx = load_direct_to_mx(s.subsection("direct_to_mx"));
  c.snowshoe = load_snowshoe(s.subsection("snowshoe"));
  c.decision = load_decision(s.subsection("decision"));
  return c;
}

}  // namespace botwarden
