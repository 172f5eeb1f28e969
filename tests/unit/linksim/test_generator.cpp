// End to end through generate(): determinism, frames checked by an
// independent decoder and checksum routine written here, and labels.json and
// the subscriber data checked against what the capture really contains.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unistd.h>

#include "sensor/common/config.hpp"
#include "sensor/common/ip.hpp"
#include "sensor/common/time.hpp"
#include "tools/linksim/generator.hpp"
#include "tools/linksim/scenario.hpp"

using namespace botwarden;
using namespace botwarden::linksim;
namespace fs = std::filesystem;

namespace {

const char* kAllKinds = R"([scenario]
name = "unit"
duration_seconds = 120
[scenario.subscribers]
web_only = 4
mail_client = 4
relay_user = 3
business_mta = 3
home_server = 2
mailing_list = 2
bot_bad_helo = 6
bot_direct_mx = 2
bot_slow = 2
bot_snowshoe = 4
ipv6_fraction = 0.3
snowshoe_group_size = 2
[scenario.encapsulation]
ethernet = 1
vlan = 1
qinq = 1
mpls = 1
pppoe = 1
[scenario.background]
flows_per_subscriber_per_minute = 1
max_flow_bytes = 30000
[scenario.mail]
mailing_list_burst_sessions = 3
bot_direct_mx_burst_sessions = 4
mx_servers = 30
)";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("linksim-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

Scenario scenario_of(const std::string& text) { return load_scenario(ConfigFile::parse(text, "unit.toml")); }

std::uint32_t be16(const std::uint8_t* p) { return static_cast<std::uint32_t>(p[0] << 8 | p[1]); }

// Independent of frame.cpp: sum all 16-bit words into 64 bits, fold once at the end;
// a correct checksum makes the total (checksum field included) 0xffff.
bool sums_to_ffff(const std::vector<const std::uint8_t*>& parts, const std::vector<std::size_t>& sizes) {
  std::uint64_t total = 0;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    for (std::size_t i = 0; i < sizes[k]; i += 2) {
      const std::uint32_t hi = parts[k][i];
      const std::uint32_t lo = i + 1 < sizes[k] ? parts[k][i + 1] : 0;
      total += hi * 256 + lo;
    }
  }
  while (total > 0xffff) total = (total & 0xffff) + (total >> 16);
  return total == 0xffff;
}

struct Decoded {
  Micros ts = 0;
  std::string encapsulation;
  IpAddress src, dst;
  std::uint16_t sport = 0, dport = 0;
  bool udp = false;
  std::size_t ip_length = 0;
  std::uint8_t flags = 0;
  std::string payload;
};

// Parses the pcap and every frame in it; counts checksum and length errors.
struct Capture {
  std::vector<Decoded> packets;
  int bad_checksums = 0;
  int bad_lengths = 0;
  int unordered = 0;

  explicit Capture(const fs::path& file) {
    const std::string bytes = slurp(file);
    REQUIRE(bytes.size() >= 24);
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    const auto le32 = [&](std::size_t at) {
      return static_cast<std::uint32_t>(data[at] | data[at + 1] << 8 | data[at + 2] << 16 | data[at + 3] << 24);
    };
    REQUIRE(le32(0) == 0xa1b2c3d4);
    REQUIRE(le32(20) == 1);
    std::size_t at = 24;
    Micros last = 0;
    while (at + 16 <= bytes.size()) {
      Decoded d;
      d.ts = static_cast<Micros>(le32(at)) * kMicrosPerSecond + le32(at + 4);
      const std::size_t caplen = le32(at + 8);
      REQUIRE(le32(at + 12) == caplen);  // no truncation in these scenarios
      REQUIRE(at + 16 + caplen <= bytes.size());
      if (d.ts < last) ++unordered;
      last = d.ts;
      decode(data + at + 16, caplen, d);
      packets.push_back(std::move(d));
      at += 16 + caplen;
    }
    CHECK(at == bytes.size());
  }

