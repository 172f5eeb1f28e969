// The address plan (configs/botwarden.toml): subscribers in 100.64.0.0/10
// and 2001:db8:1000::/36 (a /56 each), the ISP relay 198.51.100.25 and
// 2001:db8:ffff::25, outside hosts in 192.0.2.0/24, 198.18.0.0/15,
// 203.0.113.0/24 and 2001:db8:f000::/40.
#include "tools/linksim/world.hpp"

#include <cstdio>

namespace botwarden::linksim {
namespace {

const std::vector<std::string> kFirstNames = {
    "john", "mary", "peter", "anna", "lukas", "sophie", "thomas", "julia", "pierre", "camille",
    "jan", "emma", "david", "laura", "michael", "sarah", "paul", "lisa", "daniel", "marie",
    "stefan", "nina", "kevin", "claire", "bram", "eva", "tim", "hanna", "felix", "lea"};
const std::vector<std::string> kSurnames = {
    "smith", "mueller", "dubois", "jansen", "schmidt", "martin", "devries", "johnson", "weber",
    "bernard", "bakker", "brown", "fischer", "petit", "visser", "taylor", "meyer", "durand",
    "smit", "wilson", "wagner", "leroy", "meijer", "clark", "becker", "moreau", "mulder", "hall"};
const std::vector<std::string> kWords = {
    "alpine", "harbor", "maple", "cedar", "summit", "river", "oak", "pixel", "nova", "granite",
    "meadow", "falcon", "copper", "silver", "north", "blue", "green", "sun", "lake", "stone",
    "bright", "swift", "prime", "delta", "orbit", "ember", "atlas", "willow", "coral", "tiger"};
const std::vector<std::string> kTrades = {
    "plumbing", "bakery", "dental", "law", "architects", "garage", "consulting", "printing",
    "florist", "logistics", "hotel", "pharmacy", "roofing", "optics", "travel", "insurance"};
const std::vector<std::string> kClubs = {
    "chess", "cycling", "choir", "football", "rowing", "photo", "hiking", "tennis", "linux", "astro"};
const std::vector<std::string> kOuis = {"3c:a6:2f", "f4:f2:6d", "e0:28:6d", "c8:0e:14", "44:4e:6d", "b0:95:75"};

std::string capitalize(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

IpAddress v4_of(std::uint32_t host_order) { return IpAddress::v4(host_order); }

IpAddress v6_of(std::uint64_t hi, std::uint64_t lo) {
  IpAddress a;
  a.family = IpAddress::Family::v6;
  for (int i = 0; i < 8; ++i) {
    a.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(hi >> (56 - 8 * i));
    a.bytes[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(lo >> (56 - 8 * i));
  }
  return a;
}

std::string dashed(const IpAddress& a) {
  std::string s = a.to_string();
  for (auto& c : s) {
    if (c == '.' || c == ':') c = '-';
  }
  while (!s.empty() && s.back() == '-') s.pop_back();  // "2001-db8-1000-2d--" from "2001:db8:1000:2d::"
  return s;
}

Server make_mx(Rng& rng, std::size_t i) {
  Server s;
  // One draw per statement: operands of + are evaluated in an unspecified order.
  const std::string first_word = rng.pick(kWords);
  s.domain = first_word + rng.pick(kWords) + std::to_string(i % 97) + ".example";
  const double style = rng.uniform();
  s.style = style < 0.5 ? ServerStyle::postfix
            : style < 0.7 ? ServerStyle::exim
            : style < 0.9 ? ServerStyle::exchange
                          : ServerStyle::sendmail;
  static const std::vector<std::string> prefixes = {"mx", "mail", "mx1", "mx01", "smtp", "mta"};
  s.name = (s.style == ServerStyle::exchange ? "exch" + std::to_string(rng.between(1, 9)) : rng.pick(prefixes)) +
           "." + s.domain;
  s.v4 = v4_of(0xc6130000u + static_cast<std::uint32_t>(i / 250 * 256 + i % 250 + 2));  // 198.19.0.0/16
  s.v6 = v6_of(0x20010db8f0100000ULL + i, 0x25);  // 2001:db8:f010:<i>::25, i < 65536
  s.pipelining = rng.chance(0.92);
  s.starttls = rng.chance(0.85);
  s.greylisting = s.style == ServerStyle::postfix && rng.chance(0.15);
  s.helo_checks = s.style == ServerStyle::postfix && rng.chance(0.4);
  const double bl = rng.uniform();
  s.blocklist = bl < 0.55 ? BlocklistCheck::at_rcpt : bl < 0.65 ? BlocklistCheck::at_connect : BlocklistCheck::none;
  s.unknown_user_rate = rng.uniform() * 0.1;
  return s;
}

}  // namespace

std::string person_local_part(Rng& rng) {
  const double r = rng.uniform();
  if (r < 0.85) {
    const std::string first = rng.pick(kFirstNames);
    if (r < 0.5) return first + "." + rng.pick(kSurnames);
    if (r < 0.7) return first.substr(0, 1) + rng.pick(kSurnames);
    return first + std::to_string(rng.between(1, 99));
  }
  static const std::vector<std::string> roles = {"info", "sales", "office", "contact", "support", "hr"};
  return rng.pick(roles);
}

std::string random_word(Rng& rng) { return rng.pick(kWords); }

IpAddress random_outside_v4(Rng& rng) {
  const double r = rng.uniform();
  if (r < 0.1) return v4_of(0xcb007100u + static_cast<std::uint32_t>(rng.between(1, 254)));  // 203.0.113.0/24
  if (r < 0.15) return v4_of(0xc0000200u + static_cast<std::uint32_t>(rng.between(1, 254)));  // 192.0.2.0/24
  return v4_of(0xc6120000u + static_cast<std::uint32_t>(rng.between(1, 65534)));                // 198.18.0.0/16
}

IpAddress random_outside_v6(Rng& rng) {
  const auto subnet = static_cast<std::uint64_t>(rng.between(0, 0xffffff));
  return v6_of(0x20010db8f0000000ULL + subnet * 0x10000, rng.next() | 1);
}

std::string Subscriber::label_address() const { return ipv6 ? prefix64.to_string() : v4.to_string(); }

IpAddress Subscriber::address_at(Micros t, Micros start) const {
  if (!ipv6) return v4;
  // RFC 8981 temporary addresses, rotated every five minutes inside one /64.
  const auto period = static_cast<std::size_t>((t - start) / (300 * kMicrosPerSecond));
  return privacy[(period + seed % 7) % privacy.size()];
}

std::uint16_t Subscriber::take_port() {
  const std::uint16_t low = windows ? 49152 : 32768;
  const std::uint16_t port = next_port;
  next_port = static_cast<std::uint16_t>(next_port >= 65500 ? low : next_port + 1 + seed % 3);
  return port;
}

World build_world(const Scenario& scenario, std::uint64_t seed) {
  World w;
  Rng rng(derive(seed, 0x776f726c64));  // "world"

  w.relay.name = "smtp.isp.example";
  w.relay.domain = "isp.example";
  w.relay.v4 = v4_of(0xc6336419u);  // 198.51.100.25
  w.relay.v6 = v6_of(0x20010db8ffff0000ULL, 0x25);
  w.relay.auth = true;
  w.relay.blocklist = BlocklistCheck::none;
  w.relay.unknown_user_rate = 0;
  w.resolver_v4 = v4_of(0xc6336435u);  // 198.51.100.53
  w.resolver_v6 = v6_of(0x20010db8ffff0000ULL, 0x53);
  w.public_resolver_v4 = v4_of(0xcb007135u);  // 203.0.113.53
  w.public_resolver_v6 = v6_of(0x20010db8f0000000ULL, 0x5353);

  struct ProviderSpec {
    const char* domain;
    ServerStyle style;
    BlocklistCheck blocklist;
  };
  const ProviderSpec specs[] = {
      {"mailgiant.example", ServerStyle::provider_g, BlocklistCheck::at_rcpt},
      {"outpost-mail.example", ServerStyle::provider_m, BlocklistCheck::at_mail},
      {"yodelmail.example", ServerStyle::provider_y, BlocklistCheck::at_connect},
      {"webpost.example", ServerStyle::postfix, BlocklistCheck::at_rcpt},
      {"freenet-mail.example", ServerStyle::exim, BlocklistCheck::at_rcpt},
  };
  std::uint32_t host = 10;
  for (const auto& spec : specs) {
    for (int k = 1; k <= 3; ++k) {
      Server s;
      s.domain = spec.domain;
      s.style = spec.style;
      s.blocklist = spec.blocklist;
      s.big_provider = true;
      s.unknown_user_rate = 0.03;
      s.name = (spec.style == ServerStyle::provider_m ? "mx-" + std::to_string(k) + "-in.protection."
                                                       : "mx" + std::to_string(k) + ".") +
               std::string(spec.domain);
      s.v4 = v4_of(0xc0000200u + host);  // 192.0.2.0/24
      s.v6 = v6_of(0x20010db8f0000000ULL, host);
      ++host;
      w.providers.push_back(s);
    }
    Server sub;
    sub.domain = spec.domain;
    sub.style = spec.style == ServerStyle::provider_m ? ServerStyle::exchange : ServerStyle::postfix;
    sub.name = "smtp." + std::string(spec.domain);
    sub.auth = true;
    sub.v4 = v4_of(0xc0000200u + 100 + host);
    sub.v6 = v6_of(0x20010db8f0000000ULL, 0x100 + host);
    sub.big_provider = true;
    w.submission.push_back(sub);
  }
  for (std::int64_t i = 0; i < scenario.mail.mx_servers; ++i) w.mx.push_back(make_mx(rng, static_cast<std::size_t>(i)));

  // Subscribers: kinds in blocks, then shuffled so that addresses do not give kinds away.
  std::vector<Kind> kinds;
  for (std::size_t k = 0; k < kKindCount; ++k) {
    for (std::int64_t n = 0; n < scenario.counts[k]; ++n) kinds.push_back(static_cast<Kind>(k));
  }
  for (std::size_t i = kinds.size(); i > 1; --i) std::swap(kinds[i - 1], kinds[rng.index(i)]);

  double weight_total = 0;
  for (double x : scenario.encapsulation_weights) weight_total += x;
  std::uint32_t v4_count = 0, v6_count = 0;
  std::int64_t snowshoe_members = 0;
  std::size_t bad_helo_bots = 0;
  const std::size_t mx_count = w.mx.size();
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    Subscriber s;
    s.index = static_cast<std::uint32_t>(i);
    s.kind = kinds[i];
    s.seed = derive(seed, 0x1000000 + i);
    Rng r(s.seed);
    char account[16];
    std::snprintf(account, sizeof account, "A%06u", static_cast<unsigned>(i + 1));
    s.account = account;

    double pick = r.uniform() * weight_total;
    std::size_t e = 0;
    while (e + 1 < kEncapsulationCount && pick >= scenario.encapsulation_weights[e]) pick -= scenario.encapsulation_weights[e++];
    while (scenario.encapsulation_weights[e] <= 0 && e > 0) --e;  // rounding at the end of the table
    s.link.encapsulation = static_cast<Encapsulation>(e);
    unsigned oui[3];
    std::sscanf(r.pick(kOuis).c_str(), "%x:%x:%x", &oui[0], &oui[1], &oui[2]);
    s.link.subscriber_mac = {static_cast<std::uint8_t>(oui[0]), static_cast<std::uint8_t>(oui[1]),
                             static_cast<std::uint8_t>(oui[2]), static_cast<std::uint8_t>(i >> 16),
                             static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    s.link.gateway_mac = {0x00, 0x1b, 0x21, 0x4a, 0x5c, 0x01};
    s.link.outer_vlan = static_cast<std::uint16_t>(s.link.encapsulation == Encapsulation::qinq ? 10 + (i / 3900) % 100
                                                                                               : 100 + i % 3900);
    s.link.inner_vlan = static_cast<std::uint16_t>(100 + i % 3900);
    s.link.mpls_outer = 16000 + static_cast<std::uint32_t>(i % 16);
    s.link.mpls_inner = 20000 + static_cast<std::uint32_t>(i % 1'000'000);
    s.link.pppoe_session = static_cast<std::uint16_t>(1 + i % 65534);

    // 2001:db8:1000::/36 holds 2^20 /56 delegations; beyond them subscribers stay on IPv4.
    s.ipv6 = r.chance(scenario.ipv6_fraction) && v6_count < (1u << 20);
    if (s.ipv6) {
      const std::uint64_t hi = (0x20010db81ULL << 28) | (static_cast<std::uint64_t>(v6_count++) << 8);
      s.delegation = Prefix{v6_of(hi, 0), 56};
      s.prefix64 = Prefix{v6_of(hi | static_cast<std::uint64_t>(r.between(0, 255)), 0), 64};
      const auto n = r.between(2, 3);
      for (std::int64_t k = 0; k < n; ++k) {
        IpAddress a = s.prefix64.network;
        const std::uint64_t iid = r.next() & ~0x0200000000000000ULL;  // RFC 8981: random, u bit clear
        for (int b = 0; b < 8; ++b) a.bytes[static_cast<std::size_t>(8 + b)] = static_cast<std::uint8_t>(iid >> (56 - 8 * b));
        s.privacy.push_back(a);
      }
    } else {
      const std::uint32_t n = v4_count++;
      s.v4 = v4_of(0x64400000u + n / 250 * 256 + n % 250 + 2);  // 100.64.0.2 upward, .2-.251 in each /24
    }

    static const std::vector<std::string> languages = {"en", "en", "en", "de", "de", "fr", "nl", "en", "fr", "nl"};
    s.language = r.pick(languages);
    const std::string first = r.pick(kFirstNames), last = r.pick(kSurnames);
    s.name = capitalize(first) + " " + capitalize(last);
    s.email = first + "." + last + "@" + r.pick(std::vector<std::string>{"homemail.example", "mailgiant.example", "webpost.example"});
    s.own_domain = last + "-" + r.pick(kWords) + ".example";
    s.windows = r.chance(0.6);
    const std::string host_dashed = dashed(s.ipv6 ? s.prefix64.network : s.v4);

    switch (s.kind) {
      case Kind::web_only:
        s.variant = "none";
        break;
      case Kind::mail_client: {
        static const std::vector<std::string> v = {"own_ip_literal", "windows_name", "mac_local", "localhost", "linux_hostname"};
        s.variant = r.pick(v);
        if (s.variant == "windows_name") s.helo = "DESKTOP-" + r.text(7, kUpperDigits), s.windows = true;
        if (s.variant == "mac_local") s.helo = capitalize(first) + "s-MacBook-Pro.local", s.windows = false;
        if (s.variant == "localhost") s.helo = "localhost";
        if (s.variant == "linux_hostname") s.helo = first + "-laptop", s.windows = false;
        break;
      }
      case Kind::relay_user:
        s.variant = r.chance(0.5) ? "rdns_name" : "own_domain";
        s.helo = s.variant == "rdns_name" ? "dyn-" + host_dashed + ".isp.example" : "nas." + s.own_domain;
        break;
      case Kind::business_mta: {
        s.business = true;
        const std::string company = last + r.pick(kTrades);
        s.name = capitalize(last) + " " + capitalize(r.pick(kTrades));
        s.own_domain = company + ".example";
        s.email = "admin@" + s.own_domain;
        s.exempt = r.chance(scenario.business_exempt_fraction);
        if (r.chance(scenario.business_sloppy_helo_fraction)) {
          if (r.chance(0.5)) {
            s.variant = "single_label";
            static const std::vector<std::string> names = {"EXCH01", "SRV-MAIL", "MAILSRV", "EXCHANGE", "SBS2011", "MAIL01"};
            s.helo = r.pick(names);
          } else {
            s.variant = "mail_local";
            s.helo = r.chance(0.5) ? "mail.local" : "exchange." + company + ".local";
          }
        } else {
          s.variant = "fqdn";
          s.helo = "mail." + s.own_domain;
        }
        s.windows = s.variant != "fqdn";
        break;
      }
      case Kind::home_server:
        s.variant = "fqdn";
        s.own_domain = last + "-family.example";
        s.helo = (r.chance(0.5) ? "mx." : "mail.") + s.own_domain;
        s.windows = false;
        break;
      case Kind::mailing_list:
        s.variant = "fqdn";
        s.own_domain = r.pick(kClubs);
        s.own_domain += "-" + r.pick(kWords) + ".example";
        s.helo = "lists." + s.own_domain;
        s.name = capitalize(s.own_domain.substr(0, s.own_domain.find('-'))) + " club";
        s.business = r.chance(0.3);
        s.windows = false;
        break;
      case Kind::bot_bad_helo: {
        static const std::vector<std::string> v = {"ip_literal_not_own", "bare_ip", "localhost", "single_label",
                                                   "windows_default", "big_provider", "recipient_domain",
                                                   "mx_own_name", "random_domain", "many_helos"};
        s.variant = v[bad_helo_bots++ % v.size()];  // every variant equally often
        s.windows = true;
        break;
      }
      case Kind::bot_direct_mx:
        s.variant = r.chance(0.5) ? "own_rdns" : "fake_fqdn";
        if (s.variant == "own_rdns") {
          s.helo = "dyn-" + host_dashed + ".isp.example";
        } else {
          s.helo = "mail." + r.pick(kWords);
          s.helo += std::to_string(r.between(1, 999)) + ".com";
        }
        s.windows = true;
        break;
      case Kind::bot_slow:
        s.variant = r.chance(0.5) ? "slow_bad_helo" : "slow_direct_mx";
        s.helo = s.variant == "slow_bad_helo" ? "WIN-" + r.text(11, kUpperDigits) : "dyn-" + host_dashed + ".isp.example";
        s.windows = true;
        break;
      case Kind::bot_snowshoe: {
        s.variant = "shared_fingerprint";
        s.snowshoe_group = static_cast<int>(snowshoe_members++ / scenario.snowshoe_group_size);
        s.windows = true;
        break;
      }
      case Kind::count_:
        break;
    }
    s.blocklisted = is_bot(s.kind) ? r.chance(scenario.mail.blocklisted_bot_fraction) : r.chance(0.01);
    s.next_port = static_cast<std::uint16_t>(s.windows ? r.between(49152, 60000) : r.between(32768, 55000));
    s.link.encapsulation = static_cast<Encapsulation>(e);
    w.subscribers.push_back(std::move(s));
  }

  const std::int64_t groups = (snowshoe_members + scenario.snowshoe_group_size - 1) / scenario.snowshoe_group_size;
  for (std::int64_t g = 0; g < groups; ++g) {
    World::SnowshoeGroup group;
    group.mailfrom_domain = rng.pick(kWords);
    group.mailfrom_domain += "-" + rng.pick(std::vector<std::string>{"deals", "offers", "news", "promo"}) + ".example";
    group.helo_stem = rng.pick(kWords);
    const auto targets = rng.between(3, 6);
    for (std::int64_t t = 0; t < targets; ++t) group.targets.push_back(rng.index(mx_count));
    group.window_start = scenario.start + static_cast<Micros>(rng.uniform() * 0.5 * static_cast<double>(scenario.duration_seconds) * kMicrosPerSecond);
    w.snowshoe_groups.push_back(group);
  }
  return w;
}

}  // namespace botwarden::linksim
