// /metrics: Prometheus text with store counts and the server's histogram.
#include "web_fixture.hpp"
#include "notifier/ingest/events_api.hpp"
#include "web/pages/metrics_page.hpp"

using namespace botwarden;
using namespace botwarden::web;
using namespace botwarden::web::test;

TEST_CASE("metrics show incidents by state, notices, events and the HTTP histogram") {
  store::SqliteStore db{":memory:"};
  incident::IncidentManager incidents{db, incident::Policy{}};
  auto server = std::make_shared<ServerMetrics>();
  server->request_done(200, 800);
  server->request_done(200, 7'000);
  server->request_done(404, 20'000'000);
  Router router;
  PagesConfig config;
  register_pages(router, PagesDeps{db, incidents, config, [] { return kStart; }, server,
                                   [] { return IngestTotals{5, 2, 1, 4, 3, 0, 0}; }, nullptr, nullptr});
  Request q{Verb::get, "/metrics", 11};
  RequestContext c;
  c.client = *IpAddress::parse("127.0.0.1");
  c.path = "/metrics";
  const auto r = router.handle(q, c);
  REQUIRE(r.result() == Status::ok);
  CHECK(std::string(r[beast_http::field::content_type]) == "text/plain; version=0.0.4; charset=utf-8");
  const auto& text = r.body();
  for (const char* line : {
           "# TYPE botwarden_incidents gauge\n",
           "botwarden_incidents{state=\"walled_garden\"} 0\n",
           "botwarden_walled_garden_size 0\n",
           "botwarden_notices{status=\"queued\"} 0\n",
           "botwarden_events_stored 0\n",
           "# TYPE botwarden_ingest_events_total counter\n",
           "botwarden_ingest_events_total{result=\"duplicate\"} 2\n",
           "botwarden_ingest_batches_refused_total{reason=\"unauthorized\"} 4\n",
           "botwarden_ingest_batches_refused_total{reason=\"malformed\"} 3\n",
           "botwarden_http_requests_total{code=\"2xx\"} 2\n",
           "botwarden_http_requests_total{code=\"4xx\"} 1\n",
           "# TYPE botwarden_http_request_duration_seconds histogram\n",
           "botwarden_http_request_duration_seconds_bucket{le=\"0.001000\"} 1\n",
           "botwarden_http_request_duration_seconds_bucket{le=\"0.010000\"} 2\n",
           "botwarden_http_request_duration_seconds_bucket{le=\"10.000000\"} 2\n",
           "botwarden_http_request_duration_seconds_bucket{le=\"+Inf\"} 3\n",
           "botwarden_http_request_duration_seconds_count 3\n",
       }) {
    CAPTURE(line);
    CHECK(text.find(line) != std::string::npos);
  }
  CHECK(text.find("botwarden_report_") == std::string::npos);  // no report gauges unless wired
  c.client = *IpAddress::parse("100.64.0.10");
  CHECK(router.handle(q, c).result() == Status::not_found);
}

TEST_CASE("ingest counters in /metrics move with each POST /api/v1/events batch") {
  store::SqliteStore db{":memory:"};
  incident::IncidentManager incidents{db, incident::Policy{}};
  ingest::Ingester ingester{db, incidents};
  ingest::EventsApi events(ingester, {{"sensor1", "sensor-token-0123456789abcdef"}}, {4096, 3}, [] { return kStart; });
  Router router;
  register_pages(router, PagesDeps{db, incidents, PagesConfig{}, [] { return kStart; }, nullptr,
                                   [&events] {
                                     const auto t = events.totals();
                                     return IngestTotals{t.accepted,          t.duplicate,         t.rejected,
                                                         t.batches_unauthorized, t.batches_malformed, t.batches_too_large,
                                                         t.batches_store_failure};
                                   },
                                   nullptr, nullptr});
  const auto post = [&](const std::string& body, const std::string& token = "sensor-token-0123456789abcdef") {
    ingest::Request q{Verb::post, "/api/v1/events", 11};
    q.set(beast_http::field::authorization, "Bearer " + token);
    q.set(beast_http::field::content_type, "application/json");
    q.body() = body;
    q.prepare_payload();
    return events.handle_events_post(q).result();
  };
  const auto metrics = [&] {
    Request q{Verb::get, "/metrics", 11};
    RequestContext c;
    c.client = *IpAddress::parse("127.0.0.1");
    c.path = "/metrics";
    return router.handle(q, c).body();
  };
  const auto line = [](const char* result, int n) {
    return "botwarden_ingest_events_total{result=\"" + std::string(result) + "\"} " + std::to_string(n) + "\n";
  };
  const auto refused = [](const char* reason, int n) {
    return "botwarden_ingest_batches_refused_total{reason=\"" + std::string(reason) + "\"} " + std::to_string(n) + "\n";
  };
  const auto before = metrics();
  CHECK(before.find(line("accepted", 0)) != std::string::npos);

  auto bad = detection_event(2, "100.64.0.11", "mail.example");
  bad.erase("detector");
  const nlohmann::json batch{{"events", {detection_event(1, "100.64.0.10", "x"), detection_event(1, "100.64.0.10", "x"), bad}}};
  CHECK(post(batch.dump()) == Status::ok);
  CHECK(post(nlohmann::json{{"events", {detection_event(1, "100.64.0.10", "x")}}}.dump()) == Status::ok);
  CHECK(post(batch.dump(), "wrong-token-0123456789abcdef000") == Status::unauthorized);
  CHECK(post("{\"events\": [") == Status::bad_request);
  CHECK(post(nlohmann::json{{"events", {1, 2, 3, 4}}}.dump()) == Status::payload_too_large);
  const auto after = metrics();
  for (const auto& expected : {line("accepted", 1), line("duplicate", 2), line("rejected", 1), refused("unauthorized", 1),
                               refused("malformed", 1), refused("too_large", 1), refused("store_failure", 0)}) {
    CAPTURE(expected);
    CHECK(after.find(expected) != std::string::npos);
  }
}
