// libFuzzer target: what a sensor (or anyone holding a token) can POST to
// /api/v1/events, through the same parser and validator the notifier uses.
// Invariants: hostile JSON never crashes nor recurses past the depth limit;
// an accepted event has a 32-hex id, and its stored compact JSON validates
// again to the same event; a refusal always names its reason.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <regex>
#include <string>
#include <variant>

#include "notifier/ingest/ingester.hpp"
#include "notifier/ingest/validate.hpp"

using namespace botwarden;

namespace {

constexpr Micros kNow = 1'795'600'000LL * kMicrosPerSecond;  // 2026-11-26

void check_one(const nlohmann::json& event, const std::string& path) {
  const auto r = ingest::validate_event(event, path, kNow);
  if (const auto* error = std::get_if<std::string>(&r)) {
    if (error->empty()) std::abort();  // a refusal always says why
    return;
  }
  const auto& e = std::get<ingest::DetectionEvent>(r);
  static const std::regex hex32("[0-9a-f]{32}");
  if (!std::regex_match(e.id, hex32)) std::abort();
  const auto again = ingest::validate_event(ingest::parse_json(e.json), path, kNow);
  const auto* e2 = std::get_if<ingest::DetectionEvent>(&again);
  if (e2 == nullptr || e2->id != e.id || e2->json != e.json || e2->ts != e.ts) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nlohmann::json j;
  try {
    j = ingest::parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const ingest::ParseError& e) {
    if (e.message.empty()) std::abort();
    return 0;
  }
  if (j.is_object() && j.contains("events") && j["events"].is_array()) {
    std::size_t i = 0;
    for (const auto& event : j["events"]) check_one(event, "events[" + std::to_string(i++) + "]");
  } else {
    check_one(j, "");
  }
  return 0;
}
