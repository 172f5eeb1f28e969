// Detector configuration: defaults, the documented file, errors word for word.
#include <doctest/doctest.h>

#include "sensor/config/sensor_config.hpp"

using namespace botwarden;

namespace {

const std::string kBase =
    "[sensor]\nsubscriber_prefixes = [\"100.64.0.0/10\"]\nsmtp_relays = []\n";

DetectConfig load(const std::string& extra) {
  return load_sensor_config(ConfigFile::parse(kBase + extra, "test.toml")).detect;
}

std::string error_of(const std::string& extra) {
  try {
    load(extra);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("configs/botwarden.toml documents exactly the defaults") {
  const auto file = ConfigFile::load(BOTWARDEN_SOURCE_DIR "/configs/botwarden.toml");
  const auto c = load_sensor_config(file).detect;
  const DetectConfig d;
  CHECK(c.ipv6_subscriber_prefix == d.ipv6_subscriber_prefix);
  CHECK(c.exempt_prefixes.empty());
  CHECK(c.max_tracked_subscribers == d.max_tracked_subscribers);
  CHECK(c.bad_helo.classes == d.bad_helo.classes);
  CHECK(c.bad_helo.weights == d.bad_helo.weights);
  CHECK(c.bad_helo.providers == d.bad_helo.providers);
  CHECK(c.bad_helo.extra_suffixes == d.bad_helo.extra_suffixes);
  CHECK(c.bad_helo.good_helo_weight == d.bad_helo.good_helo_weight);
  CHECK(c.bad_helo.repeat_decay == d.bad_helo.repeat_decay);
  CHECK(c.bad_helo.many_helos == d.bad_helo.many_helos);
  CHECK(c.bad_helo.window_seconds == d.bad_helo.window_seconds);
  const auto& m = c.direct_to_mx;
  const auto& dm = d.direct_to_mx;
  CHECK(m.window_seconds == dm.window_seconds);
  CHECK(m.min_destinations == dm.min_destinations);
  CHECK(m.burst_window_seconds == dm.burst_window_seconds);
  CHECK(m.burst_destinations == dm.burst_destinations);
  CHECK(m.novel_destination_weight == dm.novel_destination_weight);
  CHECK(m.blocklist_rejection_weight == dm.blocklist_rejection_weight);
  CHECK(m.max_blocklist_servers == dm.max_blocklist_servers);
  CHECK(m.aligned_sender_weight == dm.aligned_sender_weight);
  CHECK(m.rejection_weight == dm.rejection_weight);
  CHECK(m.rcpt_rejected_weight == dm.rcpt_rejected_weight);
  CHECK(m.tempfail_weight == dm.tempfail_weight);
  CHECK(m.accepted_weight == dm.accepted_weight);
  CHECK(m.tls_weight == dm.tls_weight);
  CHECK(m.min_sender_domains == dm.min_sender_domains);
  CHECK(m.varied_sender_weight == dm.varied_sender_weight);
  CHECK(m.blocklist_patterns == dm.blocklist_patterns);
  CHECK(c.snowshoe.enabled == d.snowshoe.enabled);
  CHECK(c.snowshoe.min_cluster_size == d.snowshoe.min_cluster_size);
  CHECK(c.snowshoe.window_seconds == d.snowshoe.window_seconds);
  CHECK(c.snowshoe.max_fingerprints == d.snowshoe.max_fingerprints);
  CHECK(c.decision.alpha == d.decision.alpha);
  CHECK(c.decision.beta == d.decision.beta);
  CHECK(c.decision.max_session_llr == d.decision.max_session_llr);
  CHECK(c.decision.decay_half_life_seconds == d.decision.decay_half_life_seconds);
  CHECK(c.decision.event_window_seconds == d.decision.event_window_seconds);
  CHECK(c.decision.reissue_factor == d.decision.reissue_factor);
}

TEST_CASE("detector keys are read from [sensor] and its sub-tables") {
  const auto c = load(
      "ipv6_subscriber_prefix = 56\nexempt_prefixes = [\"100.64.9.0/24\"]\n"
      "[sensor.bad_helo]\nproviders = [\"Example.COM\"]\nclasses = [\"bare_ip\"]\n"
      "[sensor.bad_helo.weights]\nbare_ip = 5\n"
      "[sensor.snowshoe]\nmin_cluster_size = 7\n[sensor.decision]\nalpha = 0.0001\n");
  CHECK(c.ipv6_subscriber_prefix == 56);
  CHECK(c.exempt_prefixes.at(0).to_string() == "100.64.9.0/24");
  CHECK(c.bad_helo.providers == std::vector<std::string>{"example.com"});
  CHECK(c.bad_helo.classes == std::vector<std::string>{"bare_ip"});
  CHECK(c.bad_helo.weights[1] == 5.0);
  CHECK(c.snowshoe.min_cluster_size == 7);
  CHECK(c.decision.alpha == 0.0001);
}

TEST_CASE("detector configuration errors name file, line and key") {
  CHECK(error_of("[sensor.bad_helo]\ncolour = 1\n") == "test.toml:5: sensor.bad_helo.colour: unknown key");
  CHECK(error_of("[sensor.bad_helo]\nclasses = [\"spammy\"]\n") ==
        "test.toml:5: sensor.bad_helo.classes: unknown class 'spammy' (expected one of ip_literal_not_own, "
        "bare_ip, localhost, not_fqdn, invalid_syntax, claims_provider, claims_recipient_domain, "
        "claims_server_name, random_name, many_helos)");
  CHECK(error_of("[sensor.bad_helo.weights]\nbare_ip = 30\n") ==
        "test.toml:5: sensor.bad_helo.weights.bare_ip: 30 is out of range 0..20");
  CHECK(error_of("[sensor.bad_helo]\nproviders = [\"gmail com\"]\n") ==
        "test.toml:5: sensor.bad_helo.providers: 'gmail com' is not a domain name (letters, digits, '.', '-')");
  CHECK(error_of("[sensor.decision]\nalpha = 0.9\n") == "test.toml:5: sensor.decision.alpha: 0.9 is out of range 1e-09..0.5");
  CHECK(error_of("[sensor.direct_to_mx]\nblocklist_patterns = [\"\"]\n") ==
        "test.toml:5: sensor.direct_to_mx.blocklist_patterns: an empty pattern would match every reply");
  CHECK(error_of("exempt_prefixes = [\"10.0.0.1/8\"]\n").find("test.toml:4: sensor.exempt_prefixes:") == 0);
}
