// Value types of subscriber mapping: who held which address when. Parsers
// (Kea, dhcpd.leases, FreeRADIUS detail, static CSV) produce them; the store
// keeps them; lookup(ip, time) -> account uses them. Interface between
// notifier/mapping and notifier/store.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "sensor/common/ip.hpp"
#include "sensor/common/time.hpp"

namespace botwarden::mapping {

// One address assignment. An IPv4 lease is a /32; an IPv6 delegation is its
// prefix (/56, /64...); an IPv6 address lease is a /128.
struct Lease {
  Prefix prefix;
  Micros start = 0;          // inclusive
  Micros end = 0;            // exclusive; kOpenEnd while still held
  std::string account;       // account id (or the RADIUS User-Name / DHCP hw/client id mapped to it)
  std::string source;        // "kea4", "kea6", "dhcpd", "radius", "static"
  std::string source_key;    // identity inside the source (lease address+start, Acct-Session-Id...) so re-import does not duplicate
};
inline constexpr Micros kOpenEnd = INT64_MAX;

struct Account {
  std::string id;
  std::string email;         // contact address for notices
  std::string language = "en";
  bool business = false;
  bool exempt = false;       // recorded, never notified
  std::string name;          // display name, optional
};

}  // namespace botwarden::mapping
