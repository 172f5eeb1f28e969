// Per-subscriber state with a hard cap: the least recently active subscriber
// is evicted first, so memory is bounded whatever the link carries.
// An IPv4 subscriber is its address; an IPv6 subscriber is its prefix
// (default /64), since hosts rotate RFC 8981 privacy addresses inside it.
// Layout for a million subscribers: nodes live in fixed blocks (no
// reallocation spike, stable addresses), the LRU list is two 32-bit links
// inside each node, and the index is an open-addressing array of 32-bit node
// numbers: ~45 bytes per subscriber besides the state itself. Besides the
// count cap, an optional budget on what the states hold on the heap (their
// owner reports changes through adjust_heap()) evicts the same way, so
// subscribers with huge windows cannot add up past it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/common/ip.hpp"
#include "sensor/common/time.hpp"

namespace botwarden::behaviour {

// Who a subscriber is: an IPv4 address, or an IPv6 address masked to the
// subscriber prefix length.
struct SubscriberKey {
  IpAddress address;        // masked for IPv6
  std::uint8_t length = 32;  // prefix length: 32 for IPv4

  static SubscriberKey of(const IpAddress& address, unsigned ipv6_prefix_length) {
    if (address.is_v4()) return {address, 32};
    const unsigned length = ipv6_prefix_length > 128 ? 128 : ipv6_prefix_length;
    return {address.masked(length), static_cast<std::uint8_t>(length)};
  }
  // The inverse of to_string(); nullopt for anything else.
  static std::optional<SubscriberKey> parse(std::string_view text) {
    if (text.find('/') == std::string_view::npos) {
      const auto a = IpAddress::parse(text);
      if (!a || !a->is_v4()) return std::nullopt;
      return SubscriberKey{*a, 32};
    }
    const auto p = Prefix::parse(text);
    if (!p || p->network.is_v4()) return std::nullopt;
    return SubscriberKey{p->network, static_cast<std::uint8_t>(p->length)};
  }
  // "192.0.2.7" or "2001:db8:1:2::/64".
  std::string to_string() const {
    return address.is_v4() ? address.to_string() : Prefix{address, length}.to_string();
  }
  friend bool operator==(const SubscriberKey&, const SubscriberKey&) = default;
};

// "192.0.2.7" or "2001:db8:1:2::/64".
std::string subscriber_key(const IpAddress& address, unsigned ipv6_prefix_length);

template <class State>
class SubscriberTable {
 public:
  explicit SubscriberTable(std::size_t capacity)
      : capacity_(capacity < 1 ? 1 : (capacity > kMaxCapacity ? kMaxCapacity : capacity)),
        seed_((std::uint64_t{std::random_device{}()} << 32) | std::random_device{}()) {}

  // The subscriber's state, created if new, marked most recently active.
  // `created` tells whether it was new (evicting the least recently active
  // subscriber when the table was full).
  State& touch(const SubscriberKey& key, Micros now, bool* created = nullptr) {
    const std::uint64_t hash = hash_of(key);
    if (const std::uint32_t found = lookup(key, hash); found != kNone) {
      Node& n = node(found);
      unlink(found);
      link_front(found);
      if (now > n.last_active) n.last_active = now;
      if (created) *created = false;
      return n.state;
    }
    if (size_ >= capacity_) {
      remove(tail_);
      ++evictions_;
    }
    const std::uint32_t id = allocate();
    Node& n = node(id);
    n.key = key;
    n.last_active = now;
    link_front(id);
    insert_index(id, hash);
    ++size_;
    if (created) *created = true;
    return n.state;
  }

  State* find(const SubscriberKey& key) {
    const std::uint32_t found = lookup(key, hash_of(key));
    return found == kNone ? nullptr : &node(found).state;
  }

  // The owner changed a state's heap bytes from `before` to `after` (as its
  // heap_bytes() tells them).
  void adjust_heap(std::size_t before, std::size_t after) { heap_bytes_ = heap_bytes_ - before + after; }
  // What the states hold on the heap, as reported.
  std::size_t heap_bytes() const { return heap_bytes_; }
  // Evicts the least recently active subscribers while the states hold more
  // than `budget` heap bytes, keeping at least the most recent one.
  std::size_t evict_over_budget(std::size_t budget) {
    std::size_t evicted = 0;
    while (heap_bytes_ > budget && size_ > 1) {
      remove(tail_);
      ++evictions_;
      ++evicted;
    }
    return evicted;
  }

  // Drops subscribers not active since `cutoff`; returns how many.
  std::size_t expire_idle(Micros cutoff) {
    std::size_t dropped = 0;
    while (tail_ != kNone && node(tail_).last_active < cutoff) {
      remove(tail_);
      ++dropped;
    }
    return dropped;
  }

