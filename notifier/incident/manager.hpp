// Applies the incident state machine (lifecycle.hpp) to the store: opens
// incidents on detections, records every transition with actor and reason in
// the append-only audit log, and applies time-based transitions in tick().
#pragma once
#include <map>
#include <optional>
#include <string>

#include "notifier/incident/lifecycle.hpp"
#include "notifier/store/store.hpp"

namespace botwarden::incident {

// One accepted detection, already mapped to an account (or not).
struct Detection {
  std::string event_id;
  std::string subscriber;              // "192.0.2.7" or "2001:db8:1:2::/64"
  std::optional<std::string> account;  // nullopt: unattributed, keyed by subscriber
  std::string detector;
  Micros ts = 0;                       // event time
  bool exempt = false;                 // the sensor marked it exempt
};

struct Actor {
  std::string name;  // "botwarden" for the system, the operator's name, the account id
  ActorKind kind = ActorKind::system;
  static Actor system() { return {"botwarden", ActorKind::system}; }
};

struct ActionResult {
  bool applied = false;           // false: refused, `reason` says why; nothing changed but the audit row
  State from = State::detected;
  State to = State::detected;
  std::string reason;
};

struct TickResult {
  std::map<std::string, std::int64_t> transitions;  // action name -> how many incidents moved
  std::int64_t total() const;
};

class IncidentManager {
 public:
  IncidentManager(store::Store& store, Policy policy);

  // Opens or updates the account's (or subscriber's) open incident and
  // returns its id. A detection after resolution opens a new incident linked
  // to the resolved one. Runs in one store transaction (joins the caller's).
  store::IncidentId on_detection(const Detection& detection, Micros now);

  // Applies one action to one incident. Refused human actions are written
  // to the audit log too (from == to, reason "refused: ..."). Throws
  // store::StoreError when the incident does not exist.
  ActionResult apply(store::IncidentId id, Action action, const Actor& actor, const std::string& note, Micros now);

  // Convenience entry points for the notices outbox and the walled garden.
  ActionResult record_notice_sent(store::IncidentId id, Micros at) {
    return apply(id, Action::notice_sent, Actor::system(), "", at);
  }
  // Self-release from the cleanup link; nullopt when no incident has this token.
  std::optional<ActionResult> acknowledge_by_token(std::string_view token, Micros now);

  // Time-based transitions due at `now`: wall deadline, grace period,
  // monitoring period. Idempotent: a second tick at the same time moves nothing.
  TickResult tick(Micros now);

  const Policy& policy() const { return policy_; }

 private:
  bool is_exempt(const Detection& detection);
  bool wall_deadline_reached(const store::IncidentRecord& r) const;
  ActionResult transition(store::IncidentRecord& r, Action action, const Decision& decision, const Actor& actor,
                          const std::string& note, Micros now);

  store::Store& store_;
  Policy policy_;
};

// 32 hex characters from libsodium's CSPRNG: the cleanup-link token.
std::string random_token();

}  // namespace botwarden::incident
