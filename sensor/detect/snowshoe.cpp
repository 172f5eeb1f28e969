// Snowshoe correlation; see snowshoe.hpp.
#include "snowshoe.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace botwarden::detect {
namespace {
constexpr std::size_t kMaxMembersPerCluster = 100000;
}

std::string SnowshoeCorrelator::cluster_id(const std::string& fingerprint) {
  static const int sodium_ready = sodium_init();
  (void)sodium_ready;
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(fingerprint.data()),
                     fingerprint.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (std::size_t i = 0; i < 8; ++i) {
    id += kHex[digest[i] >> 4];
    id += kHex[digest[i] & 0xF];
  }
  return id;
}

void SnowshoeCorrelator::prune(Cluster& c, Micros now) const {
  const Micros cutoff = now - static_cast<Micros>(config_.window_seconds) * kMicrosPerSecond;
  for (auto it = c.members.begin(); it != c.members.end();) {
    if (it->second < cutoff) {
      c.announced.erase(it->first);
      it = c.members.erase(it);
    } else {
      ++it;
    }
  }
}

ClusterView SnowshoeCorrelator::observe(const SenderSummary& s) {
  ClusterView view;
  if (s.fingerprint.empty() || s.subscriber.empty()) return view;
  {
    auto& fresh = clusters_[s.fingerprint];
    fresh.last = std::max(fresh.last, s.ts);  // before the cap, so the newest is never dropped
  }
  enforce_cap();
  auto found = clusters_.find(s.fingerprint);
  if (found == clusters_.end()) return view;
  Cluster& c = found->second;
  bool joined = false;
  if (c.members.size() < kMaxMembersPerCluster || c.members.count(s.subscriber)) {
    auto [member, inserted] = c.members.try_emplace(s.subscriber, s.ts);
    member->second = std::max(member->second, s.ts);
    joined = inserted;
  }
  // Members older than the window are pruned by expire(), not here: per
  // observation the work stays constant however big the cluster.
  view.cluster_id = cluster_id(s.fingerprint);
  view.fingerprint = s.fingerprint;
  view.size = c.members.size();
  if (view.size >= config_.min_cluster_size) {
    if (c.announced.size() + 1 == c.members.size() && joined) {
      c.announced.insert(s.subscriber);  // the cluster was announced; only the newcomer is new
      view.newly_flagged.push_back(s.subscriber);
    } else if (c.announced.size() < c.members.size()) {
      for (const auto& [member, seen] : c.members) {
        (void)seen;
        if (c.announced.insert(member).second) view.newly_flagged.push_back(member);
      }
    }
  }
  return view;
}

void SnowshoeCorrelator::merge(const SnowshoeCorrelator& other) {
  for (const auto& [fingerprint, theirs] : other.clusters_) {
    auto& mine = clusters_[fingerprint];
    for (const auto& [member, seen] : theirs.members) {
      auto& m = mine.members[member];
      m = std::max(m, seen);
    }
    mine.announced.insert(theirs.announced.begin(), theirs.announced.end());
    mine.last = std::max(mine.last, theirs.last);
  }
  enforce_cap();
}

void SnowshoeCorrelator::expire(Micros now) {
  const Micros cutoff = now - static_cast<Micros>(config_.window_seconds) * kMicrosPerSecond;
  for (auto it = clusters_.begin(); it != clusters_.end();) {
    if (it->second.last < cutoff) {
      it = clusters_.erase(it);
    } else {
      prune(it->second, now);
      ++it;
    }
  }
}

void SnowshoeCorrelator::enforce_cap() {
  if (clusters_.size() <= config_.max_fingerprints) return;
  // Drop the least recently active tenth at once, so the scan is rare.
  std::vector<std::pair<Micros, std::string>> by_age;
  by_age.reserve(clusters_.size());
  for (const auto& [fp, c] : clusters_) by_age.emplace_back(c.last, fp);
  const std::size_t drop = clusters_.size() - config_.max_fingerprints + config_.max_fingerprints / 10;
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(drop - 1), by_age.end());
  for (std::size_t i = 0; i < drop; ++i) clusters_.erase(by_age[i].second);
}

}  // namespace botwarden::detect
