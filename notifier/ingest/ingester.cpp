// Ingestion of detection events into the store and the incident policy.
#include "ingester.hpp"

#include <nlohmann/json.hpp>

#include <istream>
#include <variant>

#include "notifier/ingest/validate.hpp"

namespace botwarden::ingest {

std::string_view to_string(EventStatus s) {
  switch (s) {
    case EventStatus::accepted: return "accepted";
    case EventStatus::duplicate: return "duplicate";
    case EventStatus::rejected: return "rejected";
  }
  return "rejected";
}

void Counts::add(EventStatus s) {
  switch (s) {
    case EventStatus::accepted: ++accepted; break;
    case EventStatus::duplicate: ++duplicate; break;
    case EventStatus::rejected: ++rejected; break;
  }
}

nlohmann::json parse_json(std::string_view text) {
  struct TooDeep {};
  // The callback sees every value with its depth; deeper than the schema
  // allows is refused before the parser builds it.
  const nlohmann::json::parser_callback_t limit_depth = [](int depth, nlohmann::json::parse_event_t,
                                                           nlohmann::json&) {
    if (depth > kMaxJsonDepth) throw TooDeep{};
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), limit_depth);
  } catch (const TooDeep&) {
    throw ParseError{"malformed JSON: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
    std::string what = e.what();
    if (const auto p = what.find("] "); p != std::string::npos) what.erase(0, p + 2);
    throw ParseError{"malformed JSON at byte " + std::to_string(e.byte) + ": " + what};
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range.406 "number overflow parsing '3e4656429'" (found by fuzz-ingest)
    std::string what = e.what();
    if (const auto p = what.find("] "); p != std::string::npos) what.erase(0, p + 2);
    throw ParseError{"malformed JSON: " + what};
  }
}

EventResult Ingester::ingest(const nlohmann::json& event, const std::string& path, Micros received_at,
                             const std::optional<std::string>& authenticated_sensor) {
  EventResult result;
  if (event.is_object()) {
    if (const auto it = event.find("id"); it != event.end() && it->is_string()) {
      result.id = it->get<std::string>().substr(0, 64);
    }
  }
  auto validated = validate_event(event, path, received_at);
  if (auto* error = std::get_if<std::string>(&validated)) {
    result.reason = std::move(*error);
    return result;
  }
  auto& ev = std::get<DetectionEvent>(validated);
  if (authenticated_sensor && ev.sensor != *authenticated_sensor) {
    result.reason = (path.empty() ? std::string("sensor") : path + ".sensor") + ": \"" + ev.sensor +
                    "\" is not the authenticated sensor \"" + *authenticated_sensor + "\"";
    return result;
  }
  store_.transaction([&] {
    if (store_.has_event(ev.id)) {
      result.status = EventStatus::duplicate;
      return;
    }
    // Who held the address (or the delegation containing the /64) at the event's time.
    auto lease = store_.lookup_lease(ev.subscriber_prefix, ev.ts);
    if (!lease && ev.subscriber_prefix.contains(ev.address)) {
      // No delegation covers the /64: a DHCPv6 address lease (/128) of the source address may.
      lease = store_.lookup_lease(Prefix{ev.address, ev.address.is_v4() ? 32u : 128u}, ev.ts);
    }
    incident::Detection detection{ev.id, ev.subscriber, std::nullopt, ev.detector, ev.ts, ev.exempt};
    if (lease) detection.account = lease->account;
    const auto incident_id = incidents_.on_detection(detection, received_at);
    store::EventRecord record{ev.id, ev.json, ev.subscriber, ev.detector, ev.sensor, ev.ts, received_at,
                              incident_id, false};
    if (!store_.insert_event(record)) throw store::StoreError("event " + ev.id + " appeared twice in one transaction");
    result.status = EventStatus::accepted;
    result.incident_id = incident_id;
  });
  return result;
}

std::vector<EventResult> Ingester::ingest_batch(const nlohmann::json& events, Micros received_at,
                                                const std::optional<std::string>& authenticated_sensor) {
  std::vector<EventResult> results;
  results.reserve(events.size());
  store_.transaction([&] {
    results.clear();
    for (std::size_t i = 0; i < events.size(); ++i) {
      results.push_back(ingest(events[i], "events[" + std::to_string(i) + "]", received_at, authenticated_sensor));
    }
  });
  return results;
}

Counts Ingester::ingest_jsonl(std::istream& in, Micros received_at,
                              const std::function<void(std::size_t, const EventResult&)>& on_result,
                              std::size_t batch_size) {
  Counts counts;
  std::string line;
  std::size_t line_number = 0;
  bool more = true;
  while (more) {
    std::vector<std::pair<std::size_t, EventResult>> batch;
    store_.transaction([&] {
      batch.clear();
      while (batch.size() < batch_size && (more = static_cast<bool>(std::getline(in, line)))) {
        ++line_number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        EventResult result;
        try {
          result = ingest(parse_json(line), "", received_at);
        } catch (const ParseError& e) {
          result.reason = e.message;
        }
        batch.emplace_back(line_number, std::move(result));
      }
    });
    for (const auto& [number, result] : batch) {
      counts.add(result.status);
      on_result(number, result);
    }
  }
  return counts;
}

}  // namespace botwarden::ingest
