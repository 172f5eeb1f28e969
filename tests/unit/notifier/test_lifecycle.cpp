// The incident state machine: every state x action, every policy limit, and
// the table in docs/INCIDENTS.md kept equal to the code.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "notifier/incident/lifecycle.hpp"

using namespace botwarden::incident;

namespace {
// Expected next state for the default context (not exempt, no self-releases,
// detection after the state was entered); "-" is refused.
// Columns follow all_actions(): detection, notice_sent, wall_deadline_passed,
// subscriber_acknowledged, grace_period_passed, monitoring_period_passed,
// operator_release, operator_escalate, operator_exempt, operator_close, operator_reopen.
const std::map<std::string, std::vector<std::string>> kExpected{
    {"detected", {"detected", "notified", "-", "-", "-", "-", "acknowledged", "escalated", "detected", "resolved", "-"}},
    {"notified",
     {"notified", "notified", "walled_garden", "acknowledged", "-", "-", "acknowledged", "escalated", "detected",
      "resolved", "-"}},
    {"walled_garden",
     {"walled_garden", "walled_garden", "-", "acknowledged", "-", "-", "acknowledged", "escalated", "detected",
      "resolved", "-"}},
    {"acknowledged",
     {"acknowledged", "acknowledged", "-", "-", "monitoring", "-", "-", "escalated", "detected", "resolved", "-"}},
    {"monitoring",
     {"reinfected", "monitoring", "-", "-", "-", "resolved", "-", "escalated", "detected", "resolved", "-"}},
    {"resolved", {"-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "detected"}},
    {"reinfected",
     {"reinfected", "notified", "-", "-", "-", "-", "acknowledged", "escalated", "detected", "resolved", "-"}},
    {"escalated",
     {"escalated", "escalated", "-", "-", "-", "-", "acknowledged", "-", "detected", "resolved", "-"}},
};

std::string outcome(State from, Action action, const Context& context, const Policy& policy = {}) {
  const auto d = decide(from, action, context, policy);
  if (!d.allowed) {
    CHECK(d.to == from);  // a refusal never moves the state
    CHECK_FALSE(d.reason.empty());
    return "-";
  }
  return std::string(to_string(d.to));
}
}  // namespace

TEST_CASE("every state x action gives the documented next state") {
  REQUIRE(kExpected.size() == kStateCount);
  for (const auto state : all_states()) {
    for (std::size_t a = 0; a < kActionCount; ++a) {
      const auto action = all_actions()[a];
      CAPTURE(to_string(state));
      CAPTURE(to_string(action));
      CHECK(outcome(state, action, Context{}) == kExpected.at(std::string(to_string(state)))[a]);
    }
  }
}

TEST_CASE("state, action and actor names round-trip and unknown names are refused") {
  for (const auto s : all_states()) CHECK(parse_state(to_string(s)) == s);
  for (const auto a : all_actions()) CHECK(parse_action(to_string(a)) == a);
  for (const auto k : {ActorKind::system, ActorKind::subscriber, ActorKind::operator_}) {
    CHECK(parse_actor_kind(to_string(k)) == k);
  }
  CHECK_FALSE(parse_state("Detected").has_value());
  CHECK_FALSE(parse_action("").has_value());
  CHECK(to_string(ActorKind::operator_) == "operator");
}

TEST_CASE("only resolved is closed") {
  for (const auto s : all_states()) {
    CAPTURE(to_string(s));
    CHECK(is_open(s) == (s != State::resolved));
  }
}

TEST_CASE("self-release is allowed below the limit and escalates at it") {
  Policy policy;
  policy.self_release_limit = 2;
  for (const auto from : {State::notified, State::walled_garden}) {
    for (std::int64_t used = 0; used <= 3; ++used) {
      CAPTURE(to_string(from));
      CAPTURE(used);
      Context c;
      c.self_releases_30d = used;
      const auto d = decide(from, Action::subscriber_acknowledged, c, policy);
      CHECK(d.allowed);
      if (used < 2) {
        CHECK(d.to == State::acknowledged);
        CHECK(d.reason == "released by the subscriber");
      } else {
        CHECK(d.to == State::escalated);
        CHECK(d.reason == "self-release limit reached: " + std::to_string(used) + " of 2 in 30 days");
      }
    }
  }
  SUBCASE("a limit of 0 means every self-release goes to an operator") {
    policy.self_release_limit = 0;
    CHECK(decide(State::walled_garden, Action::subscriber_acknowledged, Context{}, policy).to == State::escalated);
  }
}

TEST_CASE("exempt incidents are never notified nor walled, in any state") {
  Context exempt;
  exempt.exempt = true;
  for (const auto s : all_states()) {
    CAPTURE(to_string(s));
    CHECK_FALSE(decide(s, Action::notice_sent, exempt, {}).allowed);
    CHECK_FALSE(decide(s, Action::wall_deadline_passed, exempt, {}).allowed);
  }
  CHECK(decide(State::detected, Action::notice_sent, exempt, {}).reason == "exempt: never notified");
  CHECK(decide(State::notified, Action::wall_deadline_passed, exempt, {}).reason == "exempt: never walled");
  // Detections are still recorded.
  CHECK(decide(State::detected, Action::detection, exempt, {}).allowed);
}

TEST_CASE("evidence from before monitoring began does not reinfect") {
  Context c;
  c.detection_after_state_entry = false;
  const auto d = decide(State::monitoring, Action::detection, c, {});
  CHECK(d.allowed);
  CHECK(d.to == State::monitoring);
  CHECK(d.reason == "evidence from before monitoring began");
  c.detection_after_state_entry = true;
  CHECK(decide(State::monitoring, Action::detection, c, {}).reason == "detected again during monitoring");
}

TEST_CASE("reasons name the policy figures") {
  Policy p;
  p.walled_garden_after_hours = 48;
  p.monitoring_days = 7;
  p.acknowledge_grace_hours = 2;
  CHECK(decide(State::notified, Action::wall_deadline_passed, {}, p).reason ==
        "detections continued 48 hours after the notice");
  CHECK(decide(State::monitoring, Action::monitoring_period_passed, {}, p).reason == "no detection for 7 days");
  CHECK(decide(State::acknowledged, Action::grace_period_passed, {}, p).reason == "grace period of 2 hours passed");
  CHECK(decide(State::resolved, Action::detection, {}, p).reason ==
        "resolved: a new detection opens a new incident linked to this one");
}

TEST_CASE("the table in docs/INCIDENTS.md is the table the code follows") {
  std::ifstream in(std::string(BOTWARDEN_SOURCE_DIR) + "/docs/INCIDENTS.md");
  REQUIRE(in.good());
  std::string line;
  std::vector<std::string> header;
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    if (!header.empty() && line.rfind("|", 0) != 0) break;  // the end of the table
    if (line.rfind("| state \\ action", 0) == 0 || (!header.empty() && line.rfind("| `", 0) == 0)) {
      std::vector<std::string> cells;
      std::stringstream ss(line);
      std::string cell;
      std::getline(ss, cell, '|');
      while (std::getline(ss, cell, '|')) {
        const auto b = cell.find_first_not_of(" `");
        const auto e = cell.find_last_not_of(" `");
        cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      }
      if (!cells.empty() && cells.back().empty()) cells.pop_back();
      if (line.rfind("| state", 0) == 0) {
        header = cells;
        continue;
      }
      REQUIRE(header.size() == kActionCount + 1);
      const auto from = parse_state(cells.at(0));
      REQUIRE(from.has_value());
      REQUIRE(cells.size() == kActionCount + 1);
      for (std::size_t a = 0; a < kActionCount; ++a) {
        const auto action = parse_action(header[a + 1]);
        REQUIRE(action.has_value());
        CAPTURE(cells[0]);
        CAPTURE(header[a + 1]);
        CHECK(outcome(*from, *action, Context{}) == cells[a + 1]);
      }
      ++rows;
    }
  }
  CHECK(rows == kStateCount);
}
