// The web pages of botwarden and their registration on the server core's
// Router: the walled-garden notice (any host, any path), the cleanup link,
// the ops console, the JSON ops API and /metrics.
//
//   web::PagesDeps deps{store, incidents, web::load_pages_config(file)};
//   deps.server_metrics = metrics;             // for the HTTP latency histogram
//   auto pages = web::register_pages(router, deps);
//
// Handlers are pure functions of (Request, RequestContext); the subscriber
// is RequestContext::client (the server resolves X-Forwarded-For from
// [web] trusted_proxies only).
#pragma once
#include <functional>
#include <memory>

#include "notifier/incident/manager.hpp"
#include "notifier/store/store.hpp"
#include "web/pages/pages_config.hpp"
#include "web/server/metrics.hpp"
#include "web/server/router.hpp"

namespace botwarden::web {

// Totals of event ingestion for /metrics, when the wiring counts them.
struct IngestTotals {
  std::int64_t accepted = 0, duplicate = 0, rejected = 0;
};

struct PagesDeps {
  store::Store& store;
  incident::IncidentManager& incidents;  // every state change goes through it
  PagesConfig config;
  std::function<Micros()> clock;                          // empty: the system clock
  std::shared_ptr<const ServerMetrics> server_metrics;    // null: no HTTP histogram in /metrics
  std::function<IngestTotals()> ingest_totals;            // empty: only stored events are counted
};

Micros system_clock_now();

class NoticePages;
class Console;
class OpsApi;
class MetricsPage;

// Owns the page handlers; the Router's handlers keep it alive.
struct Pages {
  std::shared_ptr<NoticePages> notice;
  std::shared_ptr<Console> console;
  std::shared_ptr<OpsApi> api;
  std::shared_ptr<MetricsPage> metrics;
};

// Builds the handlers and registers every route:
//   fallback (GET/HEAD any host, any path)  walled-garden notice or neutral page
//   POST /walled-garden/acknowledge          "I have cleaned my computer"
//   GET|POST /cleanup/{token}                the cleanup link from the email
//   GET /static/botwarden.css
//   GET|POST /console/...                    ops console
//   GET /api/v1/incidents[/{id}], POST /api/v1/incidents/{id}/actions
//   GET /metrics
Pages register_pages(Router& router, PagesDeps deps);

}  // namespace botwarden::web
