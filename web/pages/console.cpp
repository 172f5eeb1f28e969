// Ops console pages and actions.
#include "web/pages/console.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

#include "web/pages/incident_query.hpp"
#include "web/pages/operator_actions.hpp"
#include "web/pages/render.hpp"

namespace botwarden::web {

namespace {

constexpr Micros kMinute = 60 * kMicrosPerSecond;
constexpr Micros kLoginWindow = 15 * kMinute;

std::string time_text(Micros t) { return format_rfc3339(t); }
std::string time_text(const std::optional<Micros>& t) { return t ? format_rfc3339(*t) : ""; }

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::optional<store::IncidentId> parse_id(std::string_view text) {
  store::IncidentId id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

std::string form_field(const std::optional<std::map<std::string, std::string, std::less<>>>& form,
                       std::string_view name) {
  if (!form) return "";
  const auto it = form->find(name);
  return it == form->end() ? "" : it->second;
}

Data string_list(const nlohmann::json& evidence, const char* key) {
  Data list{Data::type::list};
  const auto it = evidence.find(key);
  if (it == evidence.end() || !it->is_array()) return list;
  for (const auto& v : *it) {
    if (v.is_string()) list.push_back(v.get<std::string>());
  }
  return list;
}

std::string number_text(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return "?";
  return it->dump();
}

std::string query_string(const IncidentQuery& q, std::size_t page) {
  std::string out = "/console/incidents?page=" + std::to_string(page);
  const auto add = [&](const char* key, const std::optional<std::string>& value) {
    if (!value) return;
    out += std::string("&") + key + "=";
    for (const unsigned char c : *value) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':') {
        out += static_cast<char>(c);
      } else {
        static constexpr char hex[] = "0123456789ABCDEF";
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
  };
  add("state", q.state ? std::optional<std::string>(std::string(incident::to_string(*q.state))) : std::nullopt);
  add("detector", q.detector);
  add("account", q.account);
  add("since", q.since ? std::optional<std::string>(format_rfc3339(*q.since)) : std::nullopt);
  add("until", q.until ? std::optional<std::string>(format_rfc3339(*q.until)) : std::nullopt);
  return out;
}

}  // namespace

Console::Console(std::shared_ptr<const PagesDeps> deps, std::shared_ptr<const FormTokens> tokens)
    : deps_(std::move(deps)),
      tokens_(std::move(tokens)),
      sessions_(deps_->config.session_idle_minutes * kMinute, deps_->config.session_max_hours * 60 * kMinute),
      limiter_(deps_->config.login_failures_allowed, kLoginWindow),
      dummy_hash_(deps_->config.users.empty() ? "" : deps_->config.users.front().password_hash) {}

Micros Console::now() const { return deps_->clock ? deps_->clock() : system_clock_now(); }

std::optional<Session> Console::session_of(const Request& request) {
  const auto id = cookie_value(request, kSessionCookie);
  if (!id || id->size() != 64) return std::nullopt;
  return sessions_.find(*id, now());
}

Data Console::header_data(const Session& session) const {
  Data data{Data::type::object};
  data.set("user", session.user);
  data.set("role", std::string(to_string(session.role)));
  data.set("csrf", session.csrf);
  data.set("has_report", deps_->report != nullptr);
  return data;
}

Response Console::login_page(const Request& request, const RequestContext& context, Status status,
                             const std::string& error, const std::string& name) const {
  Data data{Data::type::object};
  data.set("csrf", tokens_->issue("login|" + context.client.to_string(), now()));
  if (!error.empty()) data.set("error", error);
  data.set("name", name);
  return html_response(request, status, render_page("login", "en", "Log in: botwarden console", data));
}

Response Console::login_form(const Request& request, const RequestContext& context) const {
  return login_page(request, context, Status::ok, "", "");
}

Response Console::login(const Request& request, const RequestContext& context) {
  const Micros t = now();
  const auto form = parse_form(request.body());
  const auto name = form_field(form, "name");
  const auto password = form_field(form, "password");
  if (!tokens_->verify(form_field(form, "csrf"), "login|" + context.client.to_string(), t)) {
    return login_page(request, context, Status::forbidden,
                      "This form has expired or was not sent from this page. Please try again.", name);
  }
  const std::string address_key = "address|" + context.client.to_string();
  const std::string name_key = "name|" + name;
  if (limiter_.blocked(address_key, t) || limiter_.blocked(name_key, t)) {
    auto response = login_page(request, context, Status::too_many_requests,
                               "Too many failed logins. Try again in 15 minutes.", name);
    response.set(beast_http::field::retry_after, "900");
    return response;
  }
  const auto* user = deps_->config.find_user(name);
  // Verify against a real hash even for unknown names: the answer takes as long.
  bool ok = false;
  if (user) {
    ok = verify_password(user->password_hash, password);
  } else if (!dummy_hash_.empty()) {
    (void)verify_password(dummy_hash_, password);
  }
  if (!ok) {
    limiter_.failed(address_key, t);
    limiter_.failed(name_key, t);
    return login_page(request, context, Status::unauthorized, "Wrong name or password.", name);
  }
  limiter_.succeeded(name_key);
  const auto session = sessions_.create(user->name, user->role, random_hex(32), t);
  auto response = make_redirect(request, "/console/incidents");
  std::string cookie = std::string(kSessionCookie) + "=" + session.id + "; Path=/console; HttpOnly; SameSite=Strict; Max-Age=" +
                       std::to_string(deps_->config.session_max_hours * 3600);
  if (context.tls) cookie += "; Secure";
  response.set(beast_http::field::set_cookie, cookie);
  response.set(beast_http::field::cache_control, "no-store");
  return response;
}

Response Console::logout(const Request& request, const RequestContext& context) {
  (void)context;
  const auto session = session_of(request);
  const auto form = parse_form(request.body());
  if (!session || !constant_time_equal(form_field(form, "csrf"), session->csrf)) {
    return html_response(request, Status::forbidden,
                         render_page("message", "en", "Forbidden", [] {
                           Data d{Data::type::object};
                           d.set("heading", "Forbidden");
                           Data p{Data::type::list};
                           p.push_back("No valid session or form token.");
                           d.set("paragraphs", p);
                           return d;
                         }()));
  }
  sessions_.remove(session->id);
  auto response = make_redirect(request, "/console/login");
  response.set(beast_http::field::set_cookie,
               std::string(kSessionCookie) + "=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0");
  return response;
}

Response Console::home(const Request& request, const RequestContext& context) {
  (void)context;
  if (context.path == "/console" || context.path == "/console/") return make_redirect(request, "/console/incidents");
  auto response = make_error(request, Status::not_found);
  response.set(beast_http::field::cache_control, "no-store");
  return response;
}

Response Console::report(const Request& request, const RequestContext& context) {
  const auto session = session_of(request);
  if (!session) return make_redirect(request, "/console/login");
  ReportQuery query;
  try {
    query = deps_->report->parse_query(context.query, kReportPageFormats);
  } catch (const ReportQueryError& e) {
    Data data = header_data(*session);
    data.set("heading", "Report");
    data.set("error", std::string(e.what()));
    data.set("back", "/console/report");
    data.set("back_text", "This month's report");
    return html_response(request, Status::bad_request, render_page("console_message", "en", "Report: botwarden console", data));
  }
  const ReportConsole chrome{session->user, std::string(to_string(session->role)), session->csrf,
                             query.from,    query.to,                              query.length};
  const auto figures = deps_->report->compute(query.period);
  // JSON and CSV as the ops API gives them; the page with the console's headers.
  if (query.format != "html") return report_response(request, figures, query.format);
  return html_response(request, Status::ok, render_report_html(figures, &chrome));
}

Response Console::incidents(const Request& request, const RequestContext& context) {
  const auto session = session_of(request);
  if (!session) return make_redirect(request, "/console/login");
  Data data = header_data(*session);
  IncidentQuery query;
  const auto params = parse_form(context.query);
  Status status = Status::ok;
  try {
    if (!params) throw std::invalid_argument("the query string is malformed");
    query = parse_incident_query(*params);
  } catch (const std::invalid_argument& e) {
    data.set("error", std::string(e.what()));
    status = Status::bad_request;
    query = IncidentQuery{};
  }
  const auto page = run_incident_query(deps_->store, query);
  Data states{Data::type::list};
  for (const auto s : incident::all_states()) {
    Data item{Data::type::object};
    item.set("name", std::string(incident::to_string(s)));
    item.set("selected", query.state == s);
    states.push_back(item);
  }
  data.set("states", states);
  Data detectors{Data::type::list};
  for (const char* d : {"bad_helo", "direct_to_mx", "snowshoe"}) {
    Data item{Data::type::object};
    item.set("name", d);
    item.set("selected", query.detector == d);
    detectors.push_back(item);
  }
  data.set("detectors", detectors);
  data.set("account", query.account.value_or(""));
  data.set("since", query.since ? format_rfc3339(*query.since) : "");
  data.set("until", query.until ? format_rfc3339(*query.until) : "");
  Data rows{Data::type::list};
  for (const auto& r : page.incidents) {
    Data row{Data::type::object};
    row.set("id", std::to_string(r.id));
    row.set("state", std::string(incident::to_string(r.state)));
    row.set("account", r.account.value_or("(unattributed)"));
    row.set("subscriber", r.subscriber);
    row.set("detectors", join(r.detectors));
    row.set("count", std::to_string(r.detection_count));
    row.set("last", time_text(r.last_detection));
    rows.push_back(row);
  }
  data.set("incidents", rows);
  data.set("total", std::to_string(page.total));
  const std::size_t current = query.offset / query.limit + 1;
  const std::size_t pages = (page.total + query.limit - 1) / query.limit;
  if (pages > 1) {
    data.set("page", std::to_string(current));
    data.set("pages", std::to_string(pages));
  }
  if (current > 1) data.set("prev", query_string(query, current - 1));
  if (current < pages) data.set("next", query_string(query, current + 1));
  return html_response(request, status, render_page("incidents", "en", "Incidents: botwarden console", data));
}

Response Console::detail(const Request& request, const Session& session, store::IncidentId id,
                         const std::string& message, const std::string& error, Status status) {
  const auto r = deps_->store.find_incident(id);
  if (!r) {
    auto response = make_error(request, Status::not_found);
    response.set(beast_http::field::cache_control, "no-store");
    return response;
  }
  Data data = header_data(session);
  if (!message.empty()) data.set("message", message);
  if (!error.empty()) data.set("error", error);
  data.set("id", std::to_string(r->id));
  data.set("state", std::string(incident::to_string(r->state)));
  data.set("state_since", time_text(r->state_since));
  data.set("account", r->account.value_or("(unattributed)"));
  data.set("subscriber", r->subscriber);
  data.set("detectors", join(r->detectors));
  data.set("count", std::to_string(r->detection_count));
  data.set("first", time_text(r->first_detection));
  data.set("last", time_text(r->last_detection));
  data.set("self_releases", std::to_string(r->self_releases));
  data.set("exempt", r->exempt ? "yes" : "no");
  Data actions{Data::type::list};
  for (const auto& a : operator_actions()) {
    if (!may_act(session.role, a)) continue;
    Data item{Data::type::object};
    item.set("name", std::string(a.name));
    item.set("label", std::string(a.label));
    actions.push_back(item);
  }
  data.set("can_act", session.role != Role::viewer);
  data.set("actions", actions);

  Data events{Data::type::list};
  for (const auto& e : deps_->store.events_of_incident(r->id, 200)) {
    Data item{Data::type::object};
    item.set("detector", e.detector);
    item.set("ts", time_text(e.ts));
    item.set("sensor", e.sensor);
    item.set("purged", e.evidence_purged);
    const auto json = nlohmann::json::parse(e.json, nullptr, false);
    const bool object = !json.is_discarded() && json.is_object();
    const auto evidence = object && json.contains("evidence") && json["evidence"].is_object() ? json["evidence"]
                                                                                              : nlohmann::json::object();
    item.set("score", object ? number_text(json, "score") : "?");
    item.set("address", object && json.contains("address") && json["address"].is_string()
                            ? json["address"].get<std::string>()
                            : "");
    item.set("sessions", number_text(evidence, "sessions"));
    item.set("window", number_text(evidence, "window_seconds"));
    item.set("destinations", number_text(evidence, "distinct_destinations"));
    item.set("rejections", number_text(evidence, "rejections_5xx"));
    const auto helos = string_list(evidence, "sample_helos");
    const auto destinations = string_list(evidence, "sample_destinations");
    const auto domains = string_list(evidence, "sample_mailfrom_domains");
    item.set("has_helos", !helos.list_value().empty());
    item.set("helos", helos);
    item.set("has_destinations", !destinations.list_value().empty());
    item.set("destinations_list", destinations);
    item.set("has_domains", !domains.list_value().empty());
    item.set("domains", domains);
    events.push_back(item);
  }
  data.set("events", events);

  Data notices{Data::type::list};
  store::NoticeFilter notice_filter;
  notice_filter.incident_id = r->id;
  for (const auto& n : deps_->store.list_notices(notice_filter)) {
    Data item{Data::type::object};
    item.set("id", std::to_string(n.id));
    item.set("stage", n.stage);
    item.set("to", n.to);
    item.set("status", std::string(store::to_string(n.status)));
    item.set("created", time_text(n.created_at));
    item.set("sent", time_text(n.sent_at));
    item.set("error", n.last_error);
    notices.push_back(item);
  }
  data.set("notices", notices);

  Data audit{Data::type::list};
  for (const auto& t : deps_->store.transitions_of(r->id)) {
    Data item{Data::type::object};
    item.set("at", time_text(t.at));
    item.set("from", t.from ? std::string(incident::to_string(*t.from)) : "");
    item.set("to", std::string(incident::to_string(t.to)));
    item.set("action", t.action);
    item.set("actor", t.actor);
    item.set("kind", std::string(incident::to_string(t.actor_kind)));
    item.set("reason", t.reason);
    audit.push_back(item);
  }
  data.set("audit", audit);
  return html_response(request, status,
                       render_page("incident", "en", "Incident " + std::to_string(r->id) + ": botwarden console", data));
}

Response Console::incident(const Request& request, const RequestContext& context) {
  constexpr std::string_view prefix = "/console/incidents/";
  std::string_view rest = context.path.substr(std::min(context.path.size(), prefix.size()));
  const bool is_action = request.method() == Verb::post;
  if (is_action) {
    if (!rest.ends_with("/actions")) return make_error(request, Status::not_found);
    rest.remove_suffix(std::string_view("/actions").size());
  }
  const auto id = parse_id(rest);
  const auto session = session_of(request);
  if (!session) {
    if (is_action) {
      auto response = make_error(request, Status::forbidden);
      response.set(beast_http::field::cache_control, "no-store");
      return response;
    }
    return make_redirect(request, "/console/login");
  }
  if (!id) return make_error(request, Status::not_found);
  if (!is_action) return detail(request, *session, *id, "", "", Status::ok);

  const auto form = parse_form(request.body());
  if (!constant_time_equal(form_field(form, "csrf"), session->csrf)) {
    return detail(request, *session, *id, "",
                  "This form has expired or was not sent from this page. Please reload and try again.",
                  Status::forbidden);
  }
  const auto outcome = perform_operator_action(deps_->store, deps_->incidents, *id, form_field(form, "action"),
                                               session->user, session->role, form_field(form, "reason"), now());
  using Kind = ActionOutcome::Kind;
  switch (outcome.kind) {
    case Kind::applied: return detail(request, *session, *id, outcome.message, "", Status::ok);
    case Kind::forbidden: return detail(request, *session, *id, "", outcome.message, Status::forbidden);
    case Kind::no_incident: return make_error(request, Status::not_found);
    case Kind::refused: return detail(request, *session, *id, "", outcome.message, Status::conflict);
    case Kind::unknown_action:
    case Kind::bad_reason: return detail(request, *session, *id, "", outcome.message, Status::bad_request);
  }
  return make_error(request, Status::internal_server_error);
}

}  // namespace botwarden::web
