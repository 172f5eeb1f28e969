// Scenario + seed -> capture.pcap, labels.json and subscriber data files.
#pragma once
#include <cstdint>
#include <string>

#include "tools/linksim/scenario.hpp"

namespace botwarden::linksim {

struct Summary {
  std::uint64_t packets = 0;
  std::uint64_t pcap_bytes = 0;
  std::uint64_t smtp_packets = 0;   // packets of flows to ports 25, 465, 587
  std::uint64_t flows = 0;
  std::uint64_t smtp_sessions = 0;
  std::uint64_t subscribers = 0;
};

// Writes out_dir/{capture.pcap, labels.json, accounts.csv, kea-leases4.csv,
// radius-detail, ipv6-delegations.csv}. Throws std::runtime_error on I/O errors.
Summary generate(const Scenario& scenario, std::uint64_t seed, const std::string& out_dir);

}  // namespace botwarden::linksim
