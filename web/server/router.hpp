// Routes: method + exact path or path prefix -> handler, plus a fallback for
// everything else (the walled-garden page answers any host and path).
// Router::handle is a pure function, tested without sockets; the server calls
// it from its handler thread pool, so handlers may block (SQLite).
//
//   web::Router router;
//   router.add(Verb::get, "/healthz", [](const Request& q, const RequestContext&) {
//     return web::make_response(q, Status::ok, "ok\n");
//   });
//   router.add_prefix(Verb::get, "/static/", serve_static);
//   router.add(Verb::post, "/api/v1/events", events, {.body_limit = 1 << 20});
//   router.set_fallback(walled_garden_page);
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "web/server/http.hpp"

namespace botwarden::web {

using Handler = std::function<Response(const Request&, const RequestContext&)>;

struct RouteOptions {
  // Overrides WebConfig::body_limit_bytes for this route (e.g. event batches).
  std::optional<std::uint64_t> body_limit;
};

class Router {
 public:
  // Exact path (no query). Registering the same method+path twice throws std::logic_error.
  void add(Verb method, std::string path, Handler handler, RouteOptions options = {});
  // Every path starting with `prefix`; the longest matching prefix wins, an exact route beats any prefix.
  void add_prefix(Verb method, std::string prefix, Handler handler, RouteOptions options = {});
  // Handles any request no route matches (any method). Without one: 404.
  void set_fallback(Handler handler, RouteOptions options = {});

  // 404 when nothing matches (no fallback); 405 with Allow when the path
  // matches but the method does not; HEAD falls back to the GET handler.
  // A handler that throws gives a 500 (the exception is logged).
  Response handle(const Request& request, const RequestContext& context) const;
  // The body limit for a request (before its body is read).
  std::uint64_t body_limit(Verb method, std::string_view path, std::uint64_t default_limit) const;

 private:
  struct Route {
    Verb method;
    std::string path;
    bool prefix;
    Handler handler;
    RouteOptions options;
  };
  // The route for method+path, or nullptr; `path_known` tells whether any method matches the path.
  const Route* find(Verb method, std::string_view path, bool& path_known, std::string* allow) const;

  std::vector<Route> routes_;
  std::optional<Route> fallback_;
};

}  // namespace botwarden::web
