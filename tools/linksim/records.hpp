// The files written beside the capture: labels.json (ground truth per
// subscriber and session) and the subscriber data an ISP would feed the
// notifier: accounts.csv, kea-leases4.csv, radius-detail, ipv6-delegations.csv.
// Formats are documented in docs/LINKSIM.md.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "tools/linksim/smtp_dialog.hpp"
#include "tools/linksim/world.hpp"

namespace botwarden::linksim {

struct SubscriberLabel {
  std::set<std::string> addresses;   // every source address the subscriber used
  std::vector<SessionLabel> sessions;
};

void write_records(const Scenario& scenario, std::uint64_t seed, const World& world,
                   const std::vector<SubscriberLabel>& labels, Micros end, const std::string& out_dir);

}  // namespace botwarden::linksim
