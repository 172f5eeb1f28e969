// Renewal merging and holder changes for lease sources that append records.
#include "notifier/mapping/history.hpp"

#include <algorithm>

namespace botwarden::mapping {

void LeaseHistory::assign(Lease lease, std::string holder) {
  const auto found = last_.find(lease.prefix);
  if (found != last_.end()) {
    Entry& last = entries_[found->second];
    if (last.holder == holder && last.lease.account == lease.account &&
        lease.start <= last.lease.end && lease.end >= last.lease.start) {
      last.lease.end = lease.end;
      return;
    }
    if (lease.start < last.lease.end) {
      last.lease.end = std::max(last.lease.start, lease.start);
    }
  }
  last_[lease.prefix] = entries_.size();
  entries_.push_back(Entry{std::move(lease), std::move(holder)});
}

void LeaseHistory::release(const Prefix& prefix, std::string_view holder, Micros at) {
  const auto found = last_.find(prefix);
  if (found == last_.end()) return;
  Entry& last = entries_[found->second];
  if (!holder.empty() && last.holder != holder) return;
  if (at >= last.lease.start && at < last.lease.end) last.lease.end = at;
}

std::vector<Lease> LeaseHistory::take() {
  std::vector<Lease> out;
  out.reserve(entries_.size());
  for (auto& e : entries_) out.push_back(std::move(e.lease));
  entries_.clear();
  last_.clear();
  return out;
}

}  // namespace botwarden::mapping
