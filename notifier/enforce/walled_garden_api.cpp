// GET /api/v1/walled-garden (see walled_garden_api.hpp).
#include "walled_garden_api.hpp"

#include "notifier/enforce/enforcer.hpp"
#include "notifier/enforce/ruleset.hpp"

namespace botwarden::enforce {

WalledGardenApi::WalledGardenApi(store::Store& store, EnforceConfig config, std::function<Micros()> clock)
    : store_(store), config_(std::move(config)), allowed_(config_.api_allow), clock_(std::move(clock)) {}

web::Response WalledGardenApi::handle_get(const web::Request& request, const web::RequestContext& context) const {
  if (request.method() != web::Verb::get && request.method() != web::Verb::head) {
    auto r = web::make_error(request, web::Status::method_not_allowed);
    r.set(boost::beast::http::field::allow, "GET, HEAD");
    return r;
  }
  if (!allowed_.contains(context.client)) return web::make_error(request, web::Status::forbidden);
  const Micros now = clock_();
  auto r = web::make_response(request, web::Status::ok,
                              render_walled_garden_json(config_, collect_walled(store_, now), now),
                              "application/json");
  r.set(boost::beast::http::field::cache_control, "no-store");
  return r;
}

}  // namespace botwarden::enforce
