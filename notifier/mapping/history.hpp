// Turns a source's chronological records (assignments, renewals, releases)
// into one lease per holding: renewals by the same holder extend the lease,
// a release ends it, a new holder ends the previous holder's lease where the
// new one starts. Internal to notifier/mapping; Kea and dhcpd use it.
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "notifier/mapping/lease.hpp"

namespace botwarden::mapping {

class LeaseHistory {
 public:
  // `holder` identifies the client inside the source (hwaddr/client id/DUID).
  // A record for the same prefix, holder and account that starts no later
  // than the current lease ends is a renewal: the lease now ends at
  // lease.end (the newest record is the truth). Otherwise a new lease; an
  // earlier holder still holding the prefix is cut at lease.start.
  void assign(Lease lease, std::string holder);
  // The holder gave the prefix up at `at` (release, expiry). An empty holder
  // matches whoever holds it. No effect when nobody holds it at `at`.
  void release(const Prefix& prefix, std::string_view holder, Micros at);
  std::vector<Lease> take();

 private:
  struct Entry {
    Lease lease;
    std::string holder;
  };
  struct PrefixHash {
    std::size_t operator()(const Prefix& p) const noexcept {
      return IpAddressHash{}(p.network) * 31u + p.length;
    }
  };
  std::vector<Entry> entries_;
  std::unordered_map<Prefix, std::size_t, PrefixHash> last_;  // prefix -> index in entries_
};

}  // namespace botwarden::mapping
