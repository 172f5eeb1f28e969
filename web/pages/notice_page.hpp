// The walled-garden notice (RFC 6108 practice): answers any host and path,
// finds the subscriber by the client address (lease at now -> account ->
// that account's open incident) and shows only that incident; the
// "I have cleaned my computer" form releases it through the incident state
// machine (actor: the subscriber). The cleanup link /cleanup/{token} opens
// the same incident from any network. Everything else gets a neutral page
// that reveals nothing.
#pragma once
#include <memory>
#include <optional>

#include "web/pages/pages.hpp"
#include "web/pages/render.hpp"
#include "web/pages/security.hpp"

namespace botwarden::web {

inline constexpr std::string_view kAcknowledgePath = "/walled-garden/acknowledge";
inline constexpr std::string_view kCleanupPrefix = "/cleanup/";

class NoticePages {
 public:
  NoticePages(std::shared_ptr<const PagesDeps> deps, std::shared_ptr<const FormTokens> tokens);

  // GET/HEAD of any host and path (the router's fallback); other methods: 405.
  Response page(const Request& request, const RequestContext& context) const;
  // POST /walled-garden/acknowledge (form: csrf, confirm=yes).
  Response acknowledge(const Request& request, const RequestContext& context) const;
  // GET or POST /cleanup/{32 hex token}.
  Response cleanup(const Request& request, const RequestContext& context) const;

 private:
  struct Found {
    store::IncidentRecord incident;
    std::string language;
  };
  std::optional<Found> by_address(const IpAddress& client, Micros now) const;
  std::optional<Found> by_token(std::string_view token) const;
  std::string language_of(const std::optional<std::string>& account) const;
  Response show(const Request& request, const RequestContext& context, const Found& found, const std::string& action,
                const std::string& error, Status status) const;
  Response release(const Request& request, const RequestContext& context, const std::optional<Found>& found,
                   const std::string& page_path) const;
  Response neutral(const Request& request, Status status, std::string_view language) const;
  Response message(const Request& request, Status status, std::string_view language, std::string_view heading_key,
                   std::string_view text_key, bool show_support, const std::string& back) const;
  Data support_data(Data data) const;
  Micros now() const;

  std::shared_ptr<const PagesDeps> deps_;
  std::shared_ptr<const FormTokens> tokens_;
};

}  // namespace botwarden::web
