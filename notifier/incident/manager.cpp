// Incident manager: lifecycle decisions applied to the store, with audit rows.
#include "manager.hpp"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

namespace botwarden::incident {

namespace {
constexpr Micros kHour = 3600 * kMicrosPerSecond;
constexpr Micros kDay = 24 * kHour;
constexpr Micros kSelfReleaseWindow = 30 * kDay;
}  // namespace

std::int64_t TickResult::total() const {
  std::int64_t n = 0;
  for (const auto& [action, count] : transitions) n += count;
  return n;
}

std::string random_token() {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

IncidentManager::IncidentManager(store::Store& store, Policy policy) : store_(store), policy_(std::move(policy)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

bool IncidentManager::is_exempt(const Detection& d) {
  if (d.exempt) return true;
  if (!d.account) return false;
  if (std::find(policy_.exempt_accounts.begin(), policy_.exempt_accounts.end(), *d.account) !=
      policy_.exempt_accounts.end()) {
    return true;
  }
  const auto account = store_.find_account(*d.account);
  return account && account->exempt;
}

bool IncidentManager::wall_deadline_reached(const store::IncidentRecord& r) const {
  return r.state == State::notified && !r.exempt && r.first_notice_at &&
         r.last_detection >= *r.first_notice_at + policy_.walled_garden_after_hours * kHour;
}

ActionResult IncidentManager::transition(store::IncidentRecord& r, Action action, const Decision& d,
                                         const Actor& actor, const std::string& note, Micros now) {
  ActionResult result{d.allowed, r.state, d.to, d.reason};
  const bool human = actor.kind != ActorKind::system;
  if (!d.allowed) {
    result.reason = "refused: " + d.reason;
    if (human) {
      store_.append_transition({0, r.id, r.state, r.state, std::string(to_string(action)), actor.name, actor.kind,
                                result.reason + (note.empty() ? "" : "; " + note), now});
    }
    return result;
  }
  const State from = r.state;
  if (action == Action::notice_sent && !r.first_notice_at) r.first_notice_at = now;
  if (action == Action::subscriber_acknowledged && d.to == State::acknowledged) ++r.self_releases;
  if (action == Action::operator_exempt) r.exempt = true;
  if (d.to != from) {
    r.state = d.to;
    r.state_since = now;
    if (d.to == State::resolved) r.closed_at = now;
    if (from == State::resolved) r.closed_at.reset();
    // A reinfection or reopening starts a new notice path: the wall deadline counts from its first notice.
    if (d.to == State::reinfected || d.to == State::detected) r.first_notice_at.reset();
  }
  store_.update_incident(r);
  if (d.to != from || human) {
    store_.append_transition({0, r.id, from, d.to, std::string(to_string(action)), actor.name, actor.kind,
                              d.reason + (note.empty() ? "" : "; " + note), now});
  }
  return result;
}

store::IncidentId IncidentManager::on_detection(const Detection& d, Micros now) {
  store::IncidentId id = 0;
  store_.transaction([&] {
    const bool exempt = is_exempt(d);
    store::IncidentRecord probe;
    probe.account = d.account;
    probe.subscriber = d.subscriber;
    const std::string key = probe.key();
    auto open = store_.find_open_incident(key);
    if (!open) {
      store::IncidentRecord r = probe;
      r.state = State::detected;
      r.opened_at = now;
      r.state_since = now;
      r.first_detection = r.last_detection = d.ts;
      r.detectors = {d.detector};
      r.detection_count = 1;
      r.token = random_token();
      r.exempt = exempt;
      std::string reason = "opened by " + d.detector + " event " + d.event_id;
      if (const auto previous = store_.find_latest_resolved_incident(key)) {
        r.linked_incident = previous->id;
        reason += "; re-detection after incident " + std::to_string(previous->id) + " was resolved";
      }
      if (exempt) reason += "; exempt: recorded, never notified";
      id = store_.insert_incident(r);
      store_.append_transition(
          {0, id, std::nullopt, State::detected, "opened", "botwarden", ActorKind::system, reason, now});
      return;
    }
    auto& r = *open;
    id = r.id;
    r.first_detection = std::min(r.first_detection, d.ts);
    r.last_detection = std::max(r.last_detection, d.ts);
    if (std::find(r.detectors.begin(), r.detectors.end(), d.detector) == r.detectors.end()) {
      r.detectors.push_back(d.detector);
      std::sort(r.detectors.begin(), r.detectors.end());
    }
    ++r.detection_count;
    r.exempt = r.exempt || exempt;
    Context context;
    context.exempt = r.exempt;
    context.detection_after_state_entry = d.ts >= r.state_since;
    const auto decision = decide(r.state, Action::detection, context, policy_);
    transition(r, Action::detection, decision, Actor::system(), "event " + d.event_id, now);
    if (wall_deadline_reached(r)) {
      transition(r, Action::wall_deadline_passed, decide(r.state, Action::wall_deadline_passed, context, policy_),
                 Actor::system(), "event " + d.event_id, now);
    }
  });
  return id;
}

ActionResult IncidentManager::apply(store::IncidentId id, Action action, const Actor& actor, const std::string& note,
                                    Micros now) {
  ActionResult result;
  store_.transaction([&] {
    auto r = store_.find_incident(id);
    if (!r) throw store::StoreError("no incident " + std::to_string(id));
    Context context;
    context.exempt = r->exempt;
    context.self_releases_30d =
        r->account ? store_.count_self_releases(*r->account, now - kSelfReleaseWindow) : r->self_releases;
    auto decision = decide(r->state, action, context, policy_);
    if (decision.allowed && action == Action::operator_reopen) {
      if (const auto other = store_.find_open_incident(r->key())) {
        decision = {false, r->state, "incident " + std::to_string(other->id) + " is open for the same " +
                                         (r->account ? "account" : "subscriber")};
      }
    }
    result = transition(*r, action, decision, actor, note, now);
  });
  return result;
}

std::optional<ActionResult> IncidentManager::acknowledge_by_token(std::string_view token, Micros now) {
  const auto r = store_.find_incident_by_token(token);
  if (!r) return std::nullopt;
  return apply(r->id, Action::subscriber_acknowledged,
               {r->account.value_or(r->subscriber), ActorKind::subscriber}, "", now);
}

TickResult IncidentManager::tick(Micros now) {
  TickResult result;
  const auto due = [&](State state, Micros after) {
    std::vector<store::IncidentId> ids;
    store::IncidentFilter filter;
    filter.state = state;
    filter.limit = SIZE_MAX;
    for (const auto& r : store_.list_incidents(filter)) {
      if (state == State::notified ? wall_deadline_reached(r) : now >= r.state_since + after) ids.push_back(r.id);
    }
    return ids;
  };
  const auto run = [&](State state, Micros after, Action action) {
    for (const auto id : due(state, after)) {
      if (apply(id, action, Actor::system(), "", now).applied) ++result.transitions[std::string(to_string(action))];
    }
  };
  run(State::notified, 0, Action::wall_deadline_passed);
  run(State::acknowledged, policy_.acknowledge_grace_hours * kHour, Action::grace_period_passed);
  run(State::monitoring, policy_.monitoring_days * kDay, Action::monitoring_period_passed);
  return result;
}

}  // namespace botwarden::incident