  // f(const SubscriberKey&, State&) for every subscriber, most recently active first.
  template <class F>
  void for_each(F&& f) {
    for (std::uint32_t id = head_; id != kNone; id = node(id).next) f(node(id).key, node(id).state);
  }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t evictions() const { return evictions_; }
  // Bytes of the table's own structures (blocks of nodes with their states'
  // inline parts, the index); what the states allocate comes on top (heap_bytes()).
  std::size_t table_bytes() const {
    return blocks_.size() * kBlockNodes * sizeof(Node) + index_.size() * sizeof(std::uint32_t) +
           blocks_.capacity() * sizeof(blocks_[0]);
  }
  static constexpr std::size_t node_bytes() { return sizeof(Node); }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  static constexpr std::size_t kBlockNodes = 1024;
  static constexpr std::size_t kMaxCapacity = std::size_t{1} << 30;  // node numbers stay 32-bit

  struct Node {
    SubscriberKey key;
    std::uint32_t prev = kNone;  // towards the most recently active
    std::uint32_t next = kNone;  // towards the least recently active; the free list's link too
    Micros last_active = 0;
    State state;
  };

  Node& node(std::uint32_t id) { return blocks_[id / kBlockNodes][id % kBlockNodes]; }

  std::uint64_t hash_of(const SubscriberKey& key) const {
    // Seeded per table: addresses come from the wire and must not be able
    // to pile up in one run of the index.
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    std::memcpy(&high, key.address.bytes.data(), 8);
    std::memcpy(&low, key.address.bytes.data() + 8, 8);
    std::uint64_t h = seed_ ^ (high * 0x9e3779b97f4a7c15ULL);
    h ^= h >> 32;
    h = (h ^ low) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
    h = (h ^ key.length) * 0x94d049bb133111ebULL;
    return h ^ (h >> 32);
  }

  std::uint32_t lookup(const SubscriberKey& key, std::uint64_t hash) {
    if (index_.empty()) return kNone;
    const std::size_t mask = index_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const std::uint32_t id = index_[i];
      if (id == kNone) return kNone;
      if (node(id).key == key) return id;
    }
  }

  void insert_index(std::uint32_t id, std::uint64_t hash) {
    if ((size_ + 1) * 2 > index_.size()) rehash(index_.empty() ? 1024 : index_.size() * 2);
    const std::size_t mask = index_.size() - 1;
    std::size_t i = hash & mask;
    while (index_[i] != kNone) i = (i + 1) & mask;
    index_[i] = id;
  }

  void rehash(std::size_t slots) {
    std::vector<std::uint32_t> old(slots, kNone);
    old.swap(index_);
    const std::size_t mask = slots - 1;
    for (const std::uint32_t id : old) {
      if (id == kNone) continue;
      std::size_t i = hash_of(node(id).key) & mask;
      while (index_[i] != kNone) i = (i + 1) & mask;
      index_[i] = id;
    }
  }

  // Linear probing's deletion without tombstones: later entries of the run
  // move back into the hole when their home slot allows it.
  void erase_index(std::uint32_t id) {
    const std::size_t mask = index_.size() - 1;
    std::size_t hole = hash_of(node(id).key) & mask;
    while (index_[hole] != id) hole = (hole + 1) & mask;
    for (std::size_t i = (hole + 1) & mask; index_[i] != kNone; i = (i + 1) & mask) {
      const std::size_t home = hash_of(node(index_[i]).key) & mask;
      // Movable when its home is not in the cyclic range (hole, i].
      const bool home_after_hole = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
      if (!home_after_hole) {
        index_[hole] = index_[i];
        hole = i;
      }
    }
    index_[hole] = kNone;
  }

  std::uint32_t allocate() {
    if (free_ != kNone) {
      const std::uint32_t id = free_;
      free_ = node(id).next;
      return id;
    }
    if (allocated_ == blocks_.size() * kBlockNodes) blocks_.push_back(std::make_unique<Node[]>(kBlockNodes));
    return static_cast<std::uint32_t>(allocated_++);
  }

  void remove(std::uint32_t id) {
    erase_index(id);
    unlink(id);
    Node& n = node(id);
    if constexpr (requires { n.state.heap_bytes(); }) heap_bytes_ -= n.state.heap_bytes();
    n.state = State{};  // gives back what the state held
    n.next = free_;
    free_ = id;
    --size_;
  }

  void unlink(std::uint32_t id) {
    Node& n = node(id);
    if (n.prev != kNone) node(n.prev).next = n.next; else head_ = n.next;
    if (n.next != kNone) node(n.next).prev = n.prev; else tail_ = n.prev;
    n.prev = n.next = kNone;
  }
  void link_front(std::uint32_t id) {
    Node& n = node(id);
    n.prev = kNone;
    n.next = head_;
    if (head_ != kNone) node(head_).prev = id; else tail_ = id;
    head_ = id;
  }

  std::size_t capacity_;
  std::uint64_t seed_;
  std::vector<std::unique_ptr<Node[]>> blocks_;
  std::size_t allocated_ = 0;       // nodes handed out from the blocks so far
  std::vector<std::uint32_t> index_;  // node numbers; kNone = empty; size a power of two
  std::size_t size_ = 0;
  std::uint32_t head_ = kNone;  // most recently active
  std::uint32_t tail_ = kNone;  // least recently active
  std::uint32_t free_ = kNone;  // removed nodes, linked through `next`
  std::uint64_t evictions_ = 0;
  std::size_t heap_bytes_ = 0;  // reported by the owner (adjust_heap)
};

}  // namespace botwarden::behaviour
