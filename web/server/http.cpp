// Response builders and client-address resolution behind trusted proxies.
#include "web/server/http.hpp"

#include <stdexcept>

#include "web/server/html.hpp"

namespace botwarden::web {

Response make_response(const Request& request, Status status, std::string body, std::string_view content_type) {
  Response response{status, request.version()};
  response.set(beast_http::field::content_type, content_type);
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response make_error(const Request& request, Status status) {
  return make_response(request, status,
                       std::to_string(static_cast<unsigned>(status)) + " " +
                           std::string(beast_http::obsolete_reason(status)) + "\n");
}

Response make_redirect(const Request& request, std::string_view location, Status status) {
  auto response = make_response(request, status, "");
  response.set(beast_http::field::location, checked_header_value("Location", location));
  return response;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (text[i] == '%') {
      if (text.size() - i < 3) return std::nullopt;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

IpAddress client_address(const IpAddress& peer, std::string_view forwarded_for, const PrefixSet& trusted_proxies) {
  if (forwarded_for.empty() || !trusted_proxies.contains(peer)) return peer;
  // X-Forwarded-For: client, proxy1, proxy2 — each proxy appends the address
  // it saw. Walk from the right past our own proxies; the first other
  // address is the client as far as anyone trustworthy knows.
  IpAddress client = peer;
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    std::string_view item = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    const auto address = IpAddress::parse(item);
    if (!address) return client;  // garbage: stop at the last address we could vouch for
    client = *address;
    if (!trusted_proxies.contains(client)) return client;
  }
  return client;
}

}  // namespace botwarden::web
