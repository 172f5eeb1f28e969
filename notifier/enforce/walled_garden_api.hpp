// GET /api/v1/walled-garden: who is walled now, as JSON (ruleset.hpp's
// render_walled_garden_json). A pure function from request to response.
// The answer names accounts and their addresses, so only clients inside
// [enforce] api_allow (default loopback) get it; others get 403.
#pragma once
#include <functional>

#include "notifier/enforce/enforce_config.hpp"
#include "notifier/store/store.hpp"
#include "web/server/http.hpp"

namespace botwarden::enforce {

class WalledGardenApi {
 public:
  WalledGardenApi(store::Store& store, EnforceConfig config, std::function<Micros()> clock);
  // 200 application/json; 403 for a client outside api_allow; 405 for other methods.
  web::Response handle_get(const web::Request& request, const web::RequestContext& context) const;

 private:
  store::Store& store_;
  EnforceConfig config_;
  PrefixSet allowed_;
  std::function<Micros()> clock_;
};

}  // namespace botwarden::enforce
