// Incidents and audit rows as JSON and as text lines, for the CLI
// (`incidents list|show`) and the ops console.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "notifier/store/store.hpp"

namespace botwarden::incident {

// Times as RFC 3339; absent optionals as null.
nlohmann::json to_json(const store::IncidentRecord& incident);
nlohmann::json to_json(const store::TransitionRecord& transition);
// "42  walled_garden  account:alice  opened 2026-11-25T10:00:00Z  last 2026-...  7 detections  bad_helo,snowshoe"
std::string format_line(const store::IncidentRecord& incident);
// "2026-11-25T10:00:00Z  notified -> walled_garden  wall_deadline_passed  by botwarden (system): reason"
std::string format_line(const store::TransitionRecord& transition);

}  // namespace botwarden::incident