  void decode(const std::uint8_t* f, std::size_t n, Decoded& d) {
    std::size_t at = 12;
    std::uint32_t type = be16(f + at);
    d.encapsulation = "ethernet";
    at += 2;
    if (type == 0x88a8) {
      d.encapsulation = "qinq";
      REQUIRE(be16(f + at + 2) == 0x8100);
      type = be16(f + at + 6);
      at += 8;
    } else if (type == 0x8100) {
      d.encapsulation = "vlan";
      type = be16(f + at + 2);
      at += 4;
    } else if (type == 0x8847) {
      d.encapsulation = "mpls";
      while (!(f[at + 2] & 1)) at += 4;
      at += 4;
      type = (f[at] >> 4) == 4 ? 0x0800 : 0x86dd;
    } else if (type == 0x8864) {
      d.encapsulation = "pppoe";
      REQUIRE(f[at] == 0x11);
      if (be16(f + at + 4) != n - at - 6) ++bad_lengths;
      const std::uint32_t ppp = be16(f + at + 6);
      type = ppp == 0x0021 ? 0x0800 : ppp == 0x0057 ? 0x86dd : 0;
      at += 8;
    }
    REQUIRE((type == 0x0800 || type == 0x86dd));
    const std::uint8_t* ip = f + at;
    d.ip_length = n - at;
    std::uint8_t pseudo[40] = {};
    std::size_t pseudo_len = 0, l4_len = 0;
    const std::uint8_t* l4 = nullptr;
    std::uint8_t protocol = 0;
    if (type == 0x0800) {
      const std::size_t ihl = (ip[0] & 0x0f) * 4u;
      if (!sums_to_ffff({ip}, {ihl})) ++bad_checksums;
      if (be16(ip + 2) != n - at) ++bad_lengths;
      protocol = ip[9];
      d.src = IpAddress::v4_bytes(ip + 12);
      d.dst = IpAddress::v4_bytes(ip + 16);
      l4 = ip + ihl;
      l4_len = be16(ip + 2) - ihl;
      std::copy(ip + 12, ip + 20, pseudo);
      pseudo[9] = protocol;
      pseudo[10] = static_cast<std::uint8_t>(l4_len >> 8);
      pseudo[11] = static_cast<std::uint8_t>(l4_len);
      pseudo_len = 12;
    } else {
      if (be16(ip + 4) != n - at - 40) ++bad_lengths;
      protocol = ip[6];
      d.src = IpAddress::v6_bytes(ip + 8);
      d.dst = IpAddress::v6_bytes(ip + 24);
      l4 = ip + 40;
      l4_len = be16(ip + 4);
      std::copy(ip + 8, ip + 40, pseudo);
      pseudo[34] = static_cast<std::uint8_t>(l4_len >> 8);
      pseudo[35] = static_cast<std::uint8_t>(l4_len);
      pseudo[39] = protocol;
      pseudo_len = 40;
    }
    if (!sums_to_ffff({pseudo, l4}, {pseudo_len, l4_len})) ++bad_checksums;
    d.sport = static_cast<std::uint16_t>(be16(l4));
    d.dport = static_cast<std::uint16_t>(be16(l4 + 2));
    if (protocol == 17) {
      d.udp = true;
      if (be16(l4 + 4) != l4_len) ++bad_lengths;
      d.payload.assign(reinterpret_cast<const char*>(l4 + 8), l4_len - 8);
    } else {
      REQUIRE(protocol == 6);
      const std::size_t header = (l4[12] >> 4) * 4u;
      d.flags = l4[13];
      d.payload.assign(reinterpret_cast<const char*>(l4 + header), l4_len - header);
    }
  }
};

std::string key(const IpAddress& a, std::uint16_t ap, const IpAddress& b, std::uint16_t bp) {
  return a.to_string() + "|" + std::to_string(ap) + "|" + b.to_string() + "|" + std::to_string(bp);
}

const Prefix kSubscriberV4 = *Prefix::parse("100.64.0.0/10");
const Prefix kSubscriberV6 = *Prefix::parse("2001:db8:1000::/36");
bool is_subscriber(const IpAddress& a) { return kSubscriberV4.contains(a) || kSubscriberV6.contains(a); }

}  // namespace

