// The ops console (/console/...): login with [[pages.users]] (argon2id),
// session cookie (random id, HttpOnly, SameSite=Strict, Secure on TLS,
// idle and absolute expiry), a CSRF token on every POST, login rate
// limiting, incident list with filters and paging, incident detail
// (evidence, detections, notices, audit log) and operator actions through
// the state machine, audited with the user's name. Viewers cannot act.
#pragma once
#include <memory>
#include <optional>

#include "web/pages/pages.hpp"
#include "web/pages/render.hpp"
#include "web/pages/security.hpp"

namespace botwarden::web {

inline constexpr std::string_view kSessionCookie = "bw_session";

class Console {
 public:
  Console(std::shared_ptr<const PagesDeps> deps, std::shared_ptr<const FormTokens> tokens);

  Response login_form(const Request& request, const RequestContext& context) const;   // GET /console/login
  Response login(const Request& request, const RequestContext& context);              // POST /console/login
  Response logout(const Request& request, const RequestContext& context);             // POST /console/logout
  Response incidents(const Request& request, const RequestContext& context);          // GET /console/incidents
  // GET /console/incidents/{id}, POST /console/incidents/{id}/actions
  Response incident(const Request& request, const RequestContext& context);
  Response home(const Request& request, const RequestContext& context);               // GET /console[/...]
  // GET /console/report?from=&to=&period=&format=html|json|csv (viewer+; needs PagesDeps::report)
  Response report(const Request& request, const RequestContext& context);

  std::size_t session_count() const { return sessions_.size(); }

 private:
  std::optional<Session> session_of(const Request& request);
  Response login_page(const Request& request, const RequestContext& context, Status status, const std::string& error,
                      const std::string& name) const;
  Response detail(const Request& request, const Session& session, store::IncidentId id, const std::string& message,
                  const std::string& error, Status status);
  Data header_data(const Session& session) const;
  Micros now() const;

  std::shared_ptr<const PagesDeps> deps_;
  std::shared_ptr<const FormTokens> tokens_;
  SessionStore sessions_;
  LoginLimiter limiter_;
  std::string dummy_hash_;  // verified against when the name is unknown, so timing does not tell names apart
};

}  // namespace botwarden::web
