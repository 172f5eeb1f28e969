// The web pages of botwarden and their registration on the server core's
// Router: the walled-garden notice (any host, any path), the cleanup link,
// the ops console, the JSON ops API and /metrics.
//
//   web::PagesDeps deps{store, incidents, web::load_pages_config(file)};
//   deps.server_metrics = metrics;             // for the HTTP latency histogram
//   deps.report = std::make_shared<web::ReportPage>(...);          // /console/report, /api/v1/report
//   deps.report_gauges = std::make_shared<report::MonthGauges>(...);  // botwarden_report_* in /metrics
//   auto pages = web::register_pages(router, deps);
//
// Handlers are pure functions of (Request, RequestContext); the subscriber
// is RequestContext::client (the server resolves X-Forwarded-For from
// [web] trusted_proxies only).
#pragma once
#include <functional>
#include <memory>

#include "notifier/incident/manager.hpp"
#include "notifier/report/month_gauges.hpp"
#include "notifier/store/store.hpp"
#include "web/pages/pages_config.hpp"
#include "web/report/report_handler.hpp"
#include "web/server/metrics.hpp"
#include "web/server/router.hpp"

namespace botwarden::web {

// Totals of event ingestion (POST /api/v1/events) for /metrics, when the
// wiring counts them: events by result, and batches refused whole by reason.
struct IngestTotals {
  std::int64_t accepted = 0, duplicate = 0, rejected = 0;
  std::int64_t batches_unauthorized = 0, batches_malformed = 0, batches_too_large = 0, batches_store_failure = 0;
};

struct PagesDeps {
  store::Store& store;
  incident::IncidentManager& incidents;  // every state change goes through it
  PagesConfig config;
  std::function<Micros()> clock;                          // empty: the system clock
  std::shared_ptr<const ServerMetrics> server_metrics;    // null: no HTTP histogram in /metrics
  std::function<IngestTotals()> ingest_totals;            // empty: only stored events are counted
  std::shared_ptr<const ReportPage> report;               // null: no /console/report, /api/v1/report
  std::shared_ptr<report::MonthGauges> report_gauges;     // null: no botwarden_report_* gauges in /metrics
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
//   GET|POST /console/...                    ops console (GET /console/report with deps.report)
//   GET /api/v1/incidents[/{id}], POST /api/v1/incidents/{id}/actions
//   GET /api/v1/report                       with deps.report
//   GET /metrics                             (botwarden_report_* with deps.report_gauges)
Pages register_pages(Router& router, PagesDeps deps);

}  // namespace botwarden::web
