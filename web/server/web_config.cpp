// [web] section parsing: endpoints, TLS files, limits, trusted proxies.
#include "web/server/web_config.hpp"

#include <algorithm>
#include <charconv>

namespace botwarden::web {

std::string ListenEndpoint::to_string() const {
  const auto a = address.to_string();
  return (address.is_v4() ? a : "[" + a + "]") + ":" + std::to_string(port);
}

std::optional<ListenEndpoint> ListenEndpoint::parse(std::string_view text, bool tls) {
  std::string_view host;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  const auto address = IpAddress::parse(host);
  if (!address || (text.starts_with('[') == address->is_v4())) return std::nullopt;
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return std::nullopt;
  }
  return ListenEndpoint{*address, static_cast<std::uint16_t>(port), tls};
}

WebConfig load_web_config(const ConfigFile& file) {
  WebConfig c;
  auto s = file.section("web");
  auto endpoints = [&](std::string_view key, std::vector<std::string> fallback, bool tls) {
    for (const auto& text : s.get_strings(key, std::move(fallback))) {
      const auto e = ListenEndpoint::parse(text, tls);
      if (!e) s.fail(key, "'" + text + "' is not address:port (e.g. 127.0.0.1:8080 or [::1]:8443)");
      c.listen.push_back(*e);
    }
  };
  endpoints("listen", {"127.0.0.1:8080"}, false);
  endpoints("tls_listen", {}, true);
  if (c.listen.empty()) s.fail("listen", "no endpoint to listen on: listen and tls_listen are both empty");
  const bool any_tls = std::any_of(c.listen.begin(), c.listen.end(), [](const auto& e) { return e.tls; });
  if (any_tls) {
    if (!s.has("tls_certificate")) s.fail("tls_certificate", "required when tls_listen is set (a PEM certificate chain)");
    if (!s.has("tls_private_key")) s.fail("tls_private_key", "required when tls_listen is set (a PEM private key)");
  }
  c.tls_certificate = s.get_existing_file("tls_certificate", "");
  c.tls_private_key = s.get_existing_file("tls_private_key", "");
  c.threads = static_cast<unsigned>(s.get_int("threads", c.threads, 1, 256));
  c.header_limit_bytes = static_cast<std::size_t>(s.get_int("header_limit_bytes", 8192, 1024, 1 << 20));
  c.body_limit_bytes = static_cast<std::uint64_t>(s.get_int("body_limit_bytes", 65536, 0, 1ll << 30));
  c.read_timeout_seconds = static_cast<unsigned>(s.get_int("read_timeout_seconds", 30, 1, 3600));
  c.write_timeout_seconds = static_cast<unsigned>(s.get_int("write_timeout_seconds", 30, 1, 3600));
  c.shutdown_grace_seconds = static_cast<unsigned>(s.get_int("shutdown_grace_seconds", 10, 0, 3600));
  c.trusted_proxies = s.get_prefixes("trusted_proxies", {});
  s.finish();
  return c;
}

}  // namespace botwarden::web
