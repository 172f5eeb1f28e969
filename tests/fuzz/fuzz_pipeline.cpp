// libFuzzer target: the whole per-packet path (decode, flow table, nDPI,
// reassembly, SMTP dialog, JSON) on a sequence of frames. Input: records of
// [link index:1][length:2][frame]; timestamps advance 10 ms per frame. One
// Pipeline (one nDPI module) lives across inputs; finish() drains it each time.
#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/pipeline/pipeline.hpp"
#include "sensor/smtp/session_log.hpp"

using namespace botwarden;

namespace {
struct JsonSink final : pipeline::SessionSink {
  std::size_t bytes = 0;
  void on_session(const smtp::SessionRecord& r) override { bytes += smtp::format_session_json(r).size(); }
  void on_time(Micros) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static JsonSink sink;
  static pipeline::Pipeline p(
      [] {
        pipeline::PipelineConfig c;
        c.subscribers = PrefixSet({*Prefix::parse("100.64.0.0/10"), *Prefix::parse("2001:db8:1000::/36")});
        c.relays = PrefixSet({*Prefix::parse("198.51.100.25/32")});
        c.max_flows = 64;
        c.max_out_of_order_bytes = 4096;
        return c;
      }(),
      sink);
  static constexpr int kLinks[] = {1, 0, 12, 101, 108, 113, 228, 229, 276};
  static Micros t = 1764096000'000000;
  std::size_t i = 0;
  while (i + 3 <= size) {
    const int link = kLinks[data[i] % (sizeof kLinks / sizeof kLinks[0])];
    std::size_t len = (std::size_t{data[i + 1]} << 8) | data[i + 2];
    i += 3;
    if (len > size - i) len = size - i;
    t += 10'000;
    p.packet(t, link, std::span<const std::uint8_t>(data + i, len));
    i += len;
  }
  p.finish();
  return 0;
}
