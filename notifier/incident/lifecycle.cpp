// The incident state machine (docs/INCIDENTS.md is its table in prose).
#include "lifecycle.hpp"

#include <array>

namespace botwarden::incident {

namespace {
constexpr std::array<std::string_view, kStateCount> kStateNames{
    "detected", "notified", "walled_garden", "acknowledged", "monitoring", "resolved", "reinfected", "escalated"};
constexpr std::array<std::string_view, kActionCount> kActionNames{
    "detection",        "notice_sent",       "wall_deadline_passed", "subscriber_acknowledged",
    "grace_period_passed", "monitoring_period_passed", "operator_release", "operator_escalate",
    "operator_exempt",  "operator_close",    "operator_reopen"};
constexpr std::array<std::string_view, 3> kActorKindNames{"system", "subscriber", "operator"};

template <typename E, std::size_t N>
std::optional<E> parse_enum(const std::array<std::string_view, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

Decision allow(State to, std::string reason) { return {true, to, std::move(reason)}; }
Decision refuse(State from, std::string reason) { return {false, from, std::move(reason)}; }
}  // namespace

std::string_view to_string(State s) { return kStateNames[static_cast<std::size_t>(s)]; }
std::string_view to_string(Action a) { return kActionNames[static_cast<std::size_t>(a)]; }
std::string_view to_string(ActorKind k) { return kActorKindNames[static_cast<std::size_t>(k)]; }
std::optional<State> parse_state(std::string_view text) { return parse_enum<State>(kStateNames, text); }
std::optional<Action> parse_action(std::string_view text) { return parse_enum<Action>(kActionNames, text); }
std::optional<ActorKind> parse_actor_kind(std::string_view text) {
  return parse_enum<ActorKind>(kActorKindNames, text);
}
bool is_open(State s) { return s != State::resolved; }

const std::vector<State>& all_states() {
  static const std::vector<State> states = [] {
    std::vector<State> v;
    for (std::size_t i = 0; i < kStateCount; ++i) v.push_back(static_cast<State>(i));
    return v;
  }();
  return states;
}
const std::vector<Action>& all_actions() {
  static const std::vector<Action> actions = [] {
    std::vector<Action> v;
    for (std::size_t i = 0; i < kActionCount; ++i) v.push_back(static_cast<Action>(i));
    return v;
  }();
  return actions;
}

Decision decide(State from, Action action, const Context& context, const Policy& policy) {
  using enum State;
  if (from == resolved && action != Action::operator_reopen) {
    return refuse(from, action == Action::detection
                            ? "resolved: a new detection opens a new incident linked to this one"
                            : "resolved: only operator_reopen applies");
  }
  switch (action) {
    case Action::detection:
      if (from == monitoring) {
        // Evidence older than the start of monitoring was in flight before the release.
        if (!context.detection_after_state_entry) return allow(monitoring, "evidence from before monitoring began");
        return allow(reinfected, "detected again during monitoring");
      }
      return allow(from, "detection recorded");
    case Action::notice_sent:
      if (context.exempt) return refuse(from, "exempt: never notified");
      if (from == detected || from == reinfected) return allow(notified, "notice sent");
      return allow(from, "notice sent");
    case Action::wall_deadline_passed:
      if (context.exempt) return refuse(from, "exempt: never walled");
      if (from != notified) return refuse(from, "only a notified incident is walled");
      return allow(walled_garden, "detections continued " + std::to_string(policy.walled_garden_after_hours) +
                                      " hours after the notice");
    case Action::subscriber_acknowledged:
      if (from != notified && from != walled_garden) {
        return refuse(from, "self-release applies only to notified or walled_garden incidents");
      }
      if (context.self_releases_30d >= policy.self_release_limit) {
        return allow(escalated, "self-release limit reached: " + std::to_string(context.self_releases_30d) +
                                    " of " + std::to_string(policy.self_release_limit) + " in 30 days");
      }
      return allow(acknowledged, "released by the subscriber");
    case Action::grace_period_passed:
      if (from != acknowledged) return refuse(from, "only an acknowledged incident has a grace period");
      return allow(monitoring, "grace period of " + std::to_string(policy.acknowledge_grace_hours) +
                                   " hours passed");
    case Action::monitoring_period_passed:
      if (from != monitoring) return refuse(from, "only a monitored incident resolves by time");
      return allow(resolved, "no detection for " + std::to_string(policy.monitoring_days) + " days");
    case Action::operator_release:
      if (from == acknowledged || from == monitoring) return refuse(from, "already released");
      return allow(acknowledged, "released by an operator");
    case Action::operator_escalate:
      if (from == escalated) return refuse(from, "already escalated");
      return allow(escalated, "escalated by an operator");
    case Action::operator_exempt:
      return allow(detected, "exempted by an operator: recorded, never notified");
    case Action::operator_close:
      return allow(resolved, "closed by an operator");
    case Action::operator_reopen:
      if (from != resolved) return refuse(from, "only a resolved incident can be reopened");
      return allow(detected, "reopened by an operator");
  }
  return refuse(from, "unknown action");
}

}  // namespace botwarden::incident
