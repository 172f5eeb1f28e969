// Role checks and the one path by which the console and the API act on incidents.
#include "web/pages/operator_actions.hpp"

namespace botwarden::web {

const std::vector<OperatorAction>& operator_actions() {
  static const std::vector<OperatorAction> actions = {
      {"release", "Release", Role::operator_},
      {"escalate", "Escalate", Role::operator_},
      {"resend_notice", "Resend notice", Role::operator_},
      {"exempt", "Exempt", Role::admin},
      {"close", "Close", Role::admin},
      {"reopen", "Reopen", Role::admin},
  };
  return actions;
}

const OperatorAction* find_operator_action(std::string_view name) {
  for (const auto& a : operator_actions()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

bool may_act(Role role, const OperatorAction& action) {
  return static_cast<int>(role) >= static_cast<int>(action.least_role);
}

namespace {

incident::Action state_machine_action(std::string_view name) {
  if (name == "release") return incident::Action::operator_release;
  if (name == "escalate") return incident::Action::operator_escalate;
  if (name == "exempt") return incident::Action::operator_exempt;
  if (name == "close") return incident::Action::operator_close;
  return incident::Action::operator_reopen;
}

bool valid_reason(const std::string& reason) {
  if (reason.empty() || reason.size() > 500) return false;
  for (const unsigned char c : reason) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// Queues a copy of the incident's latest notice under a new stage name (the
// outbox is idempotent per incident, channel and stage) and audits it.
ActionOutcome resend_notice(store::Store& store, const store::IncidentRecord& r, const std::string& user,
                            const std::string& reason, Micros now) {
  ActionOutcome out;
  out.from = out.to = std::string(incident::to_string(r.state));
  if (r.exempt || r.state == incident::State::resolved) {
    out.message = r.exempt ? "refused: the incident is exempt, it is never notified"
                           : "refused: the incident is resolved";
    return out;
  }
  store::NoticeFilter filter;
  filter.incident_id = r.id;
  const auto notices = store.list_notices(filter);
  if (notices.empty()) {
    out.message = "refused: no notice has been queued for this incident yet";
    return out;
  }
  const store::NoticeRecord* latest = &notices.front();
  for (const auto& n : notices) {
    if (n.created_at >= latest->created_at) latest = &n;
  }
  store::NoticeRecord copy = *latest;
  copy.stage = "resend-" + std::to_string(now);
  copy.status = store::NoticeStatus::queued;
  copy.attempts = 0;
  copy.next_attempt_at = now;
  copy.last_error.clear();
  copy.created_at = now;
  copy.sent_at.reset();
  std::optional<store::NoticeId> id;
  store.transaction([&] {
    id = store.enqueue_notice(copy);
    store::TransitionRecord audit;
    audit.incident_id = r.id;
    audit.from = r.state;
    audit.to = r.state;
    audit.action = "resend_notice";
    audit.actor = user;
    audit.actor_kind = incident::ActorKind::operator_;
    audit.reason = reason;
    audit.at = now;
    store.append_transition(audit);
  });
  if (!id) {
    out.message = "refused: that notice is queued already";
    return out;
  }
  out.kind = ActionOutcome::Kind::applied;
  out.message = "notice " + std::to_string(*id) + " queued (a copy of notice " + std::to_string(latest->id) + ")";
  return out;
}

}  // namespace

ActionOutcome perform_operator_action(store::Store& store, incident::IncidentManager& incidents,
                                      store::IncidentId id, std::string_view action_name, const std::string& user,
                                      Role role, const std::string& reason, Micros now) {
  ActionOutcome out;
  const auto* action = find_operator_action(action_name);
  if (!action) {
    out.kind = ActionOutcome::Kind::unknown_action;
    out.message = "unknown action '" + std::string(action_name) +
                  "': expected release, escalate, resend_notice, exempt, close or reopen";
    return out;
  }
  if (!may_act(role, *action)) {
    out.kind = ActionOutcome::Kind::forbidden;
    out.message = "the " + std::string(to_string(role)) + " role may not " + std::string(action->name);
    return out;
  }
  if (!valid_reason(reason)) {
    out.kind = ActionOutcome::Kind::bad_reason;
    out.message = "a reason of 1 to 500 printable characters is required (it goes into the audit log)";
    return out;
  }
  const auto r = store.find_incident(id);
  if (!r) {
    out.kind = ActionOutcome::Kind::no_incident;
    out.message = "no incident " + std::to_string(id);
    return out;
  }
  if (action->name == "resend_notice") return resend_notice(store, *r, user, reason, now);
  const auto result =
      incidents.apply(id, state_machine_action(action->name), {user, incident::ActorKind::operator_}, reason, now);
  out.from = std::string(incident::to_string(result.from));
  out.to = std::string(incident::to_string(result.to));
  out.kind = result.applied ? ActionOutcome::Kind::applied : ActionOutcome::Kind::refused;
  out.message = result.applied ? "incident " + std::to_string(id) + ": " + out.from + " -> " + out.to
                               : result.reason;
  return out;
}

}  // namespace botwarden::web
