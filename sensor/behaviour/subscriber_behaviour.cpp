// Sliding per-subscriber windows; see subscriber_behaviour.hpp.
#include "subscriber_behaviour.hpp"

#include <algorithm>
#include <cstring>

#include "sensor/common/hash.hpp"
#include "subscriber_table.hpp"

namespace botwarden::behaviour {
namespace {

// IPv4 exactly (bit 32 marks it); IPv6 by hash. The top bit is left free.
std::uint64_t destination_key(const IpAddress& a) {
  if (a.is_v4()) return (1ULL << 32) | a.v4_host_order();
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  std::memcpy(&high, a.bytes.data(), 8);
  std::memcpy(&low, a.bytes.data() + 8, 8);
  return mix64(mix64(high) ^ low) & ~(1ULL << 63);
}

// The entry with the smallest `last` (the first of equals), as the old
// std::min_element over a map did up to the order of ties.
template <class Vector>
auto oldest(Vector& v) {
  return std::min_element(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.last < b.last; });
}

// Entry header in SampleLists: kind, truncated flag, stored length (2 bytes);
// a truncated value is followed by the hash of the whole string.
constexpr std::size_t kEntryHeader = 4;

}  // namespace

std::uint64_t name_hash(std::string_view s) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return mix64(h ^ s.size());
}

void SampleLists::add(Kind kind, std::string_view value, std::size_t max_samples) {
  if (value.empty()) return;
  const bool truncated = value.size() > kMaxChars[kind];
  const std::string_view stored = value.substr(0, kMaxChars[kind]);
  const std::uint64_t hash = truncated ? name_hash(value) : 0;
  std::size_t count = 0;
  for (std::size_t at = 0; at < size_;) {
    const char* e = data_.get() + at;
    std::uint16_t length = 0;
    std::memcpy(&length, e + 2, 2);
    const bool entry_truncated = e[1] != 0;
    const char* text = e + kEntryHeader + (entry_truncated ? 8 : 0);
    if (static_cast<Kind>(e[0]) == kind) {
      ++count;
      if (entry_truncated == truncated && length == stored.size() && std::memcmp(text, stored.data(), length) == 0) {
        std::uint64_t entry_hash = 0;
        if (entry_truncated) std::memcpy(&entry_hash, e + kEntryHeader, 8);
        if (entry_hash == hash) return;
      }
    }
    at = static_cast<std::size_t>(text + length - data_.get());
  }
  if (count >= max_samples) return;
  // Exactly the size needed: a list grows at most max_samples times.
  const std::size_t entry = kEntryHeader + (truncated ? 8 : 0) + stored.size();
  const std::size_t needed = size_ + entry;
  if (needed > 0xffff) return;  // cannot happen with schema-sized lists; never wraps
  auto fresh = std::make_unique<char[]>(needed);
  if (size_ > 0) std::memcpy(fresh.get(), data_.get(), size_);
  char* e = fresh.get() + size_;
  e[0] = static_cast<char>(kind);
  e[1] = truncated ? 1 : 0;
  const auto length = static_cast<std::uint16_t>(stored.size());
  std::memcpy(e + 2, &length, 2);
  if (truncated) std::memcpy(e + kEntryHeader, &hash, 8);
  std::memcpy(e + kEntryHeader + (truncated ? 8 : 0), stored.data(), stored.size());
  data_ = std::move(fresh);
  size_ = static_cast<std::uint16_t>(needed);
  capacity_ = size_;
}

std::vector<std::string> SampleLists::list(Kind kind) const {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < size_;) {
    const char* e = data_.get() + at;
    std::uint16_t length = 0;
    std::memcpy(&length, e + 2, 2);
    const char* text = e + kEntryHeader + (e[1] != 0 ? 8 : 0);
    if (static_cast<Kind>(e[0]) == kind) out.emplace_back(text, length);
    at = static_cast<std::size_t>(text + length - data_.get());
  }
  return out;
}

std::string subscriber_key(const IpAddress& address, unsigned ipv6_prefix_length) {
  return SubscriberKey::of(address, ipv6_prefix_length).to_string();
}

std::size_t SubscriberBehaviour::heap_bytes() const {
  return destinations_.heap_bytes() + helos_.heap_bytes() + sender_domains_.heap_bytes() +
         new_destination_times_.heap_bytes() + samples_.heap_bytes();
}

namespace {
template <class T>
void add_saturating(std::uint32_t& counter, T n) {
  const std::uint64_t sum = std::uint64_t{counter} + static_cast<std::uint64_t>(n);
  counter = sum > 0xffffffffULL ? 0xffffffffU : static_cast<std::uint32_t>(sum);
}
}  // namespace

