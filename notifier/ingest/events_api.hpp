// POST /api/v1/events: the HTTP binding of ingestion, a pure function from
// request to response (no sockets), so it is tested directly.
//
// Contract (the sensor's HTTP sink is built to it):
//   Authorization: Bearer <token of one [[notifier.sensors]] entry>
//   body {"events": [<detection event v1>, ...]}  (at most body_limit bytes, max_events events)
//   200 {"results": [{"id": "...", "status": "accepted"|"duplicate"|"rejected", "reason": "..."}]}
//       one result per event, in order; "reason" only for rejected
//   400 {"error": "..."} malformed JSON (with the byte position) or not {"events": [...]}
//   401 {"error": "..."} missing or wrong token (WWW-Authenticate: Bearer)
//   405 not POST; 413 body or batch too large; 500 store failure (nothing of the batch kept: retry it)
#pragma once
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "notifier/ingest/ingester.hpp"

namespace botwarden::ingest {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct SensorCredential {
  std::string name;   // must equal the "sensor" field of its events
  std::string token;
};

// What handle_events_post() has seen since start, for /metrics: events by
// result, and batches refused whole (no event of them counted) by reason.
struct EventsApiTotals {
  std::int64_t accepted = 0, duplicate = 0, rejected = 0;
  std::int64_t batches_unauthorized = 0, batches_malformed = 0, batches_too_large = 0, batches_store_failure = 0;
};

struct EventsApiLimits {
  std::size_t body_limit = 1 << 20;  // bytes: a batch of 1000 events is ~600 KB
  std::size_t max_events = 1000;
};

class EventsApi {
 public:
  EventsApi(Ingester& ingester, std::vector<SensorCredential> sensors, EventsApiLimits limits,
            std::function<Micros()> clock);
  Response handle_events_post(const Request& request) const;
  EventsApiTotals totals() const;  // thread-safe

 private:
  const SensorCredential* authenticate(const Request& request) const;
  // Relaxed atomics: counters read by /metrics while handler threads add.
  struct Counters {
    std::atomic<std::int64_t> accepted{0}, duplicate{0}, rejected{0};
    std::atomic<std::int64_t> batches_unauthorized{0}, batches_malformed{0}, batches_too_large{0},
        batches_store_failure{0};
  };
  mutable Counters counters_;

  Ingester& ingester_;
  std::vector<SensorCredential> sensors_;
  EventsApiLimits limits_;
  std::function<Micros()> clock_;
};

}  // namespace botwarden::ingest
