// The detector engine; the model is described in docs/DETECTION.md.
#include "engine.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <vector>

namespace botwarden::detect {
namespace {

std::size_t index(events::Detector d) { return static_cast<std::size_t>(d); }

Micros seconds(unsigned s) { return static_cast<Micros>(s) * kMicrosPerSecond; }

// HELO evidence worth one strong class observation (a random name, a bad literal).
constexpr double kHeloShareToName = 2.0;
// The least a kind of evidence must weigh to count as independent corroboration.
constexpr double kStrongKind = 2.0;

// Whether a HELO spells the client's own address the way ISPs' generic
// reverse-DNS names do: the four IPv4 octets in order or reversed
// ("dyn-198-51-100-7.isp.net", "7.100.51.198.dsl.isp.net"), or the first
// four groups of the IPv6 /64 ("2001-db8-1-2"), separated by '-', '.' or '_'.
// A name saying "static" is an address assigned on purpose, not matched.
bool spells_own_address(std::string_view helo, const IpAddress& client) {
  if (helo.empty() || helo.front() == '[') return false;
  std::string name;
  name.reserve(helo.size() + 2);
  name.push_back('-');
  for (const char c : helo) name.push_back(c == '.' || c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  name.push_back('-');
  if (name.find("static") != std::string::npos) return false;
  std::vector<std::string> parts;
  if (client.is_v4()) {
    for (std::size_t i = 0; i < 4; ++i) parts.push_back(std::to_string(client.bytes[i]));
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t g = 0; g < 4; ++g) {
      const unsigned v = (static_cast<unsigned>(client.bytes[2 * g]) << 8) | client.bytes[2 * g + 1];
      std::string h;
      for (int shift = 12; shift >= 0; shift -= 4) {
        const unsigned nibble = (v >> static_cast<unsigned>(shift)) & 0xfu;
        if (!h.empty() || nibble != 0 || shift == 0) h.push_back(kHex[nibble]);
      }
      parts.push_back(h);
    }
  }
  const auto joined = [&](bool reversed) {
    std::string out = "-";
    for (std::size_t i = 0; i < parts.size(); ++i) out += parts[reversed ? parts.size() - 1 - i : i] + "-";
    return out;
  };
  return name.find(joined(false)) != std::string::npos || (client.is_v4() && name.find(joined(true)) != std::string::npos);
}

}  // namespace

Engine::Engine(std::string sensor_name, const DetectConfig& config, events::EventSink& sink)
    : sensor_(std::move(sensor_name)),
      config_(config),
      sink_(sink),
      classifier_(config.bad_helo),
      snowshoe_(config.snowshoe),
      exempt_(config.exempt_prefixes),
      table_(config.max_tracked_subscribers),
      heap_budget_(std::max(std::size_t{config.max_tracked_subscribers} * kStateHeapBytesPerSubscriber,
                            kMinStateHeapBytes)),
      upper_(std::log((1.0 - config.decision.beta) / config.decision.alpha)),
      lower_(std::log(config.decision.beta / (1.0 - config.decision.alpha))) {
  limits_.helo_window = seconds(config.bad_helo.window_seconds);
  limits_.destination_window = seconds(config.direct_to_mx.window_seconds);
  limits_.burst_window = seconds(config.direct_to_mx.burst_window_seconds);
}

const EngineStats& Engine::stats() const {
  stats_.evictions = table_.evictions();
  stats_.tracked_subscribers = table_.size();
  stats_.state_heap_bytes = table_.heap_bytes();
  return stats_;
}

bool Engine::is_blocklist_refusal(const smtp::SessionRecord& r) const {
  const bool refused = r.rejected || r.replies_5xx > 0 || r.last_reply_code >= 500;
  if (!refused) return false;
  // The first refusal holds the reason; the last reply is often "221 Bye".
  std::string text = lower(r.reject_reply) + "\n" + lower(r.last_reply);
  for (const auto& pattern : config_.direct_to_mx.blocklist_patterns) {
    if (text.find(pattern) != std::string::npos) return true;
  }
  // A refusal naming the client's own address is about the address, not the
  // message (cf. Zeek policy/protocols/smtp/blocklists.zeek).
  return text.find(r.orig_h.to_string()) != std::string::npos;
}

Engine::SessionEvidence Engine::weigh(const smtp::SessionRecord& r, const behaviour::Novelty& novelty,
                                      HeloClasses classes, bool blocklisted, const std::string& sender,
                                      const behaviour::SubscriberBehaviour& window) const {
  const auto& bh = config_.bad_helo;
  const auto& dm = config_.direct_to_mx;
  SessionEvidence e;
  e.classes = classes;
  e.blocklisted = blocklisted;
  const bool has_helo = !r.helo.empty() || r.helo_count > 0;

  // HELO: the strongest class counts fully, further classes a quarter; a
  // configured name repeated is one fact, so repeats weigh repeat_decay^n.
  double strongest = 0;
  double sum = 0;
  bool any = false;
  for (std::size_t c = 0; c < kHeloClassCount; ++c) {
    const auto cls = static_cast<HeloClass>(c);
    if (cls == HeloClass::many_helos || !classes.has(cls)) continue;
    if (std::find(bh.classes.begin(), bh.classes.end(), to_string(cls)) == bh.classes.end()) continue;
    any = true;
    strongest = std::max(strongest, bh.weights[c]);
    sum += bh.weights[c];
  }
  const double repeat = std::pow(bh.repeat_decay, static_cast<double>(novelty.helo_repeats));
  double helo = any ? (strongest + 0.25 * (sum - strongest)) * repeat : 0.0;
  const bool many = classes.has(HeloClass::many_helos) &&
                    std::find(bh.classes.begin(), bh.classes.end(), "many_helos") != bh.classes.end();
  if (many) helo += bh.weights[static_cast<std::size_t>(HeloClass::many_helos)];
  // A plausible name is (weak) evidence of a configured server, unless the
  // subscriber already uses many names on the direct path.
  if (!any && !many && has_helo && novelty.direct && window.distinct_direct_helos() < bh.many_helos) {
    helo = bh.good_helo_weight * repeat;
  }
  // A generic address name on the direct path: a host that never got a name.
  const bool generic_name = novelty.direct && !any && spells_own_address(r.helo, r.orig_h);
  if (generic_name) helo = dm.generic_name_weight * repeat;
  e.bad_helo = helo;
  // Independent kinds of strong evidence in this message (docs/DETECTION.md).
  // Every message is an observation (SPOT): a repeated name weighs less, but
  // it is as strong a kind of evidence as the first time.
  const double strength = repeat > 0 ? helo / repeat : helo;
  unsigned kinds = strength >= kStrongKind ? 1u : 0u;
  // Names no configured server sends: localhost, a foreign or bare literal, a
  // generic address name, a machine-made single label (an operating system's
  // default computer name such as WIN-3J9K2L1PQ0A: nobody named the host), a
  // big provider's name or the receiving server's own name (forged identity).
  const bool default_name = classes.has(HeloClass::not_fqdn) && classes.has(HeloClass::random_name);
  const bool impossible = generic_name || default_name || classes.has(HeloClass::localhost) ||
                          classes.has(HeloClass::ip_literal_not_own) || classes.has(HeloClass::bare_ip) ||
                          classes.has(HeloClass::claims_provider) || classes.has(HeloClass::claims_server_name);

  // Direct-to-MX behaviour: only sessions to servers other than the relay.
  if (novelty.direct) {
    const bool refused = r.rejected || r.replies_5xx > 0;
    const std::string refusal = lower(r.reject_reply);
    const bool about_helo = refusal.find("helo") != std::string::npos || refusal.find("ehlo") != std::string::npos;
    double x = 0;
    if (novelty.new_destination && novelty.recent_new_destinations > dm.burst_destinations) {
      x += dm.novel_destination_weight;
    }
    if (impossible && r.resp_p == 25 && strength >= kStrongKind) {
      // A forged identity (RFC 5321 §4.1.1.1: the client's own name or
      // address) is more than an unconfigured host: the receiver's own FQDN,
      // or a public address that is not the client's. A NATed device's
      // private literal or the client's own bare address stays sloppy.
      const bool forged =
          (classes.has(HeloClass::claims_server_name) && !classes.has(HeloClass::not_fqdn)) ||
          names_foreign_public_address(r.helo, r.orig_h, config_.ipv6_subscriber_prefix);
      x += (forged ? std::max(dm.forged_helo_weight, dm.impossible_helo_weight) : dm.impossible_helo_weight) * repeat;
      ++kinds;
    }
    if (blocklisted) {
      if (novelty.first_blocklist_at_destination && novelty.blocklisting_servers <= dm.max_blocklist_servers) {
        x += dm.blocklist_rejection_weight;
        ++kinds;
      }
    } else if (refused && r.rcpt_rejected == 0 && !about_helo) {
      x += dm.rejection_weight;  // a refusal of the HELO itself repeats the HELO's class
    }
    // A blocklist refusal at RCPT is one refusal, counted above.
    if (r.rcpt_rejected > 0 && !blocklisted) x += dm.rcpt_rejected_weight;
    if (r.replies_4xx > 0 && !r.data_accepted) x += dm.tempfail_weight;
    if (r.data_accepted) x += dm.accepted_weight;
    // STARTTLS speaks for a configured MTA only alongside a name that could be
    // one (at worst sloppy, like mail.local): bots' mail libraries negotiate
    // TLS too, and the rest is opaque.
    if (r.tls && strength < kStrongKind) x += dm.tls_weight;
    if (!sender.empty() && !r.helo.empty() && classifier_.registrable_domain(r.helo) == sender) {
      x += dm.aligned_sender_weight * repeat;
    }
    if (novelty.new_sender_domain && novelty.new_destination && window.distinct_sender_domains() >= dm.min_sender_domains) {
      x += dm.varied_sender_weight;
      ++kinds;
    }
    e.direct_to_mx = x;
  }
  e.kinds = kinds;
  return e;
}

void Engine::update_test(SubscriberState& s, const SessionEvidence& e, Micros at) {
  auto& t = s.test;
  if (t.updated > 0 && at > t.updated) {
    const double elapsed = static_cast<double>(at - t.updated) / kMicrosPerSecond;
    const double factor = std::exp2(-elapsed / config_.decision.decay_half_life_seconds);
    t.llr *= factor;
    t.helo_share *= factor;
    t.mx_share *= factor;
  }
  t.updated = std::max(t.updated, at);
  const double before = t.llr;
  // One kind of evidence is capped below the flag threshold (one odd session
  // never flags); two independent strong kinds may flag at once.
  const double cap = e.kinds >= 2 ? std::max(config_.decision.max_corroborated_llr, config_.decision.max_session_llr)
                                  : config_.decision.max_session_llr;
  t.llr += std::min(e.bad_helo + e.direct_to_mx, cap);
  t.helo_share += std::max(0.0, e.bad_helo);
  t.mx_share += std::max(0.0, e.direct_to_mx);
  if (t.llr <= lower_) {
    // Declared normal. Λ stays at the lower boundary rather than restarting
    // at 0: a host with a record of good sessions needs more evidence to
    // flag than one never seen.
    if (before > lower_) ++stats_.normal_resets;
    t = SequentialTest{lower_, 0, 0, t.updated};
  }
  t.llr = std::min(t.llr, 2 * upper_);  // so evidence fades within hours once a bot stops
}

events::DetectionEvent Engine::make_event(const behaviour::SubscriberKey& key, SubscriberState& s,
                                          events::Detector d, Micros at, Micros window_start,
                                          unsigned report_number) const {
  const auto& b = s.behaviour;
  const Suspicion& suspicion = s.suspect();
  events::DetectionEvent e;
  e.subscriber = key.to_string();
  e.id = events::make_event_id(sensor_, e.subscriber, d, window_start, b.first_seen, report_number);
  e.ts = at;
  e.sensor = sensor_;
  e.address = b.last_address.to_string();
  e.detector = d;
  e.first_seen = b.first_seen;
  e.last_seen = std::max(b.last_seen, at);
  e.exempt = exempt_.contains(b.last_address);
  auto& ev = e.evidence;
  ev.sessions = b.sessions;
  ev.transactions = b.transactions;
  ev.distinct_destinations = b.distinct_destinations();
  ev.rejections_5xx = b.rejections_5xx;
  ev.rcpt_count = b.rcpt_count;
  for (std::size_t c = 0; c < kHeloClassCount; ++c) {
    const auto n = suspicion.helo_class_sessions[c];
    if (n > 0) ev.helo_classes[to_string(static_cast<HeloClass>(c))] = n;
  }
  ev.distinct_helos = b.distinct_helos();
  // Truncated to the schema's lengths when they were stored.
  ev.sample_helos = b.sample_helos();
  ev.sample_destinations = b.sample_destinations();
  ev.sample_mailfrom_domains = b.sample_mailfrom_domains();
  e.score = s.test.llr;
  switch (d) {
    case events::Detector::bad_helo:
      ev.window_seconds = config_.bad_helo.window_seconds;
      break;
    case events::Detector::direct_to_mx:
      ev.window_seconds = config_.direct_to_mx.window_seconds;
      break;
    case events::Detector::snowshoe:
      ev.window_seconds = config_.snowshoe.window_seconds;
      // The cluster is taken as sufficient evidence by itself: the flag
      // threshold, plus whatever the subscriber's own test holds.
      e.score = upper_ + std::max(0.0, s.test.llr);
      ev.cluster_id = suspicion.cluster_id;
      ev.cluster_size = suspicion.cluster_size;
      break;
  }
  return e;
}

void Engine::maybe_report(const behaviour::SubscriberKey& key, SubscriberState& s, events::Detector d,
                          Micros at) {
  auto& t = s.suspect().reports[index(d)];
  const Micros width = seconds(config_.decision.event_window_seconds);
  const Micros window_start = (at >= 0 ? at / width : (at - width + 1) / width) * width;
  if (t.window_start != window_start) {
    t.window_start = window_start;
    t.reports = 0;
  }
  const auto sessions = s.behaviour.sessions;
  if (t.reports > 0 &&
      static_cast<double>(sessions) < config_.decision.reissue_factor * static_cast<double>(t.sessions_at_report)) {
    return;
  }
  sink_.emit(make_event(key, s, d, at, window_start, t.reports));
  ++t.reports;
  t.sessions_at_report = sessions;
  ++stats_.events;
}

std::string Engine::sender_domain(const smtp::SessionRecord& r) const {
  const auto at_sign = r.mailfrom.rfind('@');
  if (at_sign == std::string::npos) return {};  // null sender (bounces) and bare local parts
  const std::string domain = lower(std::string_view(r.mailfrom).substr(at_sign + 1));
  std::string registrable = classifier_.registrable_domain(domain);
  return registrable.empty() ? domain : registrable;
}

namespace {
// A port-25 delivery refused for a blocklist listing before any transaction
// (at the banner, RFC 5321 §3.1 554, or at HELO): no sender to fingerprint.
bool refused_before_transaction(const smtp::SessionRecord& r, bool blocklisted) {
  return blocklisted && r.path == smtp::Path::direct && r.resp_p == 25 && r.trans_depth == 0 && r.mailfrom.empty();
}
}  // namespace

void Engine::announce(const ClusterView& view, Micros at) {
  const auto flag = [&](const std::string& member) {
    const auto member_key = behaviour::SubscriberKey::parse(member);
    auto* state = member_key ? table_.find(*member_key) : nullptr;
    if (!state) return;  // evicted meanwhile
    const std::size_t heap_before = state->heap_bytes();
    auto& suspicion = state->suspect();
    suspicion.cluster_id = view.cluster_id;
    suspicion.cluster_size = view.size;
    maybe_report(*member_key, *state, events::Detector::snowshoe, at);
    table_.adjust_heap(heap_before, state->heap_bytes());
  };
  for (const auto& member : view.newly_flagged) flag(member);
  for (const auto& member : view.joined) flag(member);
}

void Engine::correlate(const behaviour::SubscriberKey& key, const smtp::SessionRecord& r, bool blocklisted,
                       const std::string& sender, Micros at) {
  if (!config_.snowshoe.enabled || r.path != smtp::Path::direct) return;
  // A subscriber that never got past the banner joins a cluster by a target
  // server only with at least two sessions, every one refused for a listing
  // before a transaction (one refused session never flags), and with its own
  // evidence leaning bot (Λ > 0). Judged when it would join.
  const MayJoin may_join = [this](const std::string& subscriber) {
    const auto member_key = behaviour::SubscriberKey::parse(subscriber);
    const auto* state = member_key ? table_.find(*member_key) : nullptr;
    if (!state || !state->suspicion || state->test.llr <= 0) return false;
    const auto refused = state->suspicion->refused_before_transaction;
    return refused >= 2 && refused == state->behaviour.sessions;
  };
  // Refused for a blocklist listing before any transaction (at the banner,
  // RFC 5321 §3.1 554, or at HELO): no fingerprint, but the server it tried
  // may be a campaign's target.
  if (refused_before_transaction(r, blocklisted)) {
    for (const auto& view : snowshoe_.observe_refusal({key.to_string(), at, r.resp_h}, may_join)) announce(view, at);
    return;
  }
  std::string fingerprint;
  if (r.trans_depth > 0) {
    // A host naming itself in its sender's domain is its own fingerprint
    // (branch offices of one company share a domain, not a campaign).
    if (!sender.empty() && (r.helo.empty() || classifier_.registrable_domain(r.helo) != sender)) {
      fingerprint = classifier_.shape(r.helo) + "|" + sender;
    }
  }
  announce(snowshoe_.observe({fingerprint, key.to_string(), at, r.resp_h}, may_join), at);
}

void Engine::on_session(const smtp::SessionRecord& r) {
  ++stats_.sessions;
  if (!r.subscriber_is_orig) {
    ++stats_.ignored;  // the subscriber runs the server: not outgoing mail
    return;
  }
  const Micros at = r.last_ts > 0 ? r.last_ts : r.ts;
  now_ = std::max(now_, at);
  const auto key = behaviour::SubscriberKey::of(r.orig_h, config_.ipv6_subscriber_prefix);
  auto& s = table_.touch(key, at);
  const std::size_t heap_before = s.heap_bytes();

  HeloClasses classes;
  if (!r.helo.empty() || r.helo_count > 0) {
    const HeloContext context{r.path, r.orig_h, config_.ipv6_subscriber_prefix, r.banner, r.rcptto};
    classes = classifier_.classify(r.helo, context);
  }
  const bool blocklisted = is_blocklist_refusal(r);
  const std::string sender = sender_domain(r);
  const auto novelty = s.behaviour.observe(r, r.orig_h, blocklisted, sender, at, limits_);
  if (novelty.direct && novelty.helo_repeats == 0 && !r.helo.empty() &&
      s.behaviour.distinct_direct_helos() >= config_.bad_helo.many_helos) {
    classes.add(HeloClass::many_helos);
  }
  if (!classes.empty()) {
    auto& counts = s.suspect().helo_class_sessions;
    for (std::size_t c = 0; c < kHeloClassCount; ++c) {
      if (classes.has(static_cast<HeloClass>(c))) ++counts[c];
    }
  }
  if (refused_before_transaction(r, blocklisted)) {
    auto& refused = s.suspect().refused_before_transaction;
    if (refused < std::numeric_limits<std::uint32_t>::max()) ++refused;
  }
  const auto evidence = weigh(r, novelty, classes, blocklisted, sender, s.behaviour);
  update_test(s, evidence, at);
  if (s.test.llr >= upper_) {
    // The event names the source that carried the evidence; direct_to_mx
    // also needs enough distinct servers (one server refusing again and
    // again is one opinion).
    // Below min_destinations the HELO names the event if it carried at
    // least one strong observation's worth; otherwise nothing is reported.
    const bool enough_servers = s.behaviour.distinct_destinations() >= config_.direct_to_mx.min_destinations;
    if (s.test.helo_share >= s.test.mx_share || (!enough_servers && s.test.helo_share >= kHeloShareToName)) {
      maybe_report(key, s, events::Detector::bad_helo, at);
    } else if (enough_servers) {
      maybe_report(key, s, events::Detector::direct_to_mx, at);
    }
  }
  table_.adjust_heap(heap_before, s.heap_bytes());
  correlate(key, r, blocklisted, sender, at);
  table_.evict_over_budget(heap_budget_);
}

void Engine::on_time(Micros now) {
  now_ = std::max(now_, now);
  if (now_ - last_expiry_ < 60 * kMicrosPerSecond) return;  // windows are minutes long
  last_expiry_ = now_;
  table_.for_each([&](const behaviour::SubscriberKey&, SubscriberState& s) {
    const std::size_t heap_before = s.heap_bytes();
    s.behaviour.expire(now_, limits_);
    table_.adjust_heap(heap_before, s.heap_bytes());
  });
  const unsigned idle = std::max({config_.bad_helo.window_seconds, config_.direct_to_mx.window_seconds,
                                  config_.snowshoe.window_seconds, config_.decision.event_window_seconds});
  table_.expire_idle(now_ - seconds(idle));
  snowshoe_.expire(now_);
}

}  // namespace botwarden::detect
