// The incident state machine: a pure function from (state, action, context)
// to the next state. No store, no clock, no I/O; docs/INCIDENTS.md has the
// full state x action table and the reasons behind it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace botwarden::incident {

enum class State : std::uint8_t {
  detected,       // opened by a detection, no notice sent yet (exempt incidents stay here)
  notified,       // a notice was sent; the subscriber has walled_garden_after_hours to clean up
  walled_garden,  // detections continued past the deadline: web traffic goes to the walled garden
  acknowledged,   // the subscriber (self-release) or an operator released it; grace for in-flight evidence
  monitoring,     // after the grace: any new detection is a reinfection
  resolved,       // closed: monitoring passed quietly, or an operator closed it (terminal)
  reinfected,     // detected again during monitoring: back into the notice path
  escalated,      // needs an operator: self-release limit reached, or an operator escalated it
};
inline constexpr std::size_t kStateCount = 8;

enum class Action : std::uint8_t {
  detection,                  // a detection event arrived for this incident
  notice_sent,                // the outbox sent a notice for this incident
  wall_deadline_passed,       // detections continued walled_garden_after_hours after the first notice
  subscriber_acknowledged,    // self-release from the walled-garden page
  grace_period_passed,        // acknowledge_grace_hours after the release
  monitoring_period_passed,   // monitoring_days without a new detection
  operator_release,           // operator: out of the wall, into acknowledged
  operator_escalate,          // operator: hand to a human
  operator_exempt,            // operator: record, never notify
  operator_close,             // operator: resolve now
  operator_reopen,            // operator: resolved -> detected
};
inline constexpr std::size_t kActionCount = 11;

enum class ActorKind : std::uint8_t { system, subscriber, operator_ };

std::string_view to_string(State s);
std::string_view to_string(Action a);
std::string_view to_string(ActorKind k);
std::optional<State> parse_state(std::string_view text);
std::optional<Action> parse_action(std::string_view text);
std::optional<ActorKind> parse_actor_kind(std::string_view text);
bool is_open(State s);  // every state but resolved
const std::vector<State>& all_states();
const std::vector<Action>& all_actions();

// Policy: [notifier] keys of botwarden.toml (see configs/botwarden.toml).
struct Policy {
  std::vector<std::string> channels{"email"};  // notice channels, in the order tried
  std::int64_t walled_garden_after_hours = 72;
  std::int64_t acknowledge_grace_hours = 1;
  std::int64_t monitoring_days = 14;
  std::int64_t self_release_limit = 2;          // per 30 days, per account
  std::vector<std::string> exempt_accounts;     // recorded, never notified
};

// What the state machine needs to know besides the state.
struct Context {
  bool exempt = false;                 // this incident is exempt: never notified, never walled
  std::int64_t self_releases_30d = 0;  // subscriber self-releases of this account in the last 30 days
  bool detection_after_state_entry = true;  // detection ts >= when the current state was entered
};

struct Decision {
  bool allowed = false;  // false: the action does not apply; state unchanged, `reason` says why
  State to = State::detected;
  std::string reason;    // for the audit log
};

// The whole state machine. Same inputs, same answer.
Decision decide(State from, Action action, const Context& context, const Policy& policy);

}  // namespace botwarden::incident
