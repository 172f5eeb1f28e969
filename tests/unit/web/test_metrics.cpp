// /metrics: Prometheus text with store counts and the server's histogram.
#include "web_fixture.hpp"
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
                                   [] { return IngestTotals{5, 2, 1}; }});
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
           "botwarden_events_ingested_total{result=\"duplicate\"} 2\n",
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
  c.client = *IpAddress::parse("100.64.0.10");
  CHECK(router.handle(q, c).result() == Status::not_found);
}
