// The [web] section of botwarden.toml: where the HTTP server listens and its
// limits. Every key with its default is in configs/botwarden.toml.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sensor/common/config.hpp"

namespace botwarden::web {

struct ListenEndpoint {
  IpAddress address;
  std::uint16_t port = 0;  // 0: an ephemeral port (tests)
  bool tls = false;
  // "127.0.0.1:8080", "[::1]:8443"
  std::string to_string() const;
  // Parses "address:port" or "[v6address]:port"; nullopt otherwise.
  static std::optional<ListenEndpoint> parse(std::string_view text, bool tls);
};

struct WebConfig {
  std::vector<ListenEndpoint> listen;      // plain HTTP and HTTPS endpoints
  std::string tls_certificate;             // PEM chain; required when an HTTPS endpoint is configured
  std::string tls_private_key;             // PEM key
  unsigned threads = 4;                    // handler threads (handlers may block on SQLite)
  std::size_t header_limit_bytes = 8192;   // request line + headers; more -> 431
  std::uint64_t body_limit_bytes = 65536;  // default request body limit; more -> 413 (routes may raise it)
  unsigned read_timeout_seconds = 30;      // per request (header and body), and idle keep-alive
  unsigned write_timeout_seconds = 30;     // per response
  unsigned shutdown_grace_seconds = 10;    // in-flight requests may finish this long after stop
  std::vector<Prefix> trusted_proxies;     // peers whose X-Forwarded-For is believed
};

// Reads [web]; absent keys keep the defaults above (listen: 127.0.0.1:8080).
// Throws ConfigError naming file, line and key.
WebConfig load_web_config(const ConfigFile& file);

}  // namespace botwarden::web
