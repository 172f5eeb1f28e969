// nDPI 4.2 (Debian libndpi-dev) behind a two-class interface. The API is
// 4.2's: ndpi_init_detection_module(prefs), bitmask2, finalize; flows are
// allocated by the caller and sized by ndpi_detection_get_sizeof_ndpi_flow_struct().
#include "sensor/classify/ndpi_classifier.hpp"

#include <cstring>
#include <netinet/in.h>
#include <stdexcept>

extern "C" {
#include <ndpi/ndpi_api.h>
}

namespace botwarden::classify {

NdpiClassifier::NdpiClassifier() {
  module_ = ndpi_init_detection_module(ndpi_no_prefs);
  if (module_ == nullptr) throw std::runtime_error("nDPI: ndpi_init_detection_module failed");
  NDPI_PROTOCOL_BITMASK all;
  NDPI_BITMASK_SET_ALL(all);
  ndpi_set_protocol_detection_bitmask2(module_, &all);
  ndpi_finalize_initialization(module_);
}

NdpiClassifier::~NdpiClassifier() {
  if (module_ != nullptr) ndpi_exit_detection_module(module_);
}

NdpiFlow::~NdpiFlow() { release(); }

void NdpiFlow::release() {
  if (flow_ != nullptr) {
    ndpi_free_flow(flow_);
    flow_ = nullptr;
  }
}

void NdpiFlow::decide(NdpiClassifier& classifier, std::uint16_t master, std::uint16_t app) {
  ndpi_protocol p{};
  p.master_protocol = master;
  p.app_protocol = app;
  char name[64];
  const char* text = "Unknown";
  if (master != NDPI_PROTOCOL_UNKNOWN || app != NDPI_PROTOCOL_UNKNOWN) {
    // "SMTP", "SMTPS", or "TLS.SMTPS"-style master.app names.
    text = ndpi_protocol2name(classifier.module_, p, name, sizeof name);
  }
  protocol_ = text;
  decided_ = true;
  if (flow_ != nullptr) --classifier.flows_live_;
  release();
}

void NdpiFlow::packet(NdpiClassifier& classifier, std::span<const std::uint8_t> ip_packet, Micros ts) {
  if (decided_ || ip_packet.size() < 20 || ip_packet.size() > 0xffff) return;
  const unsigned version = ip_packet[0] >> 4;
  const std::uint8_t protocol = version == 4 ? ip_packet[9] : version == 6 && ip_packet.size() >= 40 ? ip_packet[6] : 0;
  if (protocol != IPPROTO_TCP) return;
  if (flow_ == nullptr) {
    flow_ = static_cast<ndpi_flow_struct*>(ndpi_flow_malloc(SIZEOF_FLOW_STRUCT));
    if (flow_ == nullptr) {
      protocol_ = "Unknown";
      decided_ = true;
      return;
    }
    std::memset(flow_, 0, SIZEOF_FLOW_STRUCT);
    ++classifier.flows_allocated_;
    ++classifier.flows_live_;
  }
  ++packets_;
  const auto p = ndpi_detection_process_packet(classifier.module_, flow_, ip_packet.data(),
                                               static_cast<unsigned short>(ip_packet.size()),
                                               static_cast<std::uint64_t>(ts / 1000));
  if (p.master_protocol != NDPI_PROTOCOL_UNKNOWN || p.app_protocol != NDPI_PROTOCOL_UNKNOWN) {
    decide(classifier, p.master_protocol, p.app_protocol);
  } else if (packets_ >= kMaxPacketsPerFlow) {
    give_up(classifier);
  }
}

void NdpiFlow::give_up(NdpiClassifier& classifier) {
  if (decided_) return;
  if (flow_ == nullptr) {
    protocol_ = "Unknown";
    decided_ = true;
    return;
  }
  std::uint8_t guessed = 0;
  const auto p = ndpi_detection_giveup(classifier.module_, flow_, 0, &guessed);
  decide(classifier, p.master_protocol, p.app_protocol);
}

}  // namespace botwarden::classify