TEST_CASE("the same seed gives identical files and another seed a different capture") {
  const auto scenario = scenario_of(kAllKinds);
  TempDir a("det-a"), b("det-b"), c("det-c");
  generate(scenario, 11, a.path.string());
  generate(scenario, 11, b.path.string());
  generate(scenario, 12, c.path.string());
  for (const char* file : {"capture.pcap", "labels.json", "accounts.csv", "kea-leases4.csv", "radius-detail",
                           "ipv6-delegations.csv"}) {
    CAPTURE(file);
    const auto first = slurp(a.path / file);
    CHECK(!first.empty());
    CHECK(first == slurp(b.path / file));
  }
  CHECK(slurp(a.path / "capture.pcap") != slurp(c.path / "capture.pcap"));
  CHECK(slurp(a.path / "labels.json") != slurp(c.path / "labels.json"));
}

TEST_CASE("every frame decodes with correct lengths and checksums, in time order") {
  TempDir dir("frames");
  const auto summary = generate(scenario_of(kAllKinds), 3, dir.path.string());
  const Capture capture(dir.path / "capture.pcap");
  CHECK(capture.packets.size() == summary.packets);
  CHECK(capture.packets.size() > 1000);
  CHECK(capture.bad_checksums == 0);
  CHECK(capture.bad_lengths == 0);
  CHECK(capture.unordered == 0);
  std::set<std::string> encapsulations;
  bool v6 = false;
  for (const auto& p : capture.packets) {
    encapsulations.insert(p.encapsulation);
    v6 = v6 || !p.src.is_v4();
    CHECK(p.ip_length <= (p.encapsulation == "pppoe" ? 1492u : 1500u));  // link MTU
  }
  CHECK(encapsulations == std::set<std::string>{"ethernet", "mpls", "pppoe", "qinq", "vlan"});
  CHECK(v6);
}

TEST_CASE("labels.json agrees with the capture") {
  TempDir dir("labels");
  const auto scenario = scenario_of(kAllKinds);
  generate(scenario, 5, dir.path.string());
  const Capture capture(dir.path / "capture.pcap");
  const auto labels = nlohmann::json::parse(slurp(dir.path / "labels.json"));
  CHECK(labels["scenario"] == "unit");
  CHECK(labels["seed"] == 5);
  CHECK(labels["subscribers"].size() == static_cast<std::size_t>(scenario.subscriber_count()));

  std::map<std::string, Micros> syn_at;            // client|port|server|port -> SYN time
  std::map<std::string, std::string> first_data;   // same key -> first client payload
  std::map<std::string, std::set<std::string>> encapsulation_of;  // subscriber address -> framings seen
  for (const auto& p : capture.packets) {
    const bool up = is_subscriber(p.src);
    const IpAddress& subscriber = up ? p.src : p.dst;
    REQUIRE(is_subscriber(subscriber));
    encapsulation_of[subscriber.to_string()].insert(p.encapsulation);
    if (p.udp || !up) continue;
    const auto k = key(p.src, p.sport, p.dst, p.dport);
    if (p.flags == 0x02) syn_at.emplace(k, p.ts);
    if (!p.payload.empty()) first_data.emplace(k, p.payload);
  }

  std::set<std::string> labelled_addresses;
  std::map<std::string, int> kinds;
  int sessions = 0, helo_checked = 0;
  for (const auto& sub : labels["subscribers"]) {
    CAPTURE(sub["subscriber"].get<std::string>());
    kinds[sub["kind"].get<std::string>()]++;
    CHECK(sub["role"] == (sub["kind"].get<std::string>().starts_with("bot_") ? "bot" : "benign"));
    for (const auto& a : sub["addresses"]) {
      const auto address = a.get<std::string>();
      labelled_addresses.insert(address);
      // Every address a subscriber used carries that subscriber's framing only.
      if (encapsulation_of.contains(address)) {
        CHECK(encapsulation_of[address] == std::set<std::string>{sub["encapsulation"].get<std::string>()});
      }
      if (address.find(':') != std::string::npos) {
        CHECK(Prefix::parse(sub["subscriber"].get<std::string>())->contains(*IpAddress::parse(address)));
      }
    }
    Micros first = 0;
    for (const auto& s : sub["sessions"]) {
      ++sessions;
      const auto k = key(*IpAddress::parse(s["client"].get<std::string>()), s["client_port"].get<std::uint16_t>(),
                         *IpAddress::parse(s["server"].get<std::string>()), s["server_port"].get<std::uint16_t>());
      CAPTURE(k);
      const auto ts = *parse_rfc3339(s["ts"].get<std::string>());
      REQUIRE(syn_at.contains(k));
      CHECK(syn_at[k] == ts);
      if (first == 0 || ts < first) first = ts;
      CHECK(s["mailfrom"].size() == s["rcptto"].size());
      if (!s["helo"].is_null()) {
        const std::string helo = s["helo"];
        REQUIRE(first_data.contains(k));
        CHECK((first_data[k] == "EHLO " + helo + "\r\n" || first_data[k] == "HELO " + helo + "\r\n"));
        ++helo_checked;
      }
    }
    if (first == 0) {
      CHECK(sub["first_smtp_ts"].is_null());
    } else {
      CHECK(sub["first_smtp_ts"] == format_rfc3339(first));
    }
    CHECK(sub["snowshoe_group"].is_null() == (sub["kind"] != "bot_snowshoe"));
  }
  // Every subscriber-side address in the capture is labelled, and every label appears.
  for (const auto& entry : encapsulation_of) {
    const std::string& address = entry.first;
    CAPTURE(address);
    CHECK(labelled_addresses.contains(address));
  }
  CHECK(kinds["bot_bad_helo"] == 6);
  CHECK(kinds["web_only"] == 4);
  CHECK(sessions > 20);
  CHECK(helo_checked > 10);
}

