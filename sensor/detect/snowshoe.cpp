// Snowshoe correlation; see snowshoe.hpp and docs/DETECTION.md "Snowshoe".
#include "snowshoe.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "sensor/behaviour/subscriber_behaviour.hpp"
#include "sensor/common/hash.hpp"

namespace botwarden::detect {
namespace {
constexpr std::size_t kMaxMembersPerCluster = 100000;

// IPv4 exactly (bit 32 marks it); IPv6 by hash.
std::uint64_t server_key(const IpAddress& a) {
  if (a.is_v4()) return (1ULL << 32) | a.v4_host_order();
  return mix64(mix64(load_be64(a.bytes.data())) ^ load_be64(a.bytes.data() + 8)) | (1ULL << 63);
}

// Never 0: 0 marks "no fingerprint" in a server's senders.
std::uint64_t fingerprint_hash(const std::string& fingerprint) {
  const std::uint64_t h = behaviour::name_hash(fingerprint);
  return h == 0 ? 1 : h;
}

Micros window_of(const SnowshoeConfig& config) {
  return static_cast<Micros>(config.window_seconds) * kMicrosPerSecond;
}

// Drops the least recently active tenth of a map of entries with `last` once
// it holds more than `cap`, so the scan is rare.
template <class Map>
void drop_oldest_tenth(Map& map, std::size_t cap) {
  if (map.size() <= cap) return;
  std::vector<std::pair<Micros, typename Map::key_type>> by_age;
  by_age.reserve(map.size());
  for (const auto& [key, value] : map) by_age.emplace_back(value.last, key);
  const std::size_t drop = map.size() - cap + cap / 10;
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(drop - 1), by_age.end());
  for (std::size_t i = 0; i < drop; ++i) map.erase(by_age[i].second);
}
}  // namespace

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
  const Micros cutoff = now - window_of(config_);
  for (auto* members : {&c.members, &c.joined}) {
    for (auto it = members->begin(); it != members->end();) {
      if (it->second < cutoff) {
        c.announced.erase(it->first);
        it = members->erase(it);
      } else {
        ++it;
      }
    }
  }
}

void SnowshoeCorrelator::Server::note(const Sender& sender) {
  const auto it = std::find_if(senders.begin(), senders.end(),
                               [&](const Sender& x) { return x.subscriber == sender.subscriber; });
  if (it != senders.end()) {
    it->last = std::max(it->last, sender.last);
    if (sender.fingerprint != 0) it->fingerprint = sender.fingerprint;
  } else if (senders.size() < kMaxSendersPerServer) {
    senders.push_back(sender);
  } else {
    popular = true;
  }
}

bool SnowshoeCorrelator::Server::note(const Refused& r) {
  const auto it = std::find_if(refused.begin(), refused.end(),
                               [&](const Refused& x) { return x.subscriber == r.subscriber; });
  if (it != refused.end()) {
    it->last = std::max(it->last, r.last);
  } else if (refused.size() < kMaxRefusedPerServer) {
    refused.push_back(r);
  } else {
    return false;
  }
  return true;
}

void SnowshoeCorrelator::add_server(Cluster& c, std::uint64_t key) const {
  if (std::find(c.servers.begin(), c.servers.end(), key) == c.servers.end() && c.servers.size() < kMaxServersPerCluster) {
    c.servers.push_back(key);
  }
}

void SnowshoeCorrelator::fill_view(const Cluster& c, ClusterView& view) const {
  view.cluster_id = cluster_id(c.fingerprint);
  view.fingerprint = c.fingerprint;
  view.size = c.members.size() + c.joined.size();
}

// A server is one of the cluster's targets when at least two members tried
// it (a dialog, or refused like the others: a receiver refusing listed
// addresses at the banner refuses the campaign's listed members too) and
// they are at least as many as all the other subscribers that had a dialog
// with it within the window: the campaign, not this ISP's ordinary mail, is
// what reaches that server. A server more subscribers mail than are kept (a
// big provider everyone mails) is never one.
bool SnowshoeCorrelator::target_of(const Server& s, const Cluster& c, std::uint64_t fingerprint) const {
  if (s.popular) return false;
  const auto talked = static_cast<std::size_t>(
      std::count_if(s.senders.begin(), s.senders.end(), [&](const Sender& x) { return x.fingerprint == fingerprint; }));
  const auto refused = static_cast<std::size_t>(
      std::count_if(s.refused.begin(), s.refused.end(), [&](const Refused& x) { return c.members.count(x.subscriber) > 0; }));
  const std::size_t members = talked + refused;
  return members >= 2 && s.senders.size() - talked <= members;
}

