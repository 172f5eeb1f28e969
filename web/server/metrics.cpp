// Server counters and the latency histogram.
#include "web/server/metrics.hpp"

#include <algorithm>

namespace botwarden::web {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}

void ServerMetrics::connection_opened() {
  connections_accepted_.fetch_add(1, kRelaxed);
  connections_active_.fetch_add(1, kRelaxed);
}
void ServerMetrics::connection_closed() { connections_active_.fetch_sub(1, kRelaxed); }
void ServerMetrics::tls_handshake_failed() { tls_handshake_failures_.fetch_add(1, kRelaxed); }
void ServerMetrics::header_too_large() { header_too_large_.fetch_add(1, kRelaxed); }
void ServerMetrics::body_too_large() { body_too_large_.fetch_add(1, kRelaxed); }
void ServerMetrics::bad_request() { bad_requests_.fetch_add(1, kRelaxed); }
void ServerMetrics::timed_out() { timeouts_.fetch_add(1, kRelaxed); }

void ServerMetrics::request_done(unsigned status, Micros latency) {
  requests_.fetch_add(1, kRelaxed);
  const unsigned status_class = status / 100;
  if (status_class >= 1 && status_class <= 5) by_status_class_[status_class].fetch_add(1, kRelaxed);
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kLatencyBucketBounds.begin(), kLatencyBucketBounds.end(), latency) - kLatencyBucketBounds.begin());
  latency_buckets_[bucket].fetch_add(1, kRelaxed);
  latency_sum_.fetch_add(std::max<Micros>(0, latency), kRelaxed);
}

MetricsSnapshot ServerMetrics::snapshot() const {
  MetricsSnapshot s;
  s.connections_accepted = connections_accepted_.load(kRelaxed);
  s.connections_active = connections_active_.load(kRelaxed);
  s.tls_handshake_failures = tls_handshake_failures_.load(kRelaxed);
  s.requests = requests_.load(kRelaxed);
  for (std::size_t i = 0; i < s.by_status_class.size(); ++i) s.by_status_class[i] = by_status_class_[i].load(kRelaxed);
  s.header_too_large = header_too_large_.load(kRelaxed);
  s.body_too_large = body_too_large_.load(kRelaxed);
  s.bad_requests = bad_requests_.load(kRelaxed);
  s.timeouts = timeouts_.load(kRelaxed);
  for (std::size_t i = 0; i < s.latency_buckets.size(); ++i) s.latency_buckets[i] = latency_buckets_[i].load(kRelaxed);
  s.latency_sum = latency_sum_.load(kRelaxed);
  return s;
}

}  // namespace botwarden::web
