// What one subscriber did recently, fed by SMTP session records: sliding
// windows of distinct destination servers and HELO names, totals and
// bounded samples. Only sessions are seen here, never packets.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

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

class SubscriberBehaviour {
 public:
  // Records one session from `address` (the subscriber side). `blocklisted`:
  // the server refused naming a blocklist or the subscriber's address.
  // `sender_domain`: the MAIL FROM registrable domain ("" for none).
  Novelty observe(const smtp::SessionRecord& r, const IpAddress& address, bool blocklisted,
                  const std::string& sender_domain, Micros at, const BehaviourLimits& limits);
  // Forgets destinations and HELOs whose window has passed.
  void expire(Micros now, const BehaviourLimits& limits);

  std::size_t distinct_destinations() const { return destinations_.size(); }
  std::size_t distinct_direct_helos() const { return direct_helos_; }
  std::size_t distinct_helos() const { return helos_.size(); }
  std::size_t distinct_sender_domains() const { return sender_domains_.size(); }

  // Totals since the subscriber was first seen (or re-created after eviction).
  std::uint64_t sessions = 0;
  std::uint64_t direct_sessions = 0;
  std::uint64_t transactions = 0;
  std::uint64_t rejections_5xx = 0;
  std::uint64_t rcpt_count = 0;
  Micros first_seen = 0;
  Micros last_seen = 0;
  IpAddress last_address;
  std::vector<std::string> sample_helos;
  std::vector<std::string> sample_destinations;
  std::vector<std::string> sample_mailfrom_domains;

 private:
  struct Destination {
    Micros last = 0;
    bool blocklisted = false;
  };
  struct Helo {
    Micros last = 0;
    unsigned sessions = 0;
    bool direct = false;
  };
  std::unordered_map<IpAddress, Destination, IpAddressHash> destinations_;
  std::unordered_map<std::string, Helo> helos_;
  std::unordered_map<std::string, Micros> sender_domains_;  // direct path only -> last seen
  std::deque<Micros> new_destination_times_;               // within the burst window
  std::size_t direct_helos_ = 0;
  std::size_t blocklisting_servers_ = 0;  // destinations_ entries with blocklisted set
};

}  // namespace botwarden::behaviour
