// Snowshoe correlation across subscribers: many subscribers, each sending a
// little, sharing one sender fingerprint (HELO shape + MAIL FROM registrable
// domain) within a window. The state lives in its own object, fed by small
// per-subscriber summaries, so per-worker correlators can be merged.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "sensor/common/time.hpp"
#include "sensor/config/detect_config.hpp"

namespace botwarden::detect {

// One direct-to-MX transaction, summarised for correlation.
struct SenderSummary {
  std::string fingerprint;  // e.g. "a8.com|bulkdeals.example"
  std::string subscriber;   // subscriber key
  Micros ts = 0;
};

struct ClusterView {
  std::string cluster_id;                 // 16 hex digits of SHA-256 of the fingerprint
  std::string fingerprint;
  std::size_t size = 0;                   // distinct subscribers within the window
  std::vector<std::string> newly_flagged; // members to announce now (each once per cluster)
};

class SnowshoeCorrelator {
 public:
  explicit SnowshoeCorrelator(const SnowshoeConfig& config) : config_(config) {}

  // Adds the summary; when its cluster has at least min_cluster_size members
  // within the window, returns the members not announced yet.
  ClusterView observe(const SenderSummary& summary);
  // Folds another correlator's state in (members and times; announcements).
  void merge(const SnowshoeCorrelator& other);
  // Forgets members and fingerprints older than the window.
  void expire(Micros now);

  std::size_t fingerprints() const { return clusters_.size(); }
  static std::string cluster_id(const std::string& fingerprint);

 private:
  struct Cluster {
    std::map<std::string, Micros> members;  // subscriber -> last seen
    std::set<std::string> announced;        // members announced in this cluster (subset of members)
    Micros last = 0;
  };
  void prune(Cluster& c, Micros now) const;
  void enforce_cap();

  const SnowshoeConfig& config_;
  std::unordered_map<std::string, Cluster> clusters_;
};

}  // namespace botwarden::detect
