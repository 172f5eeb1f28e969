// libFuzzer target: the frame decoder. The first byte picks the link type,
// the rest is the frame; a finding is any sanitizer report.
#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/decode/frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr int kLinks[] = {1, 0, 12, 101, 108, 113, 228, 229, 276};
  const int link = kLinks[data[0] % (sizeof kLinks / sizeof kLinks[0])];
  botwarden::decode::PacketView v;
  const auto r = botwarden::decode::decode_frame(link, std::span<const std::uint8_t>(data + 1, size - 1), v);
  if (r == botwarden::decode::DecodeResult::tcp) {
    // The views must lie inside the input.
    const auto* end = data + size;
    if (v.payload.data() + v.payload.size() > end || v.ip_packet.data() + v.ip_packet.size() > end) __builtin_trap();
  }
  return 0;
}
