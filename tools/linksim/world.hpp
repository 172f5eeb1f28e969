// The simulated world: the ISP's address plan and subscribers, the outside
// mail servers they talk to (the ISP relay, big providers, a pool of MX
// hosts), and the names that go into HELOs, addresses and subscriber data.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sensor/common/ip.hpp"
#include "tools/linksim/frame.hpp"
#include "tools/linksim/rng.hpp"
#include "tools/linksim/scenario.hpp"

namespace botwarden::linksim {

// The MTA software a server behaves like: it decides banner, EHLO keywords and reply texts.
enum class ServerStyle : std::uint8_t { postfix, exim, exchange, sendmail, provider_g, provider_m, provider_y };

// Where a blocklist-checking receiver refuses a listed client.
enum class BlocklistCheck : std::uint8_t { none, at_connect, at_mail, at_rcpt };

struct Server {
  std::string name;               // host name in its banner
  std::string domain;             // the mail domain it receives for
  IpAddress v4, v6;
  ServerStyle style = ServerStyle::postfix;
  bool pipelining = true;
  bool starttls = true;
  bool auth = false;              // offers AUTH (relays, submission)
  bool greylisting = false;
  bool helo_checks = false;       // rejects non-FQDN / unresolvable HELO at RCPT
  BlocklistCheck blocklist = BlocklistCheck::none;
  double unknown_user_rate = 0.05;
  bool big_provider = false;
};

struct Subscriber {
  std::uint32_t index = 0;
  std::string account;            // "A000012"
  Kind kind = Kind::web_only;
  std::string variant;
  LinkLayer link;
  bool ipv6 = false;
  IpAddress v4;                   // IPv4 subscribers: the one address
  Prefix delegation;              // IPv6 subscribers: the /56
  Prefix prefix64;                // IPv6 subscribers: the /64 they send from
  std::vector<IpAddress> privacy; // rotating privacy addresses inside prefix64
  bool business = false;
  bool exempt = false;
  std::string language = "en";
  std::string name;               // person or company
  std::string email;              // contact address
  std::string own_domain;         // sender domain for MAIL FROM
  std::string helo;               // the HELO it normally uses
  int snowshoe_group = -1;
  bool blocklisted = false;       // listed at DNS blocklists (bots, mostly)
  bool windows = false;           // TTL 128 and Windows port range
  std::uint16_t next_port = 0;
  std::uint64_t seed = 0;

  std::string label_address() const;  // "100.64.0.12" or the /64
  IpAddress address_at(Micros t, Micros start) const;  // source address at time t
  std::uint16_t take_port();
};

struct World {
  Server relay;                    // the ISP relay (198.51.100.25, 2001:db8:ffff::25)
  IpAddress resolver_v4, resolver_v6;               // the ISP's resolver (198.51.100.53)
  IpAddress public_resolver_v4, public_resolver_v6; // an outside public resolver (203.0.113.53)
  std::vector<Server> providers;   // big providers' MX hosts
  std::vector<Server> submission;  // big providers' submission hosts (587/465)
  std::vector<Server> mx;          // the wider pool of MX hosts
  std::vector<Subscriber> subscribers;
  struct SnowshoeGroup {
    std::string mailfrom_domain;
    std::string helo_stem;
    std::vector<std::size_t> targets;  // indices into mx
    Micros window_start = 0;
  };
  std::vector<SnowshoeGroup> snowshoe_groups;
};

World build_world(const Scenario& scenario, std::uint64_t seed);

// Name material.
std::string person_local_part(Rng& rng);
std::string random_word(Rng& rng);
IpAddress random_outside_v4(Rng& rng);
IpAddress random_outside_v6(Rng& rng);

}  // namespace botwarden::linksim
