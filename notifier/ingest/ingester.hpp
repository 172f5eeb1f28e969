// Ingestion: validated detection events -> idempotent store insert -> lease
// lookup at the event's time -> incident policy. Used by POST /api/v1/events
// and by the offline `botwarden-notifier ingest FILE.jsonl`.
#pragma once
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notifier/incident/manager.hpp"
#include "notifier/store/store.hpp"

namespace botwarden::ingest {

enum class EventStatus : std::uint8_t { accepted, duplicate, rejected };
std::string_view to_string(EventStatus s);

struct EventResult {
  std::string id;        // the event's id when it had a readable one, else ""
  EventStatus status = EventStatus::rejected;
  std::string reason;    // for rejected: the validation error, naming the field
  std::optional<store::IncidentId> incident_id;  // for accepted
};

struct Counts {
  std::int64_t accepted = 0, duplicate = 0, rejected = 0;
  void add(EventStatus s);
};

class Ingester {
 public:
  Ingester(store::Store& store, incident::IncidentManager& incidents) : store_(store), incidents_(incidents) {}

  // One event. `path` prefixes error texts ("events[3]"); when
  // `authenticated_sensor` is set the event's sensor must equal it. Runs in
  // one store transaction (or joins the caller's). StoreError propagates.
  EventResult ingest(const nlohmann::json& event, const std::string& path, Micros received_at,
                     const std::optional<std::string>& authenticated_sensor = std::nullopt);

  // A batch in one transaction: all of its accepted events are durable
  // together, or (on a StoreError) none are.
  std::vector<EventResult> ingest_batch(const nlohmann::json& events, Micros received_at,
                                        const std::optional<std::string>& authenticated_sensor);

  // Offline JSON lines: one transaction per `batch_size` lines. Calls
  // `on_result(line_number, result)` for every non-empty line.
  Counts ingest_jsonl(std::istream& in, Micros received_at,
                      const std::function<void(std::size_t, const EventResult&)>& on_result,
                      std::size_t batch_size = 500);

 private:
  store::Store& store_;
  incident::IncidentManager& incidents_;
};

// Parses JSON with a nesting limit (hostile input must not exhaust the
// stack). Throws ParseError with "malformed JSON at byte N: ...".
struct ParseError {
  std::string message;
};
inline constexpr int kMaxJsonDepth = 16;
nlohmann::json parse_json(std::string_view text);

}  // namespace botwarden::ingest
