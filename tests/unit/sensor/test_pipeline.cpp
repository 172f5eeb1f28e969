// Pipeline: candidates only, SYN flood stays bounded, on_time once per
// second, subscriber side and path.
#include <doctest/doctest.h>

#include <vector>

#include "packet_builder.hpp"
#include "sensor/pipeline/pipeline.hpp"

using namespace botwarden;
using namespace botwarden::test;
using namespace botwarden::pipeline;

namespace {

struct Recorder final : SessionSink {
  std::vector<smtp::SessionRecord> records;
  std::vector<Micros> times;
  void on_session(const smtp::SessionRecord& r) override { records.push_back(r); }
  void on_time(Micros now) override { times.push_back(now); }
};

PipelineConfig config(std::size_t max_flows = 1000) {
  PipelineConfig c;
  c.subscribers = PrefixSet({*Prefix::parse("100.64.0.0/10")});
  c.relays = PrefixSet({*Prefix::parse("198.51.100.25/32")});
  c.max_flows = max_flows;
  return c;
}

Bytes frame(std::initializer_list<std::uint8_t> src, std::initializer_list<std::uint8_t> dst, unsigned sport,
            unsigned dport, std::uint32_t seq, std::uint8_t flags, std::string_view payload = {},
            std::uint32_t ack = 0) {
  return ethernet(0x0800, ipv4(src, dst, tcp(sport, dport, seq, flags, payload, ack)));
}

}  // namespace

TEST_CASE("a SYN flood with random ports stays within max_flows") {
  Recorder sink;
  Pipeline p(config(500), sink);
  std::uint32_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 1103515245u + 12345u;
    const auto port = static_cast<std::uint16_t>(1024 + (x >> 16) % 60000);
    p.packet(1764096000'000000 + i, 1, frame({100, 64, static_cast<std::uint8_t>(x >> 8), 1}, {203, 0, 113, 5}, port, 25, x, 0x02));
  }
  CHECK(p.open_flows() <= 500);
  CHECK(p.stats().flows_ended[static_cast<std::size_t>(flow::FlowEnd::evicted)] >= 19000);
  p.finish();
  CHECK(p.open_flows() == 0);
  CHECK(sink.records.empty());  // handshakes without a byte of SMTP leave no records
}

TEST_CASE("traffic between non-subscribers and non-SMTP traffic get no state") {
  Recorder sink;
  Pipeline p(config(), sink);
  p.packet(1, 1, frame({192, 0, 2, 1}, {203, 0, 113, 5}, 40000, 25, 1, 0x02));
  p.packet(2, 1, frame({100, 64, 1, 1}, {203, 0, 113, 5}, 40000, 443, 1, 0x18, "\x16\x03\x01"));
  p.packet(3, 1, frame({100, 64, 1, 1}, {203, 0, 113, 5}, 40001, 443, 1, 0x10));
  CHECK(p.stats().not_subscriber == 1);
  CHECK(p.stats().not_candidate == 2);
  CHECK(p.open_flows() == 0);
}

TEST_CASE("a greeting on an unusual port makes a candidate, with the server side right") {
  Recorder sink;
  Pipeline p(config(), sink);
  p.packet(1'000000, 1, frame({203, 0, 113, 5}, {100, 64, 1, 1}, 8025, 40000, 500, 0x18, "220 mx ready\r\n"));
  p.packet(1'100000, 1, frame({100, 64, 1, 1}, {203, 0, 113, 5}, 40000, 8025, 100, 0x18, "EHLO me\r\n"));
  p.finish();
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].orig_h.to_string() == "100.64.1.1");
  CHECK(sink.records[0].resp_p == 8025);
  CHECK(sink.records[0].helo == "me");
  CHECK(sink.records[0].banner == "mx ready");
  CHECK(sink.records[0].subscriber_is_orig);
  CHECK(sink.records[0].partial);  // the capture ended mid-dialog
}

