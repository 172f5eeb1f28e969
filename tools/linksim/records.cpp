// labels.json, accounts.csv, kea-leases4.csv (Kea memfile lease4 CSV),
// radius-detail (FreeRADIUS detail file) and ipv6-delegations.csv.
#include "tools/linksim/records.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace botwarden::linksim {
namespace {

constexpr Micros kSecond = kMicrosPerSecond;

std::ofstream open_out(const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
  return out;
}

void finish(std::ofstream& out, const std::string& path) {
  out.close();
  if (!out) throw std::runtime_error(path + ": write failed");
}

std::string csv(const std::string& field) {
  if (field.find_first_of(",\"\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string mac_text(const std::array<std::uint8_t, 6>& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return buf;
}

// FreeRADIUS detail timestamps: the block header is ctime(3) style, Event-Timestamp is "Nov 25 2026 12:00:00 UTC".
std::string ctime_text(Micros t) {
  const std::time_t secs = static_cast<std::time_t>(t / kSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tm);
  return buf;
}
std::string event_timestamp(Micros t) {
  const std::time_t secs = static_cast<std::time_t>(t / kSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%b %e %Y %H:%M:%S UTC", &tm);
  return buf;
}

// Lease start before the capture: held for a while already.
Micros lease_start(const Subscriber& s, Micros start) {
  return (start / kSecond - 600 - static_cast<Micros>(s.seed % 7200)) * kSecond;
}

void write_labels(const Scenario& scenario, std::uint64_t seed, const World& world,
                  const std::vector<SubscriberLabel>& labels, Micros end, const std::string& path) {
  using json = nlohmann::ordered_json;
  json root;
  root["scenario"] = scenario.name;
  root["seed"] = seed;
  root["start"] = format_rfc3339(scenario.start);
  root["end"] = format_rfc3339(end);
  json subs = json::array();
  for (std::size_t i = 0; i < world.subscribers.size(); ++i) {
    const Subscriber& s = world.subscribers[i];
    const SubscriberLabel& l = labels[i];
    json j;
    j["subscriber"] = s.label_address();
    j["addresses"] = json::array();
    if (l.addresses.empty()) {
      j["addresses"].push_back(s.ipv6 ? s.privacy.front().to_string() : s.v4.to_string());
    }
    for (const auto& a : l.addresses) j["addresses"].push_back(a);
    j["account"] = s.account;
    j["role"] = is_bot(s.kind) ? "bot" : "benign";
    j["kind"] = to_string(s.kind);
    j["variant"] = s.variant;
    j["encapsulation"] = to_string(s.link.encapsulation);
    j["business"] = s.business;
    j["exempt"] = s.exempt;
    j["blocklisted"] = s.blocklisted;
    Micros first = 0;
    for (const auto& session : l.sessions) {
      if (first == 0 || session.ts < first) first = session.ts;
    }
    j["first_smtp_ts"] = first == 0 ? json(nullptr) : json(format_rfc3339(first));
    j["snowshoe_group"] = s.snowshoe_group < 0 ? json(nullptr) : json(s.snowshoe_group);
    json sessions = json::array();
    std::vector<const SessionLabel*> ordered;
    for (const auto& session : l.sessions) ordered.push_back(&session);
    std::stable_sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->ts < b->ts; });
    for (const SessionLabel* session : ordered) {
      json js;
      js["ts"] = format_rfc3339(session->ts);
      js["client"] = session->client.to_string();
      js["client_port"] = session->client_port;
      js["server"] = session->server.to_string();
      js["server_port"] = session->server_port;
      js["tls"] = session->tls;
      js["helo"] = session->helo ? json(*session->helo) : json(nullptr);
      js["mailfrom"] = session->mailfrom;
      js["rcptto"] = session->rcptto;
      js["replies"] = session->replies;
      js["impaired"] = session->impaired;
      sessions.push_back(std::move(js));
    }
    j["sessions"] = std::move(sessions);
    subs.push_back(std::move(j));
  }
  root["subscribers"] = std::move(subs);
  auto out = open_out(path);
  out << root.dump(1) << "\n";
  finish(out, path);
}

}  // namespace

void write_records(const Scenario& scenario, std::uint64_t seed, const World& world,
                   const std::vector<SubscriberLabel>& labels, Micros end, const std::string& out_dir) {
  write_labels(scenario, seed, world, labels, end, out_dir + "/labels.json");

  // Addresses held earlier by other accounts (an expired Kea lease, or a RADIUS
  // session that was stopped): mapping must go by time.
  struct Former {
    std::string account;
    const Subscriber* now_held_by;
  };
  std::vector<Former> former;
  for (const auto& s : world.subscribers) {
    if (!s.ipv6 && s.seed % 20 == 0) {
      char account[16];
      std::snprintf(account, sizeof account, "A9%05u", static_cast<unsigned>(former.size() + 1));
      former.push_back({account, &s});
    }
  }

  {
    const std::string path = out_dir + "/accounts.csv";
    auto out = open_out(path);
    out << "account,email,language,business,exempt,name\n";
    for (const auto& s : world.subscribers) {
      out << s.account << ',' << csv(s.email) << ',' << s.language << ',' << (s.business ? "true" : "false") << ','
          << (s.exempt ? "true" : "false") << ',' << csv(s.name) << '\n';
    }
    for (const auto& f : former) out << f.account << ",former." << f.account << "@homemail.example,en,false,false,Former Customer\n";
    finish(out, path);
  }

  {
    // Kea memfile lease4 CSV (schema 2.0+): expire = cltt + valid_lifetime, state 0 = default (active).
    // user_context carries the account; Kea escapes commas inside it as "&#x2c".
    const std::string path = out_dir + "/kea-leases4.csv";
    auto out = open_out(path);
    out << "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n";
    constexpr Micros kLifetime = 86400;
    for (const auto& f : former) {
      const Subscriber& s = *f.now_held_by;
      if (s.link.encapsulation == Encapsulation::pppoe) continue;  // in radius-detail instead
      const Micros cltt = lease_start(s, scenario.start) / kSecond - 2 * kLifetime;
      std::array<std::uint8_t, 6> mac = s.link.subscriber_mac;
      mac[3] ^= 0x80;
      out << s.v4.to_string() << ',' << mac_text(mac) << ",01:" << mac_text(mac) << ',' << kLifetime << ','
          << cltt + kLifetime << ",1,0,0,,0,{ \"account\": \"" << f.account << "\" }\n";
    }
    for (const auto& s : world.subscribers) {
      if (s.ipv6 || s.link.encapsulation == Encapsulation::pppoe) continue;
      const Micros cltt = lease_start(s, scenario.start) / kSecond;
      const std::string host = s.kind == Kind::mail_client && !s.helo.empty() && s.helo.find('.') == std::string::npos
                                   ? s.helo
                                   : "";
      out << s.v4.to_string() << ',' << mac_text(s.link.subscriber_mac) << ",01:" << mac_text(s.link.subscriber_mac)
          << ',' << kLifetime << ',' << cltt + kLifetime << ",1,0,0," << host << ",0,{ \"account\": \"" << s.account
          << "\" }\n";
    }
    finish(out, path);
  }

  {
    // FreeRADIUS detail: one block per accounting request, a blank line between blocks.
    const std::string path = out_dir + "/radius-detail";
    auto out = open_out(path);
    const Micros middle = scenario.start + scenario.duration_seconds * kSecond / 2;
    for (const auto& f : former) {
      const Subscriber& s = *f.now_held_by;
      if (s.link.encapsulation != Encapsulation::pppoe) continue;
      const Micros started = lease_start(s, scenario.start) - 2 * 86400 * kSecond;
      const Micros stopped = started + 86400 * kSecond - 3600 * kSecond;
      for (int k = 0; k < 2; ++k) {
        const Micros at = k == 0 ? started : stopped;
        out << ctime_text(at) << "\n";
        out << "\tAcct-Status-Type = " << (k == 0 ? "Start" : "Stop") << "\n";
        out << "\tUser-Name = \"" << f.account << "\"\n";
        out << "\tAcct-Session-Id = \"" << f.account.substr(1) << "\"\n";
        out << "\tNAS-IP-Address = 198.51.100.1\n";
        out << "\tFramed-IP-Address = " << s.v4.to_string() << "\n";
        if (k == 1) {
          out << "\tAcct-Session-Time = " << (stopped - started) / kSecond << "\n";
          out << "\tAcct-Terminate-Cause = User-Request\n";
        }
        out << "\tEvent-Timestamp = \"" << event_timestamp(at) << "\"\n";
        out << "\tTimestamp = " << at / kSecond << "\n\n";
      }
    }
    for (const auto& s : world.subscribers) {
      if (s.link.encapsulation != Encapsulation::pppoe) continue;
      const Micros started = lease_start(s, scenario.start);
      char session_id[16];
      std::snprintf(session_id, sizeof session_id, "%08X", static_cast<unsigned>(s.seed & 0xffffffff));
      for (int k = 0; k < 2; ++k) {
        const Micros at = k == 0 ? started : middle;
        out << ctime_text(at) << "\n";
        out << "\tAcct-Status-Type = " << (k == 0 ? "Start" : "Interim-Update") << "\n";
        out << "\tUser-Name = \"" << s.account << "\"\n";
        out << "\tAcct-Session-Id = \"" << session_id << "\"\n";
        out << "\tNAS-IP-Address = 198.51.100.1\n";
        out << "\tNAS-Port-Type = Virtual\n";
        out << "\tService-Type = Framed-User\n";
        out << "\tFramed-Protocol = PPP\n";
        out << "\tCalling-Station-Id = \"" << mac_text(s.link.subscriber_mac) << "\"\n";
        if (s.ipv6) {
          out << "\tDelegated-IPv6-Prefix = " << s.delegation.to_string() << "\n";
        } else {
          out << "\tFramed-IP-Address = " << s.v4.to_string() << "\n";
        }
        if (k == 1) out << "\tAcct-Session-Time = " << (at - started) / kSecond << "\n";
        out << "\tEvent-Timestamp = \"" << event_timestamp(at) << "\"\n";
        out << "\tTimestamp = " << at / kSecond << "\n\n";
      }
    }
    finish(out, path);
  }

  {
    const std::string path = out_dir + "/ipv6-delegations.csv";
    auto out = open_out(path);
    out << "prefix,account,start,end\n";
    for (const auto& s : world.subscribers) {
      if (!s.ipv6) continue;
      const Micros started = lease_start(s, scenario.start);
      out << s.delegation.to_string() << ',' << s.account << ',' << format_rfc3339(started) << ','
          << format_rfc3339(started + 86400 * kSecond) << '\n';
    }
    finish(out, path);
  }
}

}  // namespace botwarden::linksim
