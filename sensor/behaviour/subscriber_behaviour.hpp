// What one subscriber did recently, fed by SMTP session records: sliding
// windows of distinct destination servers and HELO names, totals and
// bounded samples. Only sessions are seen here, never packets.
// Compact on purpose: a million subscribers must fit in well under 1 GiB
// (docs/PERFORMANCE.md). Names in the windows are 64-bit hashes; the exact
// text is kept only in the bounded samples the events carry.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/behaviour/small_vector.hpp"
#include "sensor/common/ip.hpp"
#include "sensor/common/time.hpp"
#include "sensor/smtp/session_record.hpp"

namespace botwarden::behaviour {

struct BehaviourLimits {
  Micros helo_window = 3600 * kMicrosPerSecond;         // a HELO is forgotten this long after its last use
  Micros destination_window = 3600 * kMicrosPerSecond;  // a server is forgotten this long after its last use
  Micros burst_window = 120 * kMicrosPerSecond;         // new servers counted for bursts
  std::size_t max_destinations = 4096;                  // per subscriber; oldest dropped first
  std::size_t max_helos = 64;
  std::size_t max_samples = 10;                         // per sample list (schema maxItems)
};

// What was new about one session, for the detectors' likelihood ratios.
struct Novelty {
  bool direct = false;
  bool new_destination = false;              // server not seen in the destination window
  std::size_t recent_new_destinations = 0;   // new servers within the burst window, this one included
  bool first_blocklist_at_destination = false;  // this server's first blocklist refusal in the window
  std::size_t blocklisting_servers = 0;      // servers that refused naming a blocklist, this one included
  unsigned helo_repeats = 0;                 // earlier sessions with the same HELO in the HELO window
  bool new_sender_domain = false;            // MAIL FROM domain not seen in the destination window
};

// 64-bit FNV-1a with a final mix: the identity of a name in the windows.
// Two names colliding only merge in their own subscriber's counts.
std::uint64_t name_hash(std::string_view s);

// The event evidence's sample lists, packed in one heap block: distinct
// values in arrival order, at most max_samples per list, each truncated to
// the event schema's length (kMaxChars) when stored. A value longer than
// that is told apart from another with the same prefix by its hash, so the
// lists are exactly those of whole strings, truncated on output.
class SampleLists {
 public:
  enum Kind : std::uint8_t { helo, destination, mailfrom_domain };
  static constexpr std::size_t kMaxChars[3] = {256, 64, 256};  // docs/schemas/detection-event.v1.json

  // Adds `value` unless it is empty, already in the list or the list is full.
  void add(Kind kind, std::string_view value, std::size_t max_samples);
  std::vector<std::string> list(Kind kind) const;
  std::size_t heap_bytes() const { return capacity_ > 0 ? capacity_ + kHeapBlockOverhead : 0; }

 private:
  std::unique_ptr<char[]> data_;
  std::uint16_t size_ = 0;
  std::uint16_t capacity_ = 0;
};

class SubscriberBehaviour {
 public:
  // Records one session from `address` (the subscriber side). `blocklisted`:
  // the server refused naming a blocklist or the subscriber's address.
  // `sender_domain`: the MAIL FROM registrable domain ("" for none).
  Novelty observe(const smtp::SessionRecord& r, const IpAddress& address, bool blocklisted,
                  const std::string& sender_domain, Micros at, const BehaviourLimits& limits);
  // Forgets destinations and HELOs whose window has passed, and gives back
  // the memory they held.
  void expire(Micros now, const BehaviourLimits& limits);

  std::size_t distinct_destinations() const { return destinations_.size(); }
  std::size_t distinct_direct_helos() const { return direct_helos_; }
  std::size_t distinct_helos() const { return helos_.size(); }
  std::size_t distinct_sender_domains() const { return sender_domains_.size(); }

  std::vector<std::string> sample_helos() const { return samples_.list(SampleLists::helo); }
  std::vector<std::string> sample_destinations() const { return samples_.list(SampleLists::destination); }
  std::vector<std::string> sample_mailfrom_domains() const { return samples_.list(SampleLists::mailfrom_domain); }

  // Heap bytes this subscriber's windows and samples hold beyond sizeof.
  std::size_t heap_bytes() const;

  // Totals since the subscriber was first seen (or re-created after
  // eviction); they stop at 2^32 - 1 rather than wrap.
  std::uint32_t sessions = 0;
  std::uint32_t direct_sessions = 0;
  std::uint32_t transactions = 0;
  std::uint32_t rejections_5xx = 0;
  std::uint32_t rcpt_count = 0;
  Micros first_seen = 0;
  Micros last_seen = 0;
  IpAddress last_address;

 private:
  // No member initialisers: SmallVector keeps trivially constructible values inline.
  struct Destination {
    std::uint64_t key;  // the address (IPv4 exactly, IPv6 hashed); top bit: blocklisted
    Micros last;
  };
  struct Helo {
    std::uint64_t hash;
    Micros last;
    std::uint32_t sessions;
    bool direct;
  };
  struct SenderDomain {
    std::uint64_t hash;
    Micros last;
  };
  static constexpr std::uint64_t kBlocklisted = 1ULL << 63;

  SmallVector<Destination, 1> destinations_;
  SmallVector<Helo, 1> helos_;
  SmallVector<SenderDomain, 1> sender_domains_;  // direct path only
  SmallVector<Micros, 1> new_destination_times_;  // within the burst window, oldest first
  SampleLists samples_;
  std::uint32_t direct_helos_ = 0;
  std::uint32_t blocklisting_servers_ = 0;  // destinations_ entries with kBlocklisted set
};

}  // namespace botwarden::behaviour