TEST_CASE("subscriber data covers every labelled subscriber") {
  TempDir dir("records");
  generate(scenario_of(kAllKinds), 8, dir.path.string());
  const auto labels = nlohmann::json::parse(slurp(dir.path / "labels.json"));
  const auto accounts = slurp(dir.path / "accounts.csv");
  const auto kea = slurp(dir.path / "kea-leases4.csv");
  const auto radius = slurp(dir.path / "radius-detail");
  const auto delegations = slurp(dir.path / "ipv6-delegations.csv");
  CHECK(accounts.starts_with("account,email,language,business,exempt,name\n"));
  CHECK(kea.starts_with("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n"));
  CHECK(delegations.starts_with("prefix,account,start,end\n"));
  int pppoe = 0, dhcp = 0, v6 = 0;
  for (const auto& sub : labels["subscribers"]) {
    const std::string account = sub["account"], address = sub["subscriber"];
    CAPTURE(account);
    CHECK(accounts.find("\n" + account + ",") != std::string::npos);
    const bool ipv6 = address.find(':') != std::string::npos;
    if (sub["encapsulation"] == "pppoe") {
      ++pppoe;
      CHECK(radius.find("\tUser-Name = \"" + account + "\"\n") != std::string::npos);
      if (!ipv6) CHECK(radius.find("\tFramed-IP-Address = " + address + "\n") != std::string::npos);
    } else if (!ipv6) {
      ++dhcp;
      CHECK(kea.find("\n" + address + ",") != std::string::npos);
      CHECK(kea.find("{ \"account\": \"" + account + "\" }\n") != std::string::npos);
    }
    if (ipv6) {
      ++v6;
      const auto p64 = *Prefix::parse(address);
      const Prefix p56{p64.network.masked(56), 56};
      CHECK(delegations.find("\n" + p56.to_string() + "," + account + ",") != std::string::npos);
    }
  }
  CHECK(pppoe > 0);
  CHECK(dhcp > 0);
  CHECK(v6 > 0);
}

TEST_CASE("impairments mark the sessions they touch") {
  const std::string text = std::string(kAllKinds) + "[scenario.impairments]\ncapture_drop_rate = 0.3\nretransmit_rate = 0.1\n";
  TempDir dir("impaired");
  generate(scenario_of(text), 2, dir.path.string());
  const auto labels = nlohmann::json::parse(slurp(dir.path / "labels.json"));
  int impaired = 0, total = 0;
  for (const auto& sub : labels["subscribers"]) {
    for (const auto& s : sub["sessions"]) {
      ++total;
      impaired += s["impaired"].get<bool>();
    }
  }
  CHECK(impaired > total / 2);
}

