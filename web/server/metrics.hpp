// Counters the server keeps for /metrics: requests by status class, rejected
// requests by reason, connections, and a request-latency histogram. Lock-free
// (relaxed atomics); snapshot() gives a plain value to print.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>

#include "sensor/common/time.hpp"

namespace botwarden::web {

// Upper bounds (inclusive, microseconds) of the latency buckets; a last,
// unbounded bucket follows (Prometheus "+Inf").
inline constexpr std::array<Micros, 11> kLatencyBucketBounds = {
    1'000, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 10'000'000};

struct MetricsSnapshot {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_active = 0;
  std::uint64_t tls_handshake_failures = 0;
  std::uint64_t requests = 0;                    // responses written, any status
  std::array<std::uint64_t, 6> by_status_class{};  // index 1..5 = 1xx..5xx
  std::uint64_t header_too_large = 0;            // 431
  std::uint64_t body_too_large = 0;              // 413
  std::uint64_t bad_requests = 0;                // 400 (unparseable)
  std::uint64_t timeouts = 0;                    // connections closed by the read timeout (idle or mid-request)
  std::array<std::uint64_t, kLatencyBucketBounds.size() + 1> latency_buckets{};  // non-cumulative counts
  Micros latency_sum = 0;
};

class ServerMetrics {
 public:
  void connection_opened();
  void connection_closed();
  void tls_handshake_failed();
  void request_done(unsigned status, Micros latency);
  void header_too_large();
  void body_too_large();
  void bad_request();
  void timed_out();
  MetricsSnapshot snapshot() const;

 private:
  using Counter = std::atomic<std::uint64_t>;
  Counter connections_accepted_{0}, connections_active_{0}, tls_handshake_failures_{0}, requests_{0};
  std::array<Counter, 6> by_status_class_{};
  Counter header_too_large_{0}, body_too_large_{0}, bad_requests_{0}, timeouts_{0};
  std::array<Counter, kLatencyBucketBounds.size() + 1> latency_buckets_{};
  std::atomic<Micros> latency_sum_{0};
};

}  // namespace botwarden::web
