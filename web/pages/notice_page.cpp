// Walled-garden notice, self-release and cleanup link.
#include "web/pages/notice_page.hpp"

#include <nlohmann/json.hpp>

#include <set>

#include "notifier/notices/locale.hpp"
#include "web/pages/render.hpp"

namespace botwarden::web {

namespace {

constexpr std::size_t kMaxHelosShown = 10;
constexpr Micros kThirtyDays = 30LL * 24 * 3600 * kMicrosPerSecond;

bool is_token(std::string_view text) {
  if (text.size() != 32) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string replace_all(std::string text, std::string_view from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string string_of(const Data& strings, const std::string& key) {
  const auto* value = strings.get(key);
  return value && value->is_string() ? value->string_value() : std::string();
}

std::string ack_binding(store::IncidentId id, const IpAddress& client) {
  return "ack|" + std::to_string(id) + "|" + client.to_string();
}

}  // namespace

NoticePages::NoticePages(std::shared_ptr<const PagesDeps> deps, std::shared_ptr<const FormTokens> tokens)
    : deps_(std::move(deps)), tokens_(std::move(tokens)) {}

Micros NoticePages::now() const { return deps_->clock ? deps_->clock() : system_clock_now(); }

std::string NoticePages::language_of(const std::optional<std::string>& account) const {
  if (!account) return "en";
  const auto a = deps_->store.find_account(*account);
  return page_language(a ? a->language : "en");
}

std::optional<NoticePages::Found> NoticePages::by_address(const IpAddress& client, Micros t) const {
  // The subscriber unit: an IPv4 address, or the /64 of an IPv6 address.
  const unsigned length = client.is_v4() ? 32 : 64;
  const auto lease = deps_->store.lookup_lease(Prefix{client.masked(length), length}, t);
  if (!lease) return std::nullopt;
  const auto r = deps_->store.find_open_incident("account:" + lease->account);
  if (!r || r->exempt) return std::nullopt;
  return Found{*r, language_of(r->account)};
}

std::optional<NoticePages::Found> NoticePages::by_token(std::string_view token) const {
  if (!is_token(token)) return std::nullopt;
  const auto r = deps_->store.find_incident_by_token(token);
  if (!r || r->exempt || !incident::is_open(r->state)) return std::nullopt;
  return Found{*r, language_of(r->account)};
}

Data NoticePages::support_data(Data data) const {
  const auto& c = deps_->config;
  data.set("isp_name", c.isp_name);
  data.set("has_support", !c.support_phone.empty() || !c.support_email.empty() || !c.support_url.empty());
  if (!c.support_phone.empty()) data.set("support_phone", c.support_phone);
  if (!c.support_email.empty()) data.set("support_email", c.support_email);
  if (!c.support_url.empty()) data.set("support_url", c.support_url);
  return data;
}

Response NoticePages::neutral(const Request& request, Status status, std::string_view language) const {
  Data data{Data::type::object};
  const auto strings = page_strings(language);
  data.set("t", strings);
  data = support_data(std::move(data));
  return html_response(request, status,
                       render_page("neutral", page_language(language), string_of(strings, "neutral_heading"), data));
}

Response NoticePages::message(const Request& request, Status status, std::string_view language,
                              std::string_view heading_key, std::string_view text_key, bool show_support,
                              const std::string& back) const {
  const auto strings = page_strings(language);
  Data data{Data::type::object};
  data.set("t", strings);
  data.set("heading", string_of(strings, std::string(heading_key)));
  Data paragraphs{Data::type::list};
  paragraphs.push_back(string_of(strings, std::string(text_key)));
  data.set("paragraphs", paragraphs);
  data.set("show_support", show_support);
  if (!back.empty()) {
    data.set("back", back);
    data.set("back_text", string_of(strings, "back"));
  }
  data = support_data(std::move(data));
  return html_response(request, status, render_page("message", language, string_of(strings, "heading"), data));
}

Response NoticePages::show(const Request& request, const RequestContext& context, const Found& found,
                           const std::string& action, const std::string& error, Status status) const {
  const auto& r = found.incident;
  const auto& lang = found.language;
  const Micros t = now();
  if (r.state == incident::State::acknowledged || r.state == incident::State::monitoring) {
    return message(request, Status::ok, lang, "released_heading", "released_text", false, "");
  }
  const auto strings = page_strings(lang);
  Data data{Data::type::object};
  data.set("t", strings);
  if (!error.empty()) data.set("error", error);

  Data seen{Data::type::list};
  for (const auto& detector : r.detectors) {
    const auto sentence = string_of(strings, "seen_" + detector);
    if (!sentence.empty()) seen.push_back(sentence);
  }
  data.set("seen", seen);
  auto when = replace_all(string_of(strings, "when"), "{{first}}", notices::format_plain_time(r.first_detection, lang));
  when = replace_all(when, "{{last}}", notices::format_plain_time(r.last_detection, lang));
  data.set("when", replace_all(when, "{{count}}", std::to_string(r.detection_count)));

  // HELO names from the evidence: bot-controlled text, escaped by the template.
  std::set<std::string> distinct;
  Data helos{Data::type::list};
  for (const auto& event : deps_->store.events_of_incident(r.id, 100)) {
    const auto json = nlohmann::json::parse(event.json, nullptr, false);
    if (json.is_discarded() || !json.is_object()) continue;
    const auto evidence = json.find("evidence");
    if (evidence == json.end() || !evidence->is_object()) continue;
    const auto samples = evidence->find("sample_helos");
    if (samples == evidence->end() || !samples->is_array()) continue;
    for (const auto& h : *samples) {
      if (h.is_string() && distinct.size() < kMaxHelosShown && distinct.insert(h.get<std::string>()).second) {
        helos.push_back(h.get<std::string>());
      }
    }
  }
  data.set("has_helos", !distinct.empty());
  data.set("helos", helos);

  Data steps{Data::type::list};
  const auto configured = deps_->config.cleanup_steps.find(lang);
  if (configured != deps_->config.cleanup_steps.end()) {
    for (const auto& s : configured->second) steps.push_back(s);
  } else {
    for (const char* key : {"step1", "step2", "step3", "step4"}) steps.push_back(string_of(strings, key));
  }
  data.set("steps", steps);
  Data tools{Data::type::list};
  for (const auto& tool : deps_->config.tools) {
    Data item{Data::type::object};
    item.set("name", tool.name);
    item.set("url", tool.url);
    tools.push_back(item);
  }
  data.set("has_tools", !deps_->config.tools.empty());
  data.set("tools", tools);

  // The state machine decides whether a self-release is still possible.
  incident::Context machine;
  machine.exempt = r.exempt;
  machine.self_releases_30d =
      r.account ? deps_->store.count_self_releases(*r.account, t - kThirtyDays) : r.self_releases;
  const auto decision = incident::decide(r.state, incident::Action::subscriber_acknowledged, machine,
                                         deps_->incidents.policy());
  const bool can_release = decision.allowed && decision.to == incident::State::acknowledged;
  data.set("can_release", can_release);
  if (can_release) {
    data.set("action", action);
    data.set("csrf", tokens_->issue(ack_binding(r.id, context.client), t));
  }
  data.set("reference", std::to_string(r.id));
  data = support_data(std::move(data));
  return html_response(request, status, render_page("notice", lang, string_of(strings, "title"), data));
}

Response NoticePages::release(const Request& request, const RequestContext& context, const std::optional<Found>& found,
                              const std::string& page_path) const {
  const auto form = parse_form(request.body());
  const std::string lang = found ? found->language : "en";
  const auto field = [&](std::string_view name) -> std::string {
    if (!form) return "";
    const auto it = form->find(name);
    return it == form->end() ? "" : it->second;
  };
  // Without an incident for this address (or token), the answer is the same
  // as for a wrong token: nothing is revealed.
  if (!found || !tokens_->verify(field("csrf"), ack_binding(found->incident.id, context.client), now())) {
    return message(request, Status::forbidden, lang, "csrf_heading", "csrf_text", false, page_path);
  }
  if (field("confirm") != "yes") {
    return show(request, context, *found, std::string(request.target().substr(0, request.target().find('?'))),
                string_of(page_strings(lang), "confirm_missing"), Status::bad_request);
  }
  const auto& r = found->incident;
  const auto result =
      deps_->incidents.apply(r.id, incident::Action::subscriber_acknowledged,
                             {r.account.value_or(r.subscriber), incident::ActorKind::subscriber},
                             "self-release from " + context.client.to_string(), now());
  // Released now, or already (a second press of the button): the page says so.
  if (result.to == incident::State::acknowledged || result.to == incident::State::monitoring) {
    return make_redirect(request, page_path);
  }
  return message(request, Status::ok, lang, "escalated_heading", "escalated_text", true, "");
}

Response NoticePages::page(const Request& request, const RequestContext& context) const {
  if (request.method() != Verb::get && request.method() != Verb::head) {
    auto response = make_error(request, Status::method_not_allowed);
    response.set(beast_http::field::allow, "GET, HEAD");
    response.set(beast_http::field::cache_control, "no-store");
    return response;
  }
  const auto found = by_address(context.client, now());
  if (!found) return neutral(request, Status::ok, request[beast_http::field::accept_language]);
  return show(request, context, *found, std::string(kAcknowledgePath), "", Status::ok);
}

Response NoticePages::acknowledge(const Request& request, const RequestContext& context) const {
  return release(request, context, by_address(context.client, now()), "/");
}

Response NoticePages::cleanup(const Request& request, const RequestContext& context) const {
  const auto token = context.path.substr(std::min(context.path.size(), kCleanupPrefix.size()));
  const auto found = by_token(token);
  const std::string page_path = std::string(kCleanupPrefix) + std::string(token);
  if (request.method() == Verb::post) return release(request, context, found, is_token(token) ? page_path : "/");
  if (!found) return neutral(request, Status::not_found, request[beast_http::field::accept_language]);
  return show(request, context, *found, page_path, "", Status::ok);
}

}  // namespace botwarden::web