TEST_CASE("bot variants send the HELO their label promises") {
  const std::string text = R"([scenario]
name = "variants"
duration_seconds = 600
[scenario.subscribers]
bot_bad_helo = 30
business_mta = 20
mail_client = 20
ipv6_fraction = 0.2
business_sloppy_helo_fraction = 0.5
[scenario.background]
flows_per_subscriber_per_minute = 0
[scenario.mail]
mx_servers = 20
)";
  TempDir dir("variants");
  generate(scenario_of(text), 4, dir.path.string());
  const auto labels = nlohmann::json::parse(slurp(dir.path / "labels.json"));
  std::set<std::string> variants_seen;
  for (const auto& sub : labels["subscribers"]) {
    const std::string variant = sub["variant"];
    CAPTURE(variant);
    REQUIRE(!sub["sessions"].empty());  // every mail role sends at least once
    variants_seen.insert(variant);
    std::set<std::string> helos;
    for (const auto& s : sub["sessions"]) {
      if (s["helo"].is_null()) continue;
      const std::string helo = s["helo"], client = s["client"];
      CAPTURE(helo);
      helos.insert(helo);
      if (variant == "ip_literal_not_own") {
        CHECK(helo.front() == '[');
        CHECK(helo != "[" + client + "]");
      } else if (variant == "own_ip_literal") {
        CHECK((helo == "[" + client + "]" || helo == "[IPv6:" + client + "]"));
      } else if (variant == "bare_ip") {
        CHECK(IpAddress::parse(helo).has_value());
      } else if (variant == "localhost") {
        CHECK((helo == "localhost" || helo == "localhost.localdomain"));
      } else if (variant == "windows_default") {
        CHECK(helo.starts_with("WIN-"));
        CHECK(helo.size() == 15);
      } else if (variant == "single_label") {
        CHECK(helo.find('.') == std::string::npos);
      } else if (variant == "mx_own_name") {
        CHECK(s["replies"][0].get<std::string>().find(" " + helo + " ") != std::string::npos);
      } else if (variant == "recipient_domain") {
        for (const auto& rcpts : s["rcptto"]) {
          for (const auto& r : rcpts) CHECK(r.get<std::string>().ends_with("@" + helo));
        }
      } else if (variant == "big_provider") {
        CHECK(std::set<std::string>{"gmail.com", "outlook.com", "yahoo.com", "hotmail.com"}.contains(helo));
      } else if (variant == "fqdn") {
        CHECK(helo.starts_with("mail."));
      } else if (variant == "mail_local") {
        CHECK(helo.ends_with(".local"));
      }
    }
    if (variant == "many_helos" && sub["sessions"].size() >= 3) CHECK(helos.size() >= 2);
  }
  for (const char* v : {"ip_literal_not_own", "bare_ip", "localhost", "single_label", "windows_default",
                        "big_provider", "recipient_domain", "mx_own_name", "random_domain", "many_helos"}) {
    CAPTURE(v);
    CHECK(variants_seen.contains(v));
  }
}

TEST_CASE("a short snaplen truncates long frames and keeps their length") {
  const std::string text = std::string(kAllKinds).replace(std::string(kAllKinds).find("duration_seconds"), 0,
                                                          "snaplen = 96\n");
  TempDir dir("snaplen");
  generate(scenario_of(text), 1, dir.path.string());
  const std::string bytes = slurp(dir.path / "capture.pcap");
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const auto le32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(data[at] | data[at + 1] << 8 | data[at + 2] << 16 | data[at + 3] << 24);
  };
  CHECK(le32(16) == 96);
  int truncated = 0;
  std::size_t at = 24;
  while (at + 16 <= bytes.size()) {
    const auto caplen = le32(at + 8), length = le32(at + 12);
    CHECK(caplen <= 96);
    CHECK(caplen == std::min<std::uint32_t>(length, 96));
    truncated += length > caplen;
    at += 16 + caplen;
  }
  CHECK(at == bytes.size());
  CHECK(truncated > 100);
}