TEST_CASE("on_time is called at most once per second of capture time, and at the end") {
  Recorder sink;
  Pipeline p(config(), sink);
  for (int i = 0; i < 50; ++i) {
    p.packet(1764096000'000000 + i * 100'000, 1, frame({192, 0, 2, 1}, {192, 0, 2, 2}, 1, 2, 1, 0x10));
  }
  p.finish();
  CHECK(sink.times.size() == 6);  // seconds 0..4 and the end
  CHECK(sink.times.front() == 1764096000'000000);
}

TEST_CASE("idle flows end after the idle timeout of capture time") {
  Recorder sink;
  auto c = config();
  c.flow_idle_timeout = 10 * kMicrosPerSecond;
  Pipeline p(c, sink);
  p.packet(0, 1, frame({100, 64, 1, 1}, {198, 51, 100, 25}, 40000, 587, 1, 0x02));
  p.packet(1, 1, frame({198, 51, 100, 25}, {100, 64, 1, 1}, 587, 40000, 1, 0x18, "220 relay\r\n"));
  p.packet(20 * kMicrosPerSecond, 1, frame({192, 0, 2, 1}, {192, 0, 2, 2}, 1, 2, 1, 0x10));
  CHECK(p.open_flows() == 0);
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].path == smtp::Path::relay);
  CHECK(sink.records[0].partial);
}

TEST_CASE("a retransmission after the connection closed does not start a second session") {
  Recorder sink;
  Pipeline p(config(), sink);
  const auto c = [&](Micros t, std::uint32_t seq, std::uint8_t flags, std::string_view data, std::uint32_t ack) {
    p.packet(t, 1, frame({100, 64, 1, 1}, {203, 0, 113, 5}, 40000, 25, seq, flags, data, ack));
  };
  const auto s = [&](Micros t, std::uint32_t seq, std::uint8_t flags, std::string_view data, std::uint32_t ack) {
    p.packet(t, 1, frame({203, 0, 113, 5}, {100, 64, 1, 1}, 25, 40000, seq, flags, data, ack));
  };
  c(1, 99, 0x02, "", 0);
  s(2, 499, 0x12, "", 100);
  s(3, 500, 0x18, "220 mx\r\n", 100);
  c(4, 100, 0x18, "MAIL FROM:<a@b>\r\n", 508);
  s(5, 508, 0x18, "250 ok\r\n", 117);
  c(6, 117, 0x11, "", 516);
  s(7, 516, 0x11, "", 118);
  REQUIRE(sink.records.size() == 1);
  c(8, 100, 0x18, "MAIL FROM:<a@b>\r\n", 508);  // late duplicate
  p.finish();
  CHECK(sink.records.size() == 1);
  CHECK(p.stats().after_close == 1);
  CHECK_FALSE(sink.records[0].partial);
  CHECK(sink.records[0].mailfrom == "a@b");
}

TEST_CASE("out-of-order bytes of all flows together stay under the budget") {
  Recorder sink;
  auto c = config();
  c.max_out_of_order_bytes = 4096;
  c.max_total_out_of_order_bytes = 10000;
  Pipeline p(c, sink);
  const std::string chunk(1000, 'x');
  for (int flow = 0; flow < 50; ++flow) {
    const auto port = static_cast<unsigned>(41000 + flow);
    p.packet(flow * 10, 1, frame({100, 64, 1, 1}, {203, 0, 113, 5}, port, 25, 99, 0x02));
    // Segments beyond a hole that never fills: all held back.
    for (std::uint32_t k = 1; k <= 3; ++k) {
      p.packet(flow * 10 + k, 1, frame({100, 64, 1, 1}, {203, 0, 113, 5}, port, 25, 100 + 2000 * k, 0x18, chunk));
      CHECK(p.buffered_bytes() <= 10000);
    }
  }
  CHECK(p.stats().out_of_order_budget_flushes > 0);
  CHECK(p.buffered_bytes() > 0);
  p.finish();
  CHECK(p.buffered_bytes() == 0);
  // Held-back bytes are delivered after a gap rather than silently lost.
  CHECK(p.stats().gap_bytes > 0);
}
