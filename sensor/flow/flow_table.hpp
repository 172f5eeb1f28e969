// Bidirectional TCP flow table: canonical 5-tuple keys, bounded size,
// idle expiry in least-recently-seen order, eviction of the oldest when full.
// Only SMTP candidate flows are ever inserted (sensor/pipeline decides), so a
// SYN flood with random ports costs at most `max_flows` entries. A closed
// flow can keep its entry without its value (release()).
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

#include "sensor/common/ip.hpp"
#include "sensor/common/time.hpp"

namespace botwarden::flow {

// A TCP connection's key, independent of direction: the endpoint that sorts
// lower is `low`. `from_packet` says which side the packet came from.
struct FlowKey {
  IpAddress low_addr;
  IpAddress high_addr;
  std::uint16_t low_port = 0;
  std::uint16_t high_port = 0;

  // Builds the key of a packet; `src_is_low` tells the caller which side sent it.
  static FlowKey from_packet(const IpAddress& src, std::uint16_t src_port, const IpAddress& dst,
                             std::uint16_t dst_port, bool& src_is_low) {
    const int by_addr = std::memcmp(src.bytes.data(), dst.bytes.data(), src.bytes.size());
    src_is_low = by_addr < 0 || (by_addr == 0 && src_port <= dst_port);
    FlowKey k;
    if (src_is_low) {
      k.low_addr = src; k.low_port = src_port; k.high_addr = dst; k.high_port = dst_port;
    } else {
      k.low_addr = dst; k.low_port = dst_port; k.high_addr = src; k.high_port = src_port;
    }
    return k;
  }
  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

struct FlowKeyHash {
  std::size_t operator()(const FlowKey& k) const noexcept {
    // FNV-1a over the address bytes, then a 64-bit finaliser (splitmix64).
    std::uint64_t h = 1469598103934665603ULL;
    for (auto b : k.low_addr.bytes) h = (h ^ b) * 1099511628211ULL;
    for (auto b : k.high_addr.bytes) h = (h ^ b) * 1099511628211ULL;
    h ^= (std::uint64_t{k.low_port} << 16) | k.high_port;
    h ^= h >> 30; h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27; h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return static_cast<std::size_t>(h);
  }
};

// Why a flow left the table.
enum class FlowEnd : std::uint8_t {
  closed,          // FIN from both sides or RST
  idle,            // no packet for the idle timeout
  max_age,         // older than the absolute timeout
  evicted,         // the table was full and this was the least recently seen
  end_of_capture,  // input ended
};

template <class V>
class FlowTable {
 public:
  struct Entry {
    FlowKey key;
    Micros first_seen = 0;
    Micros last_seen = 0;
    std::unique_ptr<V> value;
    std::uint32_t prev = kNone;
    std::uint32_t next = kNone;
  };

  explicit FlowTable(std::size_t max_flows) : max_flows_(max_flows == 0 ? 1 : max_flows) {
    index_.reserve(max_flows_ < 65536 ? max_flows_ : 65536);
  }

  std::size_t size() const { return index_.size(); }
  std::size_t max_flows() const { return max_flows_; }

  // The entry of `key`, marked as seen at `now`; nullptr when absent.
  Entry* find(const FlowKey& key, Micros now) {
    const auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    Entry& e = slots_[it->second];
    if (now > e.last_seen) e.last_seen = now;
    unlink(it->second);
    link_tail(it->second);
    return &e;
  }

  // Inserts `key` (absent). When the table is full the least recently seen
  // flow is removed first and passed to on_remove(Entry&, FlowEnd::evicted).
  template <class OnRemove>
  Entry& insert(const FlowKey& key, Micros now, std::unique_ptr<V> value, OnRemove&& on_remove) {
    if (index_.size() >= max_flows_ && head_ != kNone) remove(head_, FlowEnd::evicted, on_remove);
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    Entry& e = slots_[slot];
    e.key = key;
    e.first_seen = now;
    e.last_seen = now;
    e.value = std::move(value);
    link_tail(slot);
    index_.emplace(key, slot);
    return e;
  }

  // Removes `e` (found by find/insert), passing it to on_remove first.
  template <class OnRemove>
  void erase(Entry& e, FlowEnd why, OnRemove&& on_remove) {
    const auto it = index_.find(e.key);
    if (it != index_.end()) remove(it->second, why, on_remove);
  }

  // Frees the value of `key`'s entry but keeps the entry (a tombstone, ~150
  // bytes instead of the value's kilobytes): a closed connection's late
  // packets still find it (value null) until it idles out or is evicted.
  // Does not count as seen. False when `key` is absent.
  bool release(const FlowKey& key) {
    const auto it = index_.find(key);
    if (it == index_.end()) return false;
    slots_[it->second].value.reset();
    return true;
  }

  // Removes flows idle for longer than `idle_timeout` (least recently seen
  // first, so the walk stops at the first one still active).
  template <class OnRemove>
  std::size_t expire_idle(Micros now, Micros idle_timeout, OnRemove&& on_remove) {
    std::size_t n = 0;
    while (head_ != kNone && now - slots_[head_].last_seen > idle_timeout) {
      remove(head_, FlowEnd::idle, on_remove);
      ++n;
    }
    return n;
  }

  // Removes every flow, least recently seen first.
  template <class OnRemove>
  void drain(FlowEnd why, OnRemove&& on_remove) {
    while (head_ != kNone) remove(head_, why, on_remove);
  }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  void unlink(std::uint32_t s) {
    Entry& e = slots_[s];
    if (e.prev != kNone) slots_[e.prev].next = e.next; else head_ = e.next;
    if (e.next != kNone) slots_[e.next].prev = e.prev; else tail_ = e.prev;
    e.prev = e.next = kNone;
  }
  void link_tail(std::uint32_t s) {
    Entry& e = slots_[s];
    e.prev = tail_;
    e.next = kNone;
    if (tail_ != kNone) slots_[tail_].next = s; else head_ = s;
    tail_ = s;
  }
  template <class OnRemove>
  void remove(std::uint32_t s, FlowEnd why, OnRemove& on_remove) {
    unlink(s);
    Entry& e = slots_[s];
    index_.erase(e.key);
    on_remove(e, why);
    e.value.reset();
    free_.push_back(s);
  }

  std::size_t max_flows_;
  std::unordered_map<FlowKey, std::uint32_t, FlowKeyHash> index_;
  std::vector<Entry> slots_;
  std::vector<std::uint32_t> free_;
  std::uint32_t head_ = kNone;  // least recently seen
  std::uint32_t tail_ = kNone;  // most recently seen
};

}  // namespace botwarden::flow
