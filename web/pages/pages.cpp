// Route registration for every page (see pages.hpp).
#include "web/pages/pages.hpp"

#include <chrono>

#include "web/pages/console.hpp"
#include "web/pages/metrics_page.hpp"
#include "web/pages/notice_page.hpp"
#include "web/pages/ops_api.hpp"
#include "web/pages/render.hpp"

namespace botwarden::web {

Micros system_clock_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Pages register_pages(Router& router, PagesDeps deps) {
  auto shared = std::make_shared<const PagesDeps>(std::move(deps));
  auto tokens = std::make_shared<const FormTokens>();
  Pages pages;
  pages.notice = std::make_shared<NoticePages>(shared, tokens);
  pages.console = std::make_shared<Console>(shared, tokens);
  pages.api = std::make_shared<OpsApi>(shared);
  pages.metrics = std::make_shared<MetricsPage>(shared, pages.console);

  auto notice = pages.notice;
  router.set_fallback([notice](const Request& q, const RequestContext& c) { return notice->page(q, c); });
  // A reload of the form's address shows the page again.
  router.add(Verb::get, std::string(kAcknowledgePath),
             [notice](const Request& q, const RequestContext& c) { return notice->page(q, c); });
  router.add(Verb::post, std::string(kAcknowledgePath),
             [notice](const Request& q, const RequestContext& c) { return notice->acknowledge(q, c); });
  for (const auto verb : {Verb::get, Verb::post}) {
    router.add_prefix(verb, std::string(kCleanupPrefix),
                      [notice](const Request& q, const RequestContext& c) { return notice->cleanup(q, c); });
  }
  router.add(Verb::get, std::string(kStylesheetPath),
             [](const Request& q, const RequestContext&) { return stylesheet_response(q); });

  auto console = pages.console;
  router.add(Verb::get, "/console/login",
             [console](const Request& q, const RequestContext& c) { return console->login_form(q, c); });
  router.add(Verb::post, "/console/login",
             [console](const Request& q, const RequestContext& c) { return console->login(q, c); });
  router.add(Verb::post, "/console/logout",
             [console](const Request& q, const RequestContext& c) { return console->logout(q, c); });
  router.add(Verb::get, "/console/incidents",
             [console](const Request& q, const RequestContext& c) { return console->incidents(q, c); });
  for (const auto verb : {Verb::get, Verb::post}) {
    router.add_prefix(verb, "/console/incidents/",
                      [console](const Request& q, const RequestContext& c) { return console->incident(q, c); });
  }
  if (shared->report) {
    router.add(Verb::get, "/console/report",
               [console](const Request& q, const RequestContext& c) { return console->report(q, c); });
  }
  router.add(Verb::get, "/console", [console](const Request& q, const RequestContext& c) { return console->home(q, c); });
  router.add_prefix(Verb::get, "/console/",
                    [console](const Request& q, const RequestContext& c) { return console->home(q, c); });

  auto api = pages.api;
  router.add(Verb::get, "/api/v1/incidents", [api](const Request& q, const RequestContext& c) { return api->list(q, c); });
  for (const auto verb : {Verb::get, Verb::post}) {
    router.add_prefix(verb, "/api/v1/incidents/",
                      [api](const Request& q, const RequestContext& c) { return api->incident(q, c); });
  }
  if (shared->report) {
    router.add(Verb::get, "/api/v1/report", [api](const Request& q, const RequestContext& c) { return api->report(q, c); });
  }
  auto metrics = pages.metrics;
  router.add(Verb::get, "/metrics", [metrics](const Request& q, const RequestContext& c) { return metrics->handle(q, c); });
  return pages;
}

}  // namespace botwarden::web
