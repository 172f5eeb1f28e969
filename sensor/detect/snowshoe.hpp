// Snowshoe correlation across subscribers: many subscribers, each sending a
// little, sharing one sender fingerprint (HELO shape + MAIL FROM registrable
// domain) within a window; and members whose every connection was refused at
// the banner (no HELO, no sender: no fingerprint), recognised by the set of
// target servers they share with a cluster. The state lives in its own
// object, fed by small per-session summaries, so per-worker correlators can
// be merged.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "sensor/common/ip.hpp"
#include "sensor/common/time.hpp"
#include "sensor/config/detect_config.hpp"

namespace botwarden::detect {

// One direct-path session, summarised for correlation. Every direct session
// is summarised (it counts towards how many subscribers mail `server`);
// only those with a fingerprint join a cluster.
struct SenderSummary {
  std::string fingerprint;  // e.g. "a8.com|bulkdeals.example"; empty: none (counts the server only)
  std::string subscriber;   // subscriber key
  Micros ts = 0;
  IpAddress server;         // the receiving server
};

// A port-25 session refused for a blocklist listing (naming a list or the
// client's address) before any transaction: at the banner (RFC 5321 §3.1)
// or at HELO. The subscriber said nothing that could be fingerprinted.
struct RefusalSummary {
  std::string subscriber;
  Micros ts = 0;
  IpAddress server;
};

// Whether a refused subscriber (its key) may join a cluster now; the engine
// decides from its own state (docs/DETECTION.md "Snowshoe").
using MayJoin = std::function<bool(const std::string& subscriber)>;

struct ClusterView {
  std::string cluster_id;                 // 16 hex digits of SHA-256 of the fingerprint
  std::string fingerprint;
  std::size_t size = 0;                   // distinct subscribers within the window (both kinds)
  std::vector<std::string> newly_flagged; // fingerprint members to announce now (each once per cluster)
  std::vector<std::string> joined;        // refused-at-banner subscribers joining by target server, to announce now
};

// Caps on the cross-subscriber server state (docs/DETECTION.md "Snowshoe"):
// the servers tracked, the distinct senders remembered per server (one more
// makes the server "popular": never a campaign's distinctive target), the
// refused subscribers waiting per server, the servers remembered per cluster.
inline constexpr std::size_t kMaxSnowshoeServers = 32768;
inline constexpr std::size_t kMaxSendersPerServer = 16;
inline constexpr std::size_t kMaxRefusedPerServer = 8;
inline constexpr std::size_t kMaxServersPerCluster = 64;
// Subscribers remembered with their last fingerprint and the last servers
// that refused them, so a member's refusals and a cluster meet in any order.
inline constexpr std::size_t kMaxSnowshoeSubscribers = 131072;
inline constexpr std::size_t kRefusingServersPerSubscriber = 4;

class SnowshoeCorrelator {
 public:
  explicit SnowshoeCorrelator(const SnowshoeConfig& config) : config_(config) {}

  // Adds the summary; when its cluster has at least min_cluster_size members
  // within the window, returns the members not announced yet, and the
  // refused subscribers that join it by a target server.
  ClusterView observe(const SenderSummary& summary, const MayJoin& may_join);
  // Adds a refusal; returns the views of the clusters refused subscribers
  // joined. A refused subscriber joins a cluster when a server that refused
  // it is one of the cluster's targets (target_of) and may_join says so,
  // now or later within the window.
  std::vector<ClusterView> observe_refusal(const RefusalSummary& refusal, const MayJoin& may_join);
  // Folds another correlator's state in (members and times; announcements).
  void merge(const SnowshoeCorrelator& other);
  // Forgets members, servers and fingerprints older than the window.
  void expire(Micros now);

  std::size_t fingerprints() const { return clusters_.size(); }
  std::size_t servers() const { return servers_.size(); }
  std::size_t subscribers() const { return subscribers_.size(); }
  static std::string cluster_id(const std::string& fingerprint);

 private:
  struct Cluster {
    std::string fingerprint;
    std::map<std::string, Micros> members;  // subscriber -> last seen (fingerprint members)
    std::map<std::string, Micros> joined;   // refused subscribers joined by target server
    std::set<std::string> announced;        // members and joiners announced in this cluster
    std::vector<std::uint64_t> servers;     // servers the members sent to (at most kMaxServersPerCluster)
    Micros last = 0;
  };
  struct Sender {
    std::uint64_t subscriber;   // name hash of the subscriber key
    std::uint64_t fingerprint;  // 0: none
    Micros last;
  };
  struct Refused {
    std::string subscriber;
    Micros last;
  };
  struct Server {
    std::vector<Sender> senders;  // distinct subscribers that had a dialog with it
    std::vector<Refused> refused; // distinct subscribers refused before a transaction
    bool popular = false;         // more distinct senders than kept: not distinctive
    Micros last = 0;
    // Adds or refreshes a sender (a newer fingerprint replaces the old one);
    // past kMaxSendersPerServer distinct senders the server is popular.
    void note(const Sender& sender);
    // Adds or refreshes a refused subscriber; false when the list is full.
    bool note(const Refused& refused);
  };
  struct SubscriberNote {
    std::uint64_t fingerprint = 0;  // last one it sent with; 0: none
    std::array<std::uint64_t, kRefusingServersPerSubscriber> refused_at{};  // 0: empty slot
    Micros last = 0;
  };
  void prune(Cluster& c, Micros now) const;
  void add_server(Cluster& c, std::uint64_t server_key) const;
  void enforce_cap();
  void enforce_server_cap();
  bool target_of(const Server& s, const Cluster& c, std::uint64_t fingerprint) const;
  void join_refused(Cluster& c, std::uint64_t fingerprint, std::uint64_t server_key, const MayJoin& may_join,
                    ClusterView& view);
  void fill_view(const Cluster& c, ClusterView& view) const;

  const SnowshoeConfig& config_;
  std::unordered_map<std::uint64_t, Cluster> clusters_;  // by fingerprint hash (never 0)
  std::unordered_map<std::uint64_t, Server> servers_;    // by server address key
  std::unordered_map<std::uint64_t, SubscriberNote> subscribers_;  // by subscriber name hash
};

}  // namespace botwarden::detect