void SnowshoeCorrelator::join_refused(Cluster& c, std::uint64_t fingerprint, std::uint64_t key,
                                      const MayJoin& may_join, ClusterView& view) {
  const auto found = servers_.find(key);
  if (found == servers_.end() || found->second.refused.empty() || !target_of(found->second, c, fingerprint)) return;
  const Micros cutoff = c.last - window_of(config_);
  for (const auto& r : found->second.refused) {
    if (r.last < cutoff || c.members.count(r.subscriber) || c.announced.count(r.subscriber)) continue;
    if (!may_join || !may_join(r.subscriber)) continue;
    c.joined[r.subscriber] = r.last;
    c.announced.insert(r.subscriber);
    view.joined.push_back(r.subscriber);
  }
}

ClusterView SnowshoeCorrelator::observe(const SenderSummary& s, const MayJoin& may_join) {
  ClusterView view;
  if (s.subscriber.empty()) return view;
  const std::uint64_t key = server_key(s.server);
  const std::uint64_t fp = s.fingerprint.empty() ? 0 : fingerprint_hash(s.fingerprint);
  {
    auto& server = servers_[key];
    server.last = std::max(server.last, s.ts);
    server.note(Sender{behaviour::name_hash(s.subscriber), fp, s.ts});
  }
  enforce_server_cap();
  if (fp == 0) return view;
  std::array<std::uint64_t, kRefusingServersPerSubscriber> refused_at{};
  {
    auto& note = subscribers_[behaviour::name_hash(s.subscriber)];
    note.fingerprint = fp;
    note.last = std::max(note.last, s.ts);
    refused_at = note.refused_at;
  }
  drop_oldest_tenth(subscribers_, kMaxSnowshoeSubscribers);
  {
    auto& fresh = clusters_[fp];
    if (fresh.fingerprint.empty()) fresh.fingerprint = s.fingerprint;
    fresh.last = std::max(fresh.last, s.ts);  // before the cap, so the newest is never dropped
  }
  enforce_cap();
  auto found = clusters_.find(fp);
  if (found == clusters_.end()) return view;
  Cluster& c = found->second;
  bool joined = false;
  if (c.members.size() < kMaxMembersPerCluster || c.members.count(s.subscriber)) {
    auto [member, inserted] = c.members.try_emplace(s.subscriber, s.ts);
    member->second = std::max(member->second, s.ts);
    joined = inserted;
    // A refused subscriber that later shows a fingerprint is a member now.
    if (inserted) c.joined.erase(s.subscriber);
  }
  add_server(c, key);
  // The servers that refused this member earlier are the cluster's too.
  for (const auto refusing : refused_at) {
    if (refusing != 0) add_server(c, refusing);
  }
  // Members older than the window are pruned by expire(), not here: per
  // observation the work stays constant however big the cluster.
  fill_view(c, view);
  if (c.members.size() >= config_.min_cluster_size) {
    if (joined && !c.announced.count(s.subscriber) && c.announced.size() + 1 >= c.members.size() + c.joined.size()) {
      c.announced.insert(s.subscriber);  // the cluster was announced; only the newcomer is new
      view.newly_flagged.push_back(s.subscriber);
    } else if (c.announced.size() < c.members.size() + c.joined.size()) {
      for (const auto& [member, seen] : c.members) {
        (void)seen;
        if (c.announced.insert(member).second) view.newly_flagged.push_back(member);
      }
    }
    // Subscribers refused at the banner by the cluster's targets join it.
    for (const auto server : c.servers) join_refused(c, fp, server, may_join, view);
    fill_view(c, view);
  }
  return view;
}

