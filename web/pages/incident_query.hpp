// The incident list query shared by the console and the JSON API:
// filters (state, detector, account, time), newest first, paged.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "notifier/store/store.hpp"

namespace botwarden::web {

struct IncidentQuery {
  std::optional<incident::State> state;
  std::optional<std::string> detector;  // bad_helo | direct_to_mx | snowshoe
  std::optional<std::string> account;
  std::optional<Micros> since;           // detections at or after (last_detection >= since)
  std::optional<Micros> until;           // detections before (first_detection < until)
  std::size_t limit = 50;                // 1..500
  std::size_t offset = 0;
};

struct IncidentPage {
  std::vector<store::IncidentRecord> incidents;
  std::size_t total = 0;  // matching, before paging
};

// From query parameters state, detector, account, since, until (RFC 3339),
// limit, offset, page (1-based, console). Throws std::invalid_argument with a
// message naming the parameter: "state: unknown state 'x'".
IncidentQuery parse_incident_query(const std::map<std::string, std::string, std::less<>>& params);
IncidentPage run_incident_query(store::Store& store, const IncidentQuery& query);

}  // namespace botwarden::web
