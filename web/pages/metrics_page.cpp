// Prometheus exposition of the store's and the server's counters.
#include "web/pages/metrics_page.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <sstream>

#include "web/pages/console.hpp"

namespace botwarden::web {

namespace {

std::string seconds(Micros t) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6f", static_cast<double>(t) / static_cast<double>(kMicrosPerSecond));
  return buffer;
}

void header(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

}  // namespace

MetricsPage::MetricsPage(std::shared_ptr<const PagesDeps> deps, std::shared_ptr<const Console> console)
    : deps_(std::move(deps)), console_(std::move(console)), allowed_(deps_->config.metrics_from) {}

std::string MetricsPage::exposition() const {
  auto& store = deps_->store;
  std::ostringstream out;
  header(out, "botwarden_incidents", "gauge", "Incidents by state.");
  std::int64_t walled = 0;
  for (const auto s : incident::all_states()) {
    store::IncidentFilter filter;
    filter.state = s;
    const auto n = store.count_incidents(filter);
    if (s == incident::State::walled_garden) walled = n;
    out << "botwarden_incidents{state=\"" << incident::to_string(s) << "\"} " << n << "\n";
  }
  header(out, "botwarden_walled_garden_size", "gauge", "Subscribers in the walled garden (incidents in walled_garden).");
  out << "botwarden_walled_garden_size " << walled << "\n";

  header(out, "botwarden_notices", "gauge", "Notices in the outbox by status (sent and failed are totals).");
  for (const auto status : {store::NoticeStatus::queued, store::NoticeStatus::sending, store::NoticeStatus::sent,
                            store::NoticeStatus::failed}) {
    store::NoticeFilter filter;
    filter.status = status;
    out << "botwarden_notices{status=\"" << store::to_string(status) << "\"} " << store.count_notices(filter) << "\n";
  }

  header(out, "botwarden_events_stored", "gauge", "Detection events in the store.");
  out << "botwarden_events_stored " << store.count_events() << "\n";
  if (deps_->ingest_totals) {
    const auto totals = deps_->ingest_totals();
    header(out, "botwarden_ingest_events_total", "counter", "Detection events received by POST /api/v1/events, by result.");
    out << "botwarden_ingest_events_total{result=\"accepted\"} " << totals.accepted << "\n";
    out << "botwarden_ingest_events_total{result=\"duplicate\"} " << totals.duplicate << "\n";
    out << "botwarden_ingest_events_total{result=\"rejected\"} " << totals.rejected << "\n";
    header(out, "botwarden_ingest_batches_refused_total", "counter",
           "Batches POST /api/v1/events refused whole (none of their events counted above), by reason.");
    out << "botwarden_ingest_batches_refused_total{reason=\"unauthorized\"} " << totals.batches_unauthorized << "\n";
    out << "botwarden_ingest_batches_refused_total{reason=\"malformed\"} " << totals.batches_malformed << "\n";
    out << "botwarden_ingest_batches_refused_total{reason=\"too_large\"} " << totals.batches_too_large << "\n";
    out << "botwarden_ingest_batches_refused_total{reason=\"store_failure\"} " << totals.batches_store_failure << "\n";
  }
  if (console_) {
    header(out, "botwarden_console_sessions", "gauge", "Live ops console sessions.");
    out << "botwarden_console_sessions " << console_->session_count() << "\n";
  }

  if (deps_->server_metrics) {
    const auto m = deps_->server_metrics->snapshot();
    header(out, "botwarden_http_requests_total", "counter", "HTTP responses written, by status class.");
    for (std::size_t c = 1; c <= 5; ++c) {
      out << "botwarden_http_requests_total{code=\"" << c << "xx\"} " << m.by_status_class[c] << "\n";
    }
    header(out, "botwarden_http_rejected_total", "counter", "HTTP requests rejected before a handler ran, by reason.");
    out << "botwarden_http_rejected_total{reason=\"header_too_large\"} " << m.header_too_large << "\n";
    out << "botwarden_http_rejected_total{reason=\"body_too_large\"} " << m.body_too_large << "\n";
    out << "botwarden_http_rejected_total{reason=\"bad_request\"} " << m.bad_requests << "\n";
    out << "botwarden_http_rejected_total{reason=\"timeout\"} " << m.timeouts << "\n";
    header(out, "botwarden_http_connections_active", "gauge", "Open HTTP connections.");
    out << "botwarden_http_connections_active " << m.connections_active << "\n";
    header(out, "botwarden_http_request_duration_seconds", "histogram", "Time from request header to response.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatencyBucketBounds.size(); ++i) {
      cumulative += m.latency_buckets[i];
      out << "botwarden_http_request_duration_seconds_bucket{le=\"" << seconds(kLatencyBucketBounds[i]) << "\"} "
          << cumulative << "\n";
    }
    cumulative += m.latency_buckets.back();
    out << "botwarden_http_request_duration_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n";
    out << "botwarden_http_request_duration_seconds_sum " << seconds(m.latency_sum) << "\n";
    out << "botwarden_http_request_duration_seconds_count " << cumulative << "\n";
  }
  if (deps_->report_gauges) {
    // The month-to-date report, cached by MonthGauges; a store that cannot be
    // read leaves the gauges out of this scrape rather than failing it.
    try {
      out << deps_->report_gauges->exposition(deps_->clock ? deps_->clock() : system_clock_now());
    } catch (const std::exception& e) {
      spdlog::error("/metrics: botwarden_report_* gauges left out: {}", e.what());
    }
  }
  return out.str();
}

Response MetricsPage::handle(const Request& request, const RequestContext& context) const {
  if (!allowed_.contains(context.client)) return make_error(request, Status::not_found);
  auto response = make_response(request, Status::ok, exposition(), "text/plain; version=0.0.4; charset=utf-8");
  response.set(beast_http::field::cache_control, "no-store");
  return response;
}

}  // namespace botwarden::web
