// Bounded flow memory (issue 11): what the pipeline holds per flow, measured
// by counting every heap allocation. Its own binary: heap_counter.hpp
// replaces the global operator new/delete.
#include <doctest/doctest.h>

#include "heap_counter.hpp"
#include "packet_builder.hpp"
#include "sensor/pipeline/pipeline.hpp"

using namespace botwarden;
using namespace botwarden::test;
using namespace botwarden::pipeline;

namespace {

struct Count final : SessionSink {
  std::size_t records = 0;
  void on_session(const smtp::SessionRecord&) override { ++records; }
  void on_time(Micros) override {}
};

PipelineConfig config() {
  PipelineConfig c;
  c.subscribers = PrefixSet({*Prefix::parse("100.64.0.0/10")});
  c.max_flows = 100000;
  return c;
}

constexpr std::uint32_t kFlows = 8000;

// One short SMTP session of subscriber 100.64.x.y; ends with a RST when `close`.
void session(Pipeline& p, std::uint32_t n, Micros t, bool close) {
  const std::initializer_list<std::uint8_t> client = {100, 64, static_cast<std::uint8_t>(n >> 8),
                                                      static_cast<std::uint8_t>(n)};
  const std::initializer_list<std::uint8_t> server = {203, 0, 113, 25};
  const auto c = [&](std::uint32_t seq, std::uint8_t flags, std::string_view data, std::uint32_t ack) {
    p.packet(t++, 1, ethernet(0x0800, ipv4(client, server, tcp(40000, 25, seq, flags, data, ack))));
  };
  const auto s = [&](std::uint32_t seq, std::uint8_t flags, std::string_view data, std::uint32_t ack) {
    p.packet(t++, 1, ethernet(0x0800, ipv4(server, client, tcp(25, 40000, seq, flags, data, ack))));
  };
  c(99, 0x02, "", 0);
  s(499, 0x12, "", 100);
  s(500, 0x18, "220 mx.example.net ESMTP\r\n", 100);
  c(100, 0x18, "EHLO home.example.org\r\n", 526);
  s(526, 0x18, "250 mx.example.net\r\n", 123);
  c(123, 0x18, "MAIL FROM:<me@example.org>\r\n", 546);
  s(546, 0x18, "250 Ok\r\n", 151);
  if (close) c(151, 0x04, "", 0);
}

}  // namespace

TEST_CASE("a closed flow keeps only its table entry, under 300 bytes") {
  Count sink;
  Pipeline p(config(), sink);
  const long long before = g_live_bytes.load();
  for (std::uint32_t n = 0; n < kFlows; ++n) session(p, n, 1764096000'000000 + n * 100, true);
  REQUIRE(sink.records == kFlows);
  REQUIRE(p.open_flows() == kFlows);  // kept to absorb late packets
  const long long per_flow = (g_live_bytes.load() - before) / kFlows;
  MESSAGE("closed flow: " << per_flow << " bytes");
  CHECK(per_flow < 300);
  // Late duplicates still meet the entry rather than starting a session.
  const Micros late = 1764096000'000000 + kFlows * 100;
  p.packet(late, 1, ethernet(0x0800, ipv4({203, 0, 113, 25}, {100, 64, 0, 7},
                                          tcp(25, 40000, 500, 0x18, "220 mx.example.net ESMTP\r\n", 100))));
  p.packet(late + 1, 1, ethernet(0x0800, ipv4({100, 64, 0, 7}, {203, 0, 113, 25},
                                              tcp(40000, 25, 100, 0x18, "EHLO home.example.org\r\n", 526))));
  CHECK(p.stats().after_close == 2);
  p.finish();
  CHECK(sink.records == kFlows);
  CHECK(p.open_flows() == 0);
}

TEST_CASE("an open flow mid-dialog holds its state, under 4 KB") {
  Count sink;
  Pipeline p(config(), sink);
  const long long before = g_live_bytes.load();
  for (std::uint32_t n = 0; n < kFlows; ++n) session(p, n, 1764096000'000000 + n * 100, false);
  REQUIRE(p.open_flows() == kFlows);
  const long long per_flow = (g_live_bytes.load() - before) / kFlows;
  MESSAGE("open flow: " << per_flow << " bytes");
  CHECK(per_flow < 4096);
  p.finish();
  CHECK(sink.records == kFlows);
}
