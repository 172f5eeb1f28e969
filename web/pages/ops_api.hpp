// The JSON ops API, for the same operations as the console:
//   GET  /api/v1/incidents?state=&detector=&account=&since=&until=&limit=&offset=
//        200 {"incidents": [...], "total": N, "limit": L, "offset": O}
//   GET  /api/v1/incidents/{id}
//        200 {incident..., "events": [...], "notices": [...], "transitions": [...]}
//   POST /api/v1/incidents/{id}/actions  {"action": "release", "reason": "..."}
//        200 {"applied": true, "from": "...", "to": "...", "message": "..."}
//        409 refused by the state machine; 403 role may not; 400 bad body; 404 no incident
//   GET  /api/v1/report?from=&to=&period=&format=json|csv   (needs PagesDeps::report)
//        200 the metrics report (docs/METRICS.md); 400 {"error": "<parameter>: ..."}
// Authorization: Bearer <a [[pages.api_tokens]] token>; 401 otherwise.
// Errors: {"error": "..."}.
#pragma once
#include <memory>

#include "web/pages/pages.hpp"

namespace botwarden::web {

class OpsApi {
 public:
  explicit OpsApi(std::shared_ptr<const PagesDeps> deps);
  Response list(const Request& request, const RequestContext& context) const;      // GET /api/v1/incidents
  Response incident(const Request& request, const RequestContext& context) const;  // /api/v1/incidents/{id}[/actions]
  Response report(const Request& request, const RequestContext& context) const;    // GET /api/v1/report

 private:
  const ApiToken* authenticate(const Request& request) const;
  Micros now() const;
  std::shared_ptr<const PagesDeps> deps_;
};

}  // namespace botwarden::web