std::vector<ClusterView> SnowshoeCorrelator::observe_refusal(const RefusalSummary& r, const MayJoin& may_join) {
  std::vector<ClusterView> views;
  if (r.subscriber.empty()) return views;
  const std::uint64_t key = server_key(r.server);
  {
    auto& server = servers_[key];
    server.last = std::max(server.last, r.ts);
    if (!server.note(Refused{r.subscriber, r.ts})) {  // full: the newest takes the oldest one's place
      *std::min_element(server.refused.begin(), server.refused.end(),
                        [](const Refused& a, const Refused& b) { return a.last < b.last; }) = Refused{r.subscriber, r.ts};
    }
  }
  enforce_server_cap();
  {
    auto& note = subscribers_[behaviour::name_hash(r.subscriber)];
    note.last = std::max(note.last, r.ts);
    if (std::find(note.refused_at.begin(), note.refused_at.end(), key) == note.refused_at.end()) {
      std::rotate(note.refused_at.rbegin(), note.refused_at.rbegin() + 1, note.refused_at.rend());
      note.refused_at[0] = key;  // the newest first; the oldest falls off
    }
  }
  drop_oldest_tenth(subscribers_, kMaxSnowshoeSubscribers);
  const auto found = servers_.find(key);
  if (found == servers_.end()) return views;
  // The clusters of those that talked to this server, and of the members it refused.
  std::vector<std::uint64_t> fingerprints;
  const auto add = [&](std::uint64_t fp) {
    if (fp != 0 && std::find(fingerprints.begin(), fingerprints.end(), fp) == fingerprints.end()) fingerprints.push_back(fp);
  };
  for (const auto& sender : found->second.senders) add(sender.fingerprint);
  for (const auto& refused : found->second.refused) {
    const auto note = subscribers_.find(behaviour::name_hash(refused.subscriber));
    if (note != subscribers_.end()) add(note->second.fingerprint);
  }
  for (const auto fp : fingerprints) {
    const auto cluster = clusters_.find(fp);
    if (cluster == clusters_.end() || cluster->second.members.size() < config_.min_cluster_size) continue;
    add_server(cluster->second, key);
    ClusterView view;
    join_refused(cluster->second, fp, key, may_join, view);
    if (view.joined.empty()) continue;
    fill_view(cluster->second, view);
    views.push_back(std::move(view));
  }
  return views;
}

void SnowshoeCorrelator::merge(const SnowshoeCorrelator& other) {
  for (const auto& [fp, theirs] : other.clusters_) {
    auto& mine = clusters_[fp];
    mine.fingerprint = theirs.fingerprint;
    for (const auto* from : {&theirs.members, &theirs.joined}) {
      auto& into = from == &theirs.members ? mine.members : mine.joined;
      for (const auto& [member, seen] : *from) {
        auto& m = into[member];
        m = std::max(m, seen);
      }
    }
    for (const auto& [member, seen] : mine.members) {
      (void)seen;
      mine.joined.erase(member);
    }
    mine.announced.insert(theirs.announced.begin(), theirs.announced.end());
    for (const auto server : theirs.servers) add_server(mine, server);
    mine.last = std::max(mine.last, theirs.last);
  }
  for (const auto& [key, theirs] : other.servers_) {
    auto& mine = servers_[key];
    mine.popular = mine.popular || theirs.popular;
    mine.last = std::max(mine.last, theirs.last);
    for (const auto& sender : theirs.senders) mine.note(sender);
    for (const auto& refused : theirs.refused) mine.note(refused);  // a full list keeps its own
  }
  for (const auto& [who, theirs] : other.subscribers_) {
    auto& mine = subscribers_[who];
    if (theirs.last >= mine.last && theirs.fingerprint != 0) mine.fingerprint = theirs.fingerprint;
    for (const auto refusing : theirs.refused_at) {
      const auto free = std::find(mine.refused_at.begin(), mine.refused_at.end(), std::uint64_t{0});
      if (refusing != 0 && free != mine.refused_at.end() &&
          std::find(mine.refused_at.begin(), mine.refused_at.end(), refusing) == mine.refused_at.end()) {
        *free = refusing;
      }
    }
    mine.last = std::max(mine.last, theirs.last);
  }
  enforce_cap();
  enforce_server_cap();
  drop_oldest_tenth(subscribers_, kMaxSnowshoeSubscribers);
}

void SnowshoeCorrelator::expire(Micros now) {
  const Micros cutoff = now - window_of(config_);
  for (auto it = clusters_.begin(); it != clusters_.end();) {
    if (it->second.last < cutoff) {
      it = clusters_.erase(it);
    } else {
      prune(it->second, now);
      ++it;
    }
  }
  for (auto it = servers_.begin(); it != servers_.end();) {
    auto& s = it->second;
    if (s.last < cutoff) {
      it = servers_.erase(it);
      continue;
    }
    // A popular server stays popular while it is mailed at all.
    std::erase_if(s.senders, [&](const Sender& x) { return x.last < cutoff; });
    std::erase_if(s.refused, [&](const Refused& x) { return x.last < cutoff; });
    ++it;
  }
  std::erase_if(subscribers_, [&](const auto& entry) { return entry.second.last < cutoff; });
}

void SnowshoeCorrelator::enforce_cap() { drop_oldest_tenth(clusters_, config_.max_fingerprints); }

void SnowshoeCorrelator::enforce_server_cap() { drop_oldest_tenth(servers_, kMaxSnowshoeServers); }

}  // namespace botwarden::detect
