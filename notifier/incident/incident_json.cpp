// JSON and text views of incidents and audit rows.
#include "incident_json.hpp"

namespace botwarden::incident {

namespace {
nlohmann::json time_or_null(const std::optional<Micros>& t) {
  return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
}
std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}
}  // namespace

nlohmann::json to_json(const store::IncidentRecord& r) {
  return {{"id", r.id},
          {"account", r.account ? nlohmann::json(*r.account) : nlohmann::json(nullptr)},
          {"subscriber", r.subscriber},
          {"state", to_string(r.state)},
          {"opened_at", format_rfc3339(r.opened_at)},
          {"closed_at", time_or_null(r.closed_at)},
          {"state_since", format_rfc3339(r.state_since)},
          {"first_detection", format_rfc3339(r.first_detection)},
          {"last_detection", format_rfc3339(r.last_detection)},
          {"detectors", r.detectors},
          {"detection_count", r.detection_count},
          {"first_notice_at", time_or_null(r.first_notice_at)},
          {"self_releases", r.self_releases},
          {"linked_incident", r.linked_incident ? nlohmann::json(*r.linked_incident) : nlohmann::json(nullptr)},
          {"exempt", r.exempt}};
}

nlohmann::json to_json(const store::TransitionRecord& t) {
  return {{"at", format_rfc3339(t.at)},
          {"from", t.from ? nlohmann::json(to_string(*t.from)) : nlohmann::json(nullptr)},
          {"to", to_string(t.to)},
          {"action", t.action},
          {"actor", t.actor},
          {"actor_kind", to_string(t.actor_kind)},
          {"reason", t.reason}};
}

std::string format_line(const store::IncidentRecord& r) {
  return std::to_string(r.id) + "  " + std::string(to_string(r.state)) + "  " + r.key() + "  opened " +
         format_rfc3339(r.opened_at) + "  last " + format_rfc3339(r.last_detection) + "  " +
         std::to_string(r.detection_count) + (r.detection_count == 1 ? " detection  " : " detections  ") +
         join(r.detectors) + (r.exempt ? "  exempt" : "");
}

std::string format_line(const store::TransitionRecord& t) {
  return format_rfc3339(t.at) + "  " + (t.from ? std::string(to_string(*t.from)) : std::string("(new)")) + " -> " +
         std::string(to_string(t.to)) + "  " + t.action + "  by " + t.actor + " (" +
         std::string(to_string(t.actor_kind)) + "): " + t.reason;
}

}  // namespace botwarden::incident
