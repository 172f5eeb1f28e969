// The detector engine: session records in, detection events out.
// Per subscriber it runs one sequential probability ratio test per detector
// (bad_helo, direct_to_mx) in the spirit of SPOT (Duan et al., "Detecting
// spam zombies by monitoring outgoing messages"): every SMTP session is an
// observation adding its log-likelihood ratio to Λ; Λ ≥ ln((1−β)/α) flags,
// Λ ≤ ln(β/(1−α)) declares the subscriber normal and restarts the test.
// Snowshoe clusters across subscribers come from SnowshoeCorrelator.
// The pipeline calls exactly on_session() and on_time().
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "sensor/behaviour/subscriber_behaviour.hpp"
#include "sensor/behaviour/subscriber_table.hpp"
#include "sensor/common/ip.hpp"
#include "sensor/config/detect_config.hpp"
#include "sensor/detect/helo_classifier.hpp"
#include "sensor/detect/snowshoe.hpp"
#include "sensor/events/detection_event.hpp"
#include "sensor/smtp/session_record.hpp"

namespace botwarden::detect {

struct EngineStats {
  std::uint64_t sessions = 0;          // records received
  std::uint64_t ignored = 0;           // subscriber was the server side
  std::uint64_t events = 0;            // events emitted
  std::uint64_t normal_resets = 0;     // tests that reached the lower boundary ("normal")
  std::uint64_t evictions = 0;         // subscribers dropped by the cap (count or bytes)
  std::size_t tracked_subscribers = 0;
  std::size_t state_heap_bytes = 0;    // what their states hold on the heap (windows, samples)
};

// The subscriber's sequential test: one Λ fed by every session, with the
// positive evidence split by source so an event names the detector that
// carried it.
struct SequentialTest {
  double llr = 0;           // Λ
  double helo_share = 0;    // positive evidence from HELO classes (decays with Λ)
  double mx_share = 0;      // positive evidence from direct-to-MX behaviour
  Micros updated = 0;       // capture time Λ was last decayed to
};

// Reporting state of one detector for one subscriber.
struct ReportState {
  Micros window_start = -1;  // event window of the last report; -1: none yet
  unsigned reports = 0;      // events emitted in that window
  std::uint32_t sessions_at_report = 0;
};

// What only a subscriber that looks suspicious needs: made at its first
// HELO class, report or snowshoe cluster, so the many plain subscribers do
// not carry it (docs/PERFORMANCE.md, "One million subscribers").
struct Suspicion {
  std::array<ReportState, 3> reports;  // index = events::Detector
  std::array<std::uint64_t, kHeloClassCount> helo_class_sessions{};
  std::string cluster_id;              // last snowshoe cluster
  std::uint64_t cluster_size = 0;
  // Port-25 sessions refused for a blocklist listing before any transaction
  // (at the banner or HELO): when they are all its sessions, the subscriber
  // may join a snowshoe cluster by the servers that refused it.
  std::uint32_t refused_before_transaction = 0;
};

struct SubscriberState {
  behaviour::SubscriberBehaviour behaviour;
  SequentialTest test;
  std::unique_ptr<Suspicion> suspicion;  // null until suspect() is first called

  Suspicion& suspect() {
    if (!suspicion) suspicion = std::make_unique<Suspicion>();
    return *suspicion;
  }
  // What it holds on the heap (SubscriberTable's byte budget).
  std::size_t heap_bytes() const {
    std::size_t n = behaviour.heap_bytes();
    if (suspicion) {
      n += sizeof(Suspicion) + behaviour::kHeapBlockOverhead;
      if (suspicion->cluster_id.size() > 15) {  // past the short-string buffer
        n += suspicion->cluster_id.capacity() + 1 + behaviour::kHeapBlockOverhead;
      }
    }
    return n;
  }
};

// Heap bytes the subscriber states may hold together, per subscriber of the
// cap (max_tracked_subscribers), at least kMinStateHeapBytes: a typical one
// holds ~80, a flagged one ~270, a bot sending to thousands of servers up to
// ~170 KB. Past it the least recently active are evicted, as for the count
// cap, so the total stays bounded whatever the link carries: at 1 M
// subscribers ~270 MB of nodes and index plus 384 MB (docs/PERFORMANCE.md).
inline constexpr std::size_t kStateHeapBytesPerSubscriber = 384;
inline constexpr std::size_t kMinStateHeapBytes = std::size_t{1} << 20;  // tiny caps stay usable

class Engine {
 public:
  // `config` and `sink` must outlive the engine.
  Engine(std::string sensor_name, const DetectConfig& config, events::EventSink& sink);

  void on_session(const smtp::SessionRecord& record);
  // Capture time advanced to `now`: windows expire, idle subscribers are dropped.
  void on_time(Micros now);

  const EngineStats& stats() const;
  double flag_threshold() const { return upper_; }   // ln((1−β)/α)
  double normal_threshold() const { return lower_; } // ln(β/(1−α))
  const HeloClassifier& classifier() const { return classifier_; }

  // The log-likelihood ratio one session adds, by source (their sum is
  // capped at max_session_llr); see docs/DETECTION.md.
  struct SessionEvidence {
    HeloClasses classes;
    bool blocklisted = false;
    double bad_helo = 0;      // HELO classes, or a plausible name
    double direct_to_mx = 0;  // destinations, senders, refusals, acceptance
    unsigned kinds = 0;       // independent strong kinds of evidence (lift the per-session cap)
  };

 private:
  SessionEvidence weigh(const smtp::SessionRecord& r, const behaviour::Novelty& novelty,
                        HeloClasses classes, bool blocklisted, const std::string& sender,
                        const behaviour::SubscriberBehaviour& window) const;
  bool is_blocklist_refusal(const smtp::SessionRecord& r) const;
  void update_test(SubscriberState& s, const SessionEvidence& e, Micros at);
  void maybe_report(const behaviour::SubscriberKey& key, SubscriberState& s, events::Detector d, Micros at);
  // `sender`: sender_domain(r), as on_session computed it.
  void correlate(const behaviour::SubscriberKey& key, const smtp::SessionRecord& r, bool blocklisted,
                 const std::string& sender, Micros at);
  void announce(const ClusterView& view, Micros at);
  std::string sender_domain(const smtp::SessionRecord& r) const;
  events::DetectionEvent make_event(const behaviour::SubscriberKey& key, SubscriberState& s, events::Detector d,
                                    Micros at, Micros window_start, unsigned report_number) const;

  std::string sensor_;
  const DetectConfig& config_;
  events::EventSink& sink_;
  HeloClassifier classifier_;
  SnowshoeCorrelator snowshoe_;
  PrefixSet exempt_;
  behaviour::BehaviourLimits limits_;
  behaviour::SubscriberTable<SubscriberState> table_;
  std::size_t heap_budget_;  // table_.heap_bytes() above it evicts (kStateHeapBytesPerSubscriber)
  double upper_;
  double lower_;
  Micros now_ = 0;
  Micros last_expiry_ = 0;
  mutable EngineStats stats_;
};

}  // namespace botwarden::detect
