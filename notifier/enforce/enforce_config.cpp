// Validation of the [enforce] section (see enforce_config.hpp).
#include "enforce_config.hpp"

#include <charconv>

namespace botwarden::enforce {

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  const auto address = IpAddress::parse(host);
  if (!address) return std::nullopt;
  if (!text.empty() && (text.front() == '[') == address->is_v4()) return std::nullopt;  // [v6] only
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) return std::nullopt;
  return Endpoint{*address, static_cast<std::uint16_t>(value)};
}

std::string Endpoint::to_string() const {
  return address.is_v4() ? address.to_string() + ":" + std::to_string(port)
                         : "[" + address.to_string() + "]:" + std::to_string(port);
}

EnforceConfig load_enforce_config(const ConfigFile& file) {
  EnforceConfig c;
  auto s = file.section("enforce");
  c.enabled = s.get_bool("enabled", c.enabled);
  c.nft_file = s.get_path("nft_file", c.nft_file);
  c.ipset_file = s.get_path("ipset_file", c.ipset_file);
  const std::string page = s.get_string("notice_page", c.notice_page.to_string());
  const auto endpoint = Endpoint::parse(page);
  if (!endpoint || !endpoint->address.is_v4())
    s.fail("notice_page", "'" + page + "' is not an IPv4 address:port such as \"198.51.100.80:80\"");
  c.notice_page = *endpoint;
  const std::string page6 = s.get_string("notice_page6", "");
  if (!page6.empty()) {
    const auto e6 = Endpoint::parse(page6);
    if (!e6 || e6->address.is_v4())
      s.fail("notice_page6", "'" + page6 + "' is not an [IPv6 address]:port such as \"[2001:db8::80]:80\"");
    c.notice_page6 = *e6;
  }
  c.allow = s.get_prefixes("allow", {});
  for (const auto& p : c.allow)
    if (p.length == 0) s.fail("allow", "'" + p.to_string() + "' would allow everything; list addresses and prefixes");
  c.apply_command = s.get_strings("apply_command", c.apply_command);
  if (c.apply_command.empty() || c.apply_command.front().empty())
    s.fail("apply_command", "must name a program, e.g. [\"nft\", \"-f\", \"{file}\"]");
  c.block = s.get_choice("block", "reject", {"reject", "drop"}) == "drop" ? BlockAction::drop : BlockAction::reject;
  c.poll_seconds = s.get_double("poll_seconds", c.poll_seconds, 0.1, 3600);
  c.apply_timeout_seconds = s.get_double("apply_timeout_seconds", c.apply_timeout_seconds, 0.1, 3600);
  c.api_allow = s.get_prefixes("api_allow", c.api_allow);
  s.finish();
  return c;
}

}  // namespace botwarden::enforce
