// Per-subscriber state with a hard cap: the least recently active subscriber
// is evicted first, so memory is bounded whatever the link carries.
// An IPv4 subscriber is its address; an IPv6 subscriber is its prefix
// (default /64), since hosts rotate RFC 8981 privacy addresses inside it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

#include "sensor/common/ip.hpp"
#include "sensor/common/time.hpp"

namespace botwarden::behaviour {

// "192.0.2.7" or "2001:db8:1:2::/64".
std::string subscriber_key(const IpAddress& address, unsigned ipv6_prefix_length);

template <class State>
class SubscriberTable {
 public:
  explicit SubscriberTable(std::size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // The subscriber's state, created if new, marked most recently active.
  // `created` tells whether it was new (evicting the least recently active
  // subscriber when the table was full).
  State& touch(const std::string& key, Micros now, bool* created = nullptr) {
    if (auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      it->second->last_active = now > it->second->last_active ? now : it->second->last_active;
      if (created) *created = false;
      return it->second->state;
    }
    if (index_.size() >= capacity_) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
      ++evictions_;
    }
    lru_.push_front(Node{key, now, State{}});
    index_.emplace(key, lru_.begin());
    if (created) *created = true;
    return lru_.front().state;
  }

  State* find(const std::string& key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->state;
  }

  // Drops subscribers not active since `cutoff`; returns how many.
  std::size_t expire_idle(Micros cutoff) {
    std::size_t dropped = 0;
    while (!lru_.empty() && lru_.back().last_active < cutoff) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
      ++dropped;
    }
    return dropped;
  }

  template <class F>
  void for_each(F&& f) {
    for (auto& n : lru_) f(n.key, n.state);
  }

  std::size_t size() const { return index_.size(); }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t evictions() const { return evictions_; }

 private:
  struct Node {
    std::string key;
    Micros last_active;
    State state;
  };
  std::size_t capacity_;
  std::list<Node> lru_;  // front: most recently active
  std::unordered_map<std::string, typename std::list<Node>::iterator> index_;
  std::uint64_t evictions_ = 0;
};

}  // namespace botwarden::behaviour
