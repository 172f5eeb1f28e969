// The [enforce] section of botwarden.toml: where the walled-garden files go,
// the notice page walled web traffic is sent to, the allow-list (addresses
// and prefixes only, never names), and the command that applies the ruleset.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sensor/common/config.hpp"
#include "sensor/common/ip.hpp"

namespace botwarden::enforce {

struct Endpoint {
  IpAddress address;
  std::uint16_t port = 80;
  // "192.0.2.80:8080" or "[2001:db8::80]:8080"; nullopt when invalid.
  static std::optional<Endpoint> parse(std::string_view text);
  std::string to_string() const;
};

enum class BlockAction { reject, drop };

struct EnforceConfig {
  bool enabled = false;
  std::string nft_file = "walled-garden.nft";      // relative to the config file
  std::string ipset_file = "walled-garden.ipset";
  Endpoint notice_page{IpAddress::v4(0xC6336450u), 80};  // 198.51.100.80:80
  std::optional<Endpoint> notice_page6;            // absent: walled IPv6 web traffic is blocked, not redirected
  std::vector<Prefix> allow;                       // DNS, cleanup page, AV/OS updates, support, voice (RFC 6561)
  std::vector<std::string> apply_command{"nft", "-f", "{file}"};  // {file} -> nft_file; no shell
  BlockAction block = BlockAction::reject;         // reject: TCP reset / ICMP admin-prohibited
  double poll_seconds = 2.0;                       // how often the enforcer looks for changes
  double apply_timeout_seconds = 30.0;             // apply_command is killed after this long
  // Clients allowed to read GET /api/v1/walled-garden (account ids and their
  // addresses: personal data). Default: loopback only.
  std::vector<Prefix> api_allow{Prefix{IpAddress::v4(0x7F000001u), 32}, Prefix{*IpAddress::parse("::1"), 128}};
};

// Throws ConfigError (file:line: enforce.key: message).
EnforceConfig load_enforce_config(const ConfigFile& file);

}  // namespace botwarden::enforce
