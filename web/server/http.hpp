// Request/response types every web handler uses, the per-request context the
// server fills in, and small response builders. Handlers are pure functions
//   Response handler(const Request&, const RequestContext&)
// so routes are tested without sockets (see router.hpp, server.hpp).
#pragma once
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sensor/common/ip.hpp"
#include "sensor/common/time.hpp"

namespace botwarden::web {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;
using Status = beast_http::status;
using Verb = beast_http::verb;

struct RequestContext {
  IpAddress peer;              // the TCP peer
  std::uint16_t peer_port = 0;
  // The client: the peer, or — when the peer is a trusted proxy — the
  // right-most address of X-Forwarded-For that is not a trusted proxy.
  IpAddress client;
  bool tls = false;            // arrived on an HTTPS listener
  std::uint64_t request_id = 0;  // unique within the server run; also sent as X-Request-Id
  Micros received_at = 0;      // when the request header was complete
  std::string_view path;       // target up to '?', as sent (not decoded)
  std::string_view query;      // after '?', empty if none
};

// A response with `body` and Content-Type, keep-alive and version taken
// from the request, Content-Length set.
Response make_response(const Request& request, Status status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");
// "404 Not Found\n"-style text page for a status.
Response make_error(const Request& request, Status status);
// 303 See Other to `location` (rejects CR/LF in location: throws std::invalid_argument).
Response make_redirect(const Request& request, std::string_view location, Status status = Status::see_other);

// Splits a request target into path and query.
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

// %XX escapes decoded; '+' becomes a space when `plus_is_space` (HTML form
// encoding), else stays '+'. nullopt for a broken escape. Written out rather
// than Boost.URL's params_view, which in 1.81 reads past the end of a view
// whose last value is empty ("a=1&b=").
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// The client address for a request from `peer` carrying X-Forwarded-For
// `forwarded_for` (may be empty). Only a peer in `trusted_proxies` is believed.
IpAddress client_address(const IpAddress& peer, std::string_view forwarded_for, const PrefixSet& trusted_proxies);

}  // namespace botwarden::web
