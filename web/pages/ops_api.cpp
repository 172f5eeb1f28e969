// JSON ops API handlers.
#include "web/pages/ops_api.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

#include "notifier/incident/incident_json.hpp"
#include "web/pages/incident_query.hpp"
#include "web/pages/operator_actions.hpp"
#include "web/pages/security.hpp"

namespace botwarden::web {

namespace {

Response json_response(const Request& request, Status status, const nlohmann::json& body) {
  auto response = make_response(request, status, body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                                "application/json");
  response.set(beast_http::field::cache_control, "no-store");
  return response;
}

Response json_error(const Request& request, Status status, const std::string& message) {
  return json_response(request, status, {{"error", message}});
}

std::optional<store::IncidentId> parse_id(std::string_view text) {
  store::IncidentId id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

nlohmann::json notice_json(const store::NoticeRecord& n) {
  return {{"id", n.id},
          {"channel", n.channel},
          {"stage", n.stage},
          {"language", n.language},
          {"to", n.to},
          {"subject", n.subject},
          {"status", store::to_string(n.status)},
          {"attempts", n.attempts},
          {"last_error", n.last_error},
          {"created_at", format_rfc3339(n.created_at)},
          {"sent_at", n.sent_at ? nlohmann::json(format_rfc3339(*n.sent_at)) : nlohmann::json(nullptr)}};
}

}  // namespace

OpsApi::OpsApi(std::shared_ptr<const PagesDeps> deps) : deps_(std::move(deps)) {}

Micros OpsApi::now() const { return deps_->clock ? deps_->clock() : system_clock_now(); }

const ApiToken* OpsApi::authenticate(const Request& request) const {
  const auto header = request[beast_http::field::authorization];
  constexpr std::string_view scheme = "Bearer ";
  if (!header.starts_with(scheme)) return nullptr;
  const std::string_view presented = header.substr(scheme.size());
  const ApiToken* match = nullptr;
  for (const auto& t : deps_->config.api_tokens) {
    if (constant_time_equal(presented, t.token)) match = &t;  // no early exit: same time for every token
  }
  return match;
}

Response OpsApi::list(const Request& request, const RequestContext& context) const {
  if (!authenticate(request)) {
    auto response = json_error(request, Status::unauthorized, "missing or wrong bearer token");
    response.set(beast_http::field::www_authenticate, "Bearer");
    return response;
  }
  const auto params = parse_form(context.query);
  if (!params) return json_error(request, Status::bad_request, "the query string is malformed");
  IncidentQuery query;
  try {
    query = parse_incident_query(*params);
  } catch (const std::invalid_argument& e) {
    return json_error(request, Status::bad_request, e.what());
  }
  const auto page = run_incident_query(deps_->store, query);
  auto incidents = nlohmann::json::array();
  for (const auto& r : page.incidents) incidents.push_back(incident::to_json(r));
  return json_response(request, Status::ok,
                       {{"incidents", incidents}, {"total", page.total}, {"limit", query.limit}, {"offset", query.offset}});
}

Response OpsApi::report(const Request& request, const RequestContext& context) const {
  if (!authenticate(request)) {
    auto response = json_error(request, Status::unauthorized, "missing or wrong bearer token");
    response.set(beast_http::field::www_authenticate, "Bearer");
    return response;
  }
  ReportQuery query;
  try {
    query = deps_->report->parse_query(context.query, kReportApiFormats);
  } catch (const ReportQueryError& e) {
    return json_error(request, Status::bad_request, e.what());
  }
  return report_response(request, deps_->report->compute(query.period), query.format);
}

Response OpsApi::incident(const Request& request, const RequestContext& context) const {
  const auto* token = authenticate(request);
  if (!token) {
    auto response = json_error(request, Status::unauthorized, "missing or wrong bearer token");
    response.set(beast_http::field::www_authenticate, "Bearer");
    return response;
  }
  constexpr std::string_view prefix = "/api/v1/incidents/";
  std::string_view rest = context.path.substr(std::min(context.path.size(), prefix.size()));
  const bool is_action = request.method() == Verb::post;
  if (is_action) {
    if (!rest.ends_with("/actions")) return json_error(request, Status::not_found, "no such resource");
    rest.remove_suffix(std::string_view("/actions").size());
  }
  const auto id = parse_id(rest);
  if (!id) return json_error(request, Status::not_found, "no such resource");

  if (!is_action) {
    const auto r = deps_->store.find_incident(*id);
    if (!r) return json_error(request, Status::not_found, "no incident " + std::to_string(*id));
    auto out = incident::to_json(*r);
    out["events"] = nlohmann::json::array();
    for (const auto& e : deps_->store.events_of_incident(*id, 1000)) {
      auto event = nlohmann::json::parse(e.json, nullptr, false);
      out["events"].push_back(event.is_discarded() ? nlohmann::json{{"id", e.id}} : event);
    }
    out["notices"] = nlohmann::json::array();
    store::NoticeFilter filter;
    filter.incident_id = *id;
    for (const auto& n : deps_->store.list_notices(filter)) out["notices"].push_back(notice_json(n));
    out["transitions"] = nlohmann::json::array();
    for (const auto& t : deps_->store.transitions_of(*id)) out["transitions"].push_back(incident::to_json(t));
    return json_response(request, Status::ok, out);
  }

  const auto body = nlohmann::json::parse(request.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("action") || !body["action"].is_string() ||
      !body.contains("reason") || !body["reason"].is_string()) {
    return json_error(request, Status::bad_request,
                      "expected a JSON object {\"action\": \"release\", \"reason\": \"why\"}");
  }
  const auto outcome = perform_operator_action(deps_->store, deps_->incidents, *id, body["action"].get<std::string>(),
                                               token->name, token->role, body["reason"].get<std::string>(), now());
  using Kind = ActionOutcome::Kind;
  switch (outcome.kind) {
    case Kind::applied:
      return json_response(request, Status::ok,
                           {{"applied", true}, {"from", outcome.from}, {"to", outcome.to}, {"message", outcome.message}});
    case Kind::refused:
      return json_response(request, Status::conflict,
                           {{"applied", false}, {"from", outcome.from}, {"to", outcome.to}, {"error", outcome.message}});
    case Kind::forbidden: return json_error(request, Status::forbidden, outcome.message);
    case Kind::no_incident: return json_error(request, Status::not_found, outcome.message);
    case Kind::unknown_action:
    case Kind::bad_reason: return json_error(request, Status::bad_request, outcome.message);
  }
  return json_error(request, Status::internal_server_error, "internal error");
}

}  // namespace botwarden::web