TEST_CASE("BDAT chunks are exactly as long as announced and a command follows each") {
  const std::string text = R"([scenario]
name = "bdat"
duration_seconds = 900
[scenario.subscribers]
business_mta = 30
relay_user = 10
business_sloppy_helo_fraction = 1.0
ipv6_fraction = 0
[scenario.background]
flows_per_subscriber_per_minute = 0
[scenario.mail]
mx_servers = 10
)";
  TempDir dir("bdat");
  generate(scenario_of(text), 6, dir.path.string());
  const Capture capture(dir.path / "capture.pcap");
  std::map<std::string, std::string> client_stream;  // no impairments: packets arrive in order
  for (const auto& p : capture.packets) {
    if (!p.udp && is_subscriber(p.src)) client_stream[key(p.src, p.sport, p.dst, p.dport)] += p.payload;
  }
  int chunks = 0, auth_login = 0;
  for (const auto& [k, stream] : client_stream) {
    auth_login += stream.find("AUTH LOGIN\r\n") != std::string::npos;
    for (std::size_t at = stream.find("BDAT "); at != std::string::npos; at = stream.find("BDAT ", at + 1)) {
      const std::size_t eol = stream.find("\r\n", at);
      REQUIRE(eol != std::string::npos);
      const std::string line = stream.substr(at, eol - at);
      REQUIRE(line.ends_with(" LAST"));
      const std::size_t size = std::stoul(line.substr(5));
      const std::string after = stream.substr(eol + 2 + size, 4);
      CHECK((after == "MAIL" || after == "RSET" || after == "QUIT" || after.empty()));
      CHECK(stream.substr(eol + 2, 6) == "From: ");
      ++chunks;
      at = eol + 2 + size - 1;
    }
  }
  CHECK(chunks > 5);
  CHECK(auth_login > 0);
}

TEST_CASE("earlier holders of an address never overlap the current one") {
  const std::string text = R"([scenario]
name = "history"
start = "2026-11-25T12:00:00Z"
duration_seconds = 60
[scenario.subscribers]
web_only = 400
ipv6_fraction = 0
[scenario.encapsulation]
ethernet = 1
pppoe = 1
[scenario.background]
flows_per_subscriber_per_minute = 0
)";
  TempDir dir("history");
  generate(scenario_of(text), 9, dir.path.string());
  const Micros start = *parse_rfc3339("2026-11-25T12:00:00Z");
  // Kea: per address, [expire - valid_lifetime, expire) intervals.
  std::map<std::string, std::vector<std::pair<Micros, Micros>>> kea;
  std::istringstream lines(slurp(dir.path / "kea-leases4.csv"));
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, ',');) f.push_back(field);
    REQUIRE(f.size() >= 11);
    const Micros expire = std::stoll(f[4]) * kMicrosPerSecond, lifetime = std::stoll(f[3]) * kMicrosPerSecond;
    kea[f[0]].emplace_back(expire - lifetime, expire);
  }
  int histories = 0;
  for (auto& [address, leases] : kea) {
    std::sort(leases.begin(), leases.end());
    int covering = 0;
    for (std::size_t i = 0; i < leases.size(); ++i) {
      if (i > 0) CHECK(leases[i - 1].second <= leases[i].first);
      covering += leases[i].first <= start && start < leases[i].second;
    }
    CHECK(covering == 1);
    histories += leases.size() > 1;
  }
  CHECK(histories > 3);
  // RADIUS: every Stop belongs to a former account and comes before the current holder's Start.
  const std::string radius = slurp(dir.path / "radius-detail");
  int stops = 0;
  for (std::size_t at = radius.find("Acct-Status-Type = Stop"); at != std::string::npos;
       at = radius.find("Acct-Status-Type = Stop", at + 1)) {
    ++stops;
    const std::size_t user = radius.find("User-Name = \"", at);
    CHECK(radius.substr(user + 13, 2) == "A9");
    const std::size_t ts = radius.find("\tTimestamp = ", at);
    CHECK(std::stoll(radius.substr(ts + 13)) * kMicrosPerSecond < start);
  }
  CHECK(stops > 3);
}