Novelty SubscriberBehaviour::observe(const smtp::SessionRecord& r, const IpAddress& address,
                                     bool blocklisted, const std::string& sender_domain, Micros at,
                                     const BehaviourLimits& limits) {
  Novelty n;
  n.direct = r.path == smtp::Path::direct;
  if (sessions == 0 || at < first_seen) first_seen = at;
  last_seen = std::max(last_seen, at);
  last_address = address;
  add_saturating(sessions, 1);
  if (r.trans_depth > 0) add_saturating(transactions, 1);
  add_saturating(rejections_5xx, r.replies_5xx);
  add_saturating(rcpt_count, r.rcptto.size());

  if (n.direct) {
    add_saturating(direct_sessions, 1);
    const std::uint64_t key = destination_key(r.resp_h);
    auto* it = std::find_if(destinations_.begin(), destinations_.end(),
                            [&](const Destination& d) { return (d.key & ~kBlocklisted) == key; });
    if (it == destinations_.end()) {
      if (!destinations_.empty() && destinations_.size() >= limits.max_destinations) {
        auto* old = oldest(destinations_);
        if (old->key & kBlocklisted) --blocklisting_servers_;
        destinations_.erase(old);
      }
      it = &destinations_.push_back(Destination{key, 0});
      n.new_destination = true;
      new_destination_times_.push_back(at);
    }
    std::size_t stale = 0;
    while (stale < new_destination_times_.size() && new_destination_times_[stale] < at - limits.burst_window) ++stale;
    new_destination_times_.erase_front(stale);
    if (new_destination_times_.size() > limits.max_destinations) new_destination_times_.erase_front(1);
    n.recent_new_destinations = new_destination_times_.size();
    it->last = std::max(it->last, at);
    if (blocklisted && !(it->key & kBlocklisted)) {
      it->key |= kBlocklisted;
      n.first_blocklist_at_destination = true;
      ++blocklisting_servers_;
    }
    n.blocklisting_servers = blocklisting_servers_;
    samples_.add(SampleLists::destination, r.resp_h.to_string(), limits.max_samples);
    if (!sender_domain.empty()) {
      const std::uint64_t hash = name_hash(sender_domain);
      auto* sd = std::find_if(sender_domains_.begin(), sender_domains_.end(),
                              [&](const SenderDomain& d) { return d.hash == hash; });
      if (sd == sender_domains_.end()) {
        if (!sender_domains_.empty() && sender_domains_.size() >= limits.max_destinations) {
          sender_domains_.erase(oldest(sender_domains_));
        }
        sd = &sender_domains_.push_back(SenderDomain{hash, at});
        n.new_sender_domain = true;
      }
      sd->last = std::max(sd->last, at);
    }
  }

  if (!r.helo.empty()) {
    const std::uint64_t hash = name_hash(r.helo);
    auto* it = std::find_if(helos_.begin(), helos_.end(), [&](const Helo& h) { return h.hash == hash; });
    if (it == helos_.end()) {
      if (!helos_.empty() && helos_.size() >= limits.max_helos) {
        auto* old = oldest(helos_);
        if (old->direct) --direct_helos_;
        helos_.erase(old);
      }
      it = &helos_.push_back(Helo{hash, 0, 0, false});
    }
    n.helo_repeats = it->sessions;
    add_saturating(it->sessions, 1);
    it->last = std::max(it->last, at);
    if (n.direct && !it->direct) {
      it->direct = true;
      ++direct_helos_;
    }
    samples_.add(SampleLists::helo, r.helo, limits.max_samples);
  }
  if (const auto at_sign = r.mailfrom.rfind('@'); at_sign != std::string::npos) {
    std::string domain = r.mailfrom.substr(at_sign + 1);
    for (auto& c : domain) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
    }
    samples_.add(SampleLists::mailfrom_domain, domain, limits.max_samples);
  }
  return n;
}

void SubscriberBehaviour::expire(Micros now, const BehaviourLimits& limits) {
  destinations_.erase_if([&](const Destination& d) {
    const bool old = d.last < now - limits.destination_window;
    if (old && (d.key & kBlocklisted)) --blocklisting_servers_;
    return old;
  });
  sender_domains_.erase_if([&](const SenderDomain& d) { return d.last < now - limits.destination_window; });
  helos_.erase_if([&](const Helo& h) {
    const bool old = h.last < now - limits.helo_window;
    if (old && h.direct) --direct_helos_;
    return old;
  });
  destinations_.shrink();
  sender_domains_.shrink();
  helos_.shrink();
  new_destination_times_.shrink();
}

}  // namespace botwarden::behaviour
