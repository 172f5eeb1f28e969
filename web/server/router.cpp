// Route matching and the pure request -> response path.
#include "web/server/router.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace botwarden::web {

void Router::add(Verb method, std::string path, Handler handler, RouteOptions options) {
  for (const auto& r : routes_) {
    if (!r.prefix && r.method == method && r.path == path) {
      throw std::logic_error("route " + std::string(beast_http::to_string(method)) + " " + path + " registered twice");
    }
  }
  routes_.push_back(Route{method, std::move(path), false, std::move(handler), options});
}

void Router::add_prefix(Verb method, std::string prefix, Handler handler, RouteOptions options) {
  routes_.push_back(Route{method, std::move(prefix), true, std::move(handler), options});
}

void Router::set_fallback(Handler handler, RouteOptions options) {
  fallback_ = Route{Verb::unknown, "", true, std::move(handler), options};
}

const Router::Route* Router::find(Verb method, std::string_view path, bool& path_known, std::string* allow) const {
  path_known = false;
  // An exact route of any method beats prefixes: collect the methods of the best match.
  const Route* best = nullptr;
  std::size_t best_length = 0;
  bool best_exact = false;
  for (const auto& r : routes_) {
    const bool matches = r.prefix ? path.starts_with(r.path) : path == r.path;
    if (!matches) continue;
    const bool better = best == nullptr || (!r.prefix && !best_exact) ||
                        (r.prefix && !best_exact && r.path.size() > best_length);
    if (better) {
      best = &r;
      best_length = r.path.size();
      best_exact = !r.prefix;
    }
  }
  if (!best) return nullptr;
  path_known = true;
  const Route* found = nullptr;
  const Route* get = nullptr;
  for (const auto& r : routes_) {
    if (r.prefix != !best_exact || r.path != best->path) continue;
    if (allow) {
      if (!allow->empty()) *allow += ", ";
      *allow += std::string(beast_http::to_string(r.method));
    }
    if (r.method == method) found = &r;
    if (r.method == Verb::get) get = &r;
  }
  if (!found && method == Verb::head && get) {
    found = get;
  }
  if (allow && get && allow->find("HEAD") == std::string::npos) *allow += ", HEAD";
  return found;
}

Response Router::handle(const Request& request, const RequestContext& context) const {
  bool path_known = false;
  std::string allow;
  const Route* route = find(request.method(), context.path, path_known, &allow);
  if (!route && !path_known && fallback_) route = &*fallback_;
  if (!route) {
    if (!path_known) return make_error(request, Status::not_found);
    auto response = make_error(request, Status::method_not_allowed);
    response.set(beast_http::field::allow, allow);
    return response;
  }
  try {
    return route->handler(request, context);
  } catch (const std::exception& e) {
    spdlog::error("request {}: handler for {} failed: {}", context.request_id, route->path, e.what());
  } catch (...) {
    spdlog::error("request {}: handler for {} failed with a non-standard exception", context.request_id, route->path);
  }
  return make_error(request, Status::internal_server_error);
}

std::uint64_t Router::body_limit(Verb method, std::string_view path, std::uint64_t default_limit) const {
  bool path_known = false;
  const Route* route = find(method, path, path_known, nullptr);
  if (!route && !path_known && fallback_) route = &*fallback_;
  return route && route->options.body_limit ? *route->options.body_limit : default_limit;
}

}  // namespace botwarden::web
