// nDPI 4.2 wrapper: classifies SMTP candidate flows only, a bounded number
// of packets each, and frees a flow's nDPI state as soon as it is decided.
// nDPI classifies single packets and does not reassemble; the SMTP dialog
// itself is parsed by sensor/smtp.
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "sensor/common/time.hpp"

struct ndpi_detection_module_struct;
struct ndpi_flow_struct;

namespace botwarden::classify {

// nDPI's SMTP dissector decides on the greeting and EHLO; 24 packets covers a
// handshake plus pipelined dialogs and keeps cost bounded (nDPI's own
// max_extra_packets_to_check idea).
inline constexpr unsigned kMaxPacketsPerFlow = 24;

class NdpiClassifier;

// One flow's classification. Holds nDPI's flow state (about 700 bytes)
// until decided, then only the protocol name.
class NdpiFlow {
 public:
  NdpiFlow() = default;
  NdpiFlow(const NdpiFlow&) = delete;
  NdpiFlow& operator=(const NdpiFlow&) = delete;
  ~NdpiFlow();

  // Feeds one IP packet (IP header on). Allocates nDPI state on first use.
  // Only packets whose IP header names TCP directly reach nDPI (IPv4, or
  // IPv6 without extension headers): nDPI 4.2 parses IPv6 extension headers
  // its own way, and a flow it once saw as TCP and then as another protocol
  // keeps its TLS reassembly buffer when freed (2 KiB lost a flow; found by
  // fuzz-sensor-pipeline). Other packets of the flow still reach the SMTP
  // stage; nDPI decides from the rest.
  void packet(NdpiClassifier& classifier, std::span<const std::uint8_t> ip_packet, Micros ts);
  // Decides now with what nDPI has (used when the flow ends or a record is due).
  void give_up(NdpiClassifier& classifier);
  bool decided() const { return decided_; }
  // "SMTP", "SMTPS", "TLS", ... or "Unknown"; empty until decided.
  const std::string& protocol() const { return protocol_; }
  unsigned packets() const { return packets_; }

 private:
  void release();
  void decide(NdpiClassifier& classifier, std::uint16_t master, std::uint16_t app);

  ndpi_flow_struct* flow_ = nullptr;
  std::string protocol_;
  unsigned packets_ = 0;
  bool decided_ = false;
};

class NdpiClassifier {
 public:
  // Throws std::runtime_error when nDPI cannot be initialised.
  NdpiClassifier();
  NdpiClassifier(const NdpiClassifier&) = delete;
  NdpiClassifier& operator=(const NdpiClassifier&) = delete;
  ~NdpiClassifier();

  std::uint64_t flows_allocated() const { return flows_allocated_; }
  std::uint64_t flows_live() const { return flows_live_; }

 private:
  friend class NdpiFlow;
  ndpi_detection_module_struct* module_ = nullptr;
  std::uint64_t flows_allocated_ = 0;
  std::uint64_t flows_live_ = 0;
};

}  // namespace botwarden::classify
