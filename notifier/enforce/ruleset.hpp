// Walled-garden export: from the walled subscribers' prefixes to (1) an
// nftables ruleset applied atomically with `nft -f`, (2) an ipset restore
// file for iptables users, (3) the JSON of GET /api/v1/walled-garden.
// Pure functions of their inputs: same input, same bytes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "notifier/enforce/enforce_config.hpp"
#include "sensor/common/ip.hpp"
#include "sensor/common/time.hpp"

namespace botwarden::enforce {

// One walled account (or unattributed subscriber) and the prefixes it holds now.
struct WalledEntry {
  std::string account;        // empty for an unattributed subscriber
  std::int64_t incident_id = 0;
  Micros since = 0;           // when the incident entered walled_garden
  std::vector<Prefix> prefixes;
};

// Sorted by family and address; duplicates and prefixes inside another one
// removed, so nftables interval sets never see overlapping elements.
std::vector<Prefix> normalize_prefixes(std::vector<Prefix> prefixes);

// The nftables ruleset (table inet botwarden). One transaction: declares the
// table, sets and chains (so a fresh host works), flushes the chains and
// sets, and refills them. Rules, in order:
//   prerouting (nat): walled TCP 80 not to the allow-list -> dnat to the
//     notice page (the subscriber's source address stays visible to it);
//   forward (filter): walled -> allow-list accept; walled -> notice page
//     accept; everything else from walled sources rejected (TCP reset,
//     ICMP admin-prohibited) or dropped.
// Traffic to the router itself (its resolver, a notice page on the router)
// is not filtered: only forwarded traffic is.
std::string render_nft_ruleset(const EnforceConfig& config, const std::vector<WalledEntry>& walled);

// `ipset restore` input: sets botwarden-walled4/6 and botwarden-allow4/6
// (hash:net), each filled in a temporary set and swapped in atomically.
std::string render_ipset_restore(const EnforceConfig& config, const std::vector<WalledEntry>& walled);

// {"generated_at": ..., "accounts": n, "walled": [{"account", "incident_id",
//   "since", "prefixes": [...]}], "allow": [...], "notice_page": "..."}
std::string render_walled_garden_json(const EnforceConfig& config, const std::vector<WalledEntry>& walled,
                                      Micros now);

}  // namespace botwarden::enforce
