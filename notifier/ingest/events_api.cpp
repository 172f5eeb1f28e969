// POST /api/v1/events handler.
#include "events_api.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/beast/http/field.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

namespace botwarden::ingest {

namespace http = boost::beast::http;


namespace {
Response json_response(const Request& request, http::status status, const nlohmann::json& body) {
  Response response{status, request.version()};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  response.prepare_payload();
  return response;
}
Response error(const Request& request, http::status status, const std::string& message) {
  return json_response(request, status, {{"error", message}});
}
}  // namespace

EventsApi::EventsApi(Ingester& ingester, std::vector<SensorCredential> sensors, EventsApiLimits limits,
                     std::function<Micros()> clock)
    : ingester_(ingester), sensors_(std::move(sensors)), limits_(limits), clock_(std::move(clock)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

const SensorCredential* EventsApi::authenticate(const Request& request) const {
  const auto header = request[http::field::authorization];
  constexpr std::string_view kBearer = "bearer ";
  if (header.size() <= kBearer.size()) return nullptr;
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
    const char c = header[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kBearer[i]) return nullptr;
  }
  const auto token = header.substr(kBearer.size());
  const SensorCredential* match = nullptr;
  for (const auto& sensor : sensors_) {
    // Constant time for equal lengths: the comparison does not leak how much of a token matched.
    if (sensor.token.size() == token.size() &&
        sodium_memcmp(sensor.token.data(), token.data(), token.size()) == 0) {
      match = &sensor;
    }
  }
  return match;
}

Response EventsApi::handle_events_post(const Request& request) const {
  if (request.method() != http::verb::post) {
    auto response = error(request, http::status::method_not_allowed, "use POST");
    response.set(http::field::allow, "POST");
    return response;
  }
  const auto* sensor = authenticate(request);
  if (!sensor) {
    counters_.batches_unauthorized.fetch_add(1, std::memory_order_relaxed);
    auto response = error(request, http::status::unauthorized, "missing or wrong bearer token");
    response.set(http::field::www_authenticate, "Bearer");
    return response;
  }
  if (request.body().size() > limits_.body_limit) {
    counters_.batches_too_large.fetch_add(1, std::memory_order_relaxed);
    return error(request, http::status::payload_too_large,
                 "body larger than " + std::to_string(limits_.body_limit) + " bytes");
  }
  nlohmann::json body;
  try {
    body = parse_json(request.body());
  } catch (const ParseError& e) {
    counters_.batches_malformed.fetch_add(1, std::memory_order_relaxed);
    return error(request, http::status::bad_request, e.message);
  }
  if (!body.is_object() || !body.contains("events") || !body["events"].is_array()) {
    counters_.batches_malformed.fetch_add(1, std::memory_order_relaxed);
    return error(request, http::status::bad_request, "body: expected {\"events\": [...]}");
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "events") {
      counters_.batches_malformed.fetch_add(1, std::memory_order_relaxed);
      return error(request, http::status::bad_request, key + ": unknown field");
    }
  }
  const auto& events = body["events"];
  if (events.size() > limits_.max_events) {
    counters_.batches_too_large.fetch_add(1, std::memory_order_relaxed);
    return error(request, http::status::payload_too_large,
                 "events: more than " + std::to_string(limits_.max_events) + " events in one batch");
  }
  std::vector<EventResult> results;
  try {
    results = ingester_.ingest_batch(events, clock_(), sensor->name);
  } catch (const std::exception& e) {
    spdlog::error("events from sensor {}: {}", sensor->name, e.what());
    counters_.batches_store_failure.fetch_add(1, std::memory_order_relaxed);
    return error(request, http::status::internal_server_error, "store failure; nothing of this batch was kept");
  }
  nlohmann::json out = nlohmann::json::array();
  Counts counts;
  for (const auto& r : results) {
    counts.add(r.status);
    nlohmann::json item{{"id", r.id}, {"status", to_string(r.status)}};
    if (r.status == EventStatus::rejected) item["reason"] = r.reason;
    out.push_back(std::move(item));
  }
  counters_.accepted.fetch_add(counts.accepted, std::memory_order_relaxed);
  counters_.duplicate.fetch_add(counts.duplicate, std::memory_order_relaxed);
  counters_.rejected.fetch_add(counts.rejected, std::memory_order_relaxed);
  spdlog::info("events from sensor {}: {} accepted, {} duplicate, {} rejected", sensor->name, counts.accepted,
               counts.duplicate, counts.rejected);
  return json_response(request, http::status::ok, {{"results", out}});
}

EventsApiTotals EventsApi::totals() const {
  constexpr auto relaxed = std::memory_order_relaxed;
  return {counters_.accepted.load(relaxed),
          counters_.duplicate.load(relaxed),
          counters_.rejected.load(relaxed),
          counters_.batches_unauthorized.load(relaxed),
          counters_.batches_malformed.load(relaxed),
          counters_.batches_too_large.load(relaxed),
          counters_.batches_store_failure.load(relaxed)};
}

}  // namespace botwarden::ingest
