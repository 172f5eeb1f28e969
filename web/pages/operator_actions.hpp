// Operator actions shared by the console and the JSON API: which role may
// do what, and applying one through the incident state machine (or, for
// resend_notice, the outbox), audited with the operator's name.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "notifier/incident/manager.hpp"
#include "web/pages/pages_config.hpp"

namespace botwarden::web {

struct OperatorAction {
  std::string_view name;   // "release", "escalate", "exempt", "close", "reopen", "resend_notice"
  std::string_view label;  // button text
  Role least_role;         // operator or admin
};
const std::vector<OperatorAction>& operator_actions();
const OperatorAction* find_operator_action(std::string_view name);
bool may_act(Role role, const OperatorAction& action);

struct ActionOutcome {
  enum class Kind { applied, refused, forbidden, unknown_action, no_incident, bad_reason };
  Kind kind = Kind::refused;
  std::string from;     // state names
  std::string to;
  std::string message;  // for people: what happened or why not
};

// `reason` must be 1..500 printable characters (it goes into the audit log).
ActionOutcome perform_operator_action(store::Store& store, incident::IncidentManager& incidents,
                                      store::IncidentId id, std::string_view action_name, const std::string& user,
                                      Role role, const std::string& reason, Micros now);

}  // namespace botwarden::web
