// WorkerPool: the same records, in the same order, and the same on_time calls
// as one Pipeline, whatever the number of workers: sessions that close, go
// idle, or are still open at the end of input, from many subscribers at once.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "packet_builder.hpp"
#include "recorder.hpp"
#include "sensor/pipeline/workers.hpp"
#include "sensor/smtp/session_log.hpp"

using namespace botwarden;
using namespace botwarden::test;
using namespace botwarden::pipeline;

namespace {

PipelineConfig config() {
  PipelineConfig c;
  c.subscribers = PrefixSet({*Prefix::parse("100.64.0.0/10")});
  c.relays = PrefixSet({*Prefix::parse("198.51.100.25/32")});
  c.flow_idle_timeout = 10 * kMicrosPerSecond;
  return c;
}

struct Frame {
  Micros ts;
  Bytes bytes;
};

// One SMTP dialog per subscriber; how it ends depends on i % 3: QUIT and FIN
// both ways, silence (idle expiry), or silence near the end (end of input).
void add_session(std::vector<Frame>& out, unsigned i, Micros start) {
  const std::initializer_list<std::uint8_t> client = {100, 64, static_cast<std::uint8_t>(i / 250),
                                                      static_cast<std::uint8_t>(i % 250 + 1)};
  const std::initializer_list<std::uint8_t> server = {203, 0, 113, static_cast<std::uint8_t>(i % 7 + 1)};
  const auto port = static_cast<unsigned>(40000 + i);
  std::uint32_t cseq = 1000 + i;
  std::uint32_t sseq = 900000 + i;
  Micros t = start;
  const auto c2s = [&](std::uint8_t flags, std::string_view payload) {
    out.push_back({t, ethernet(0x0800, ipv4(client, server, tcp(port, 25, cseq, flags, payload, sseq)))});
    cseq += static_cast<std::uint32_t>(payload.size()) + ((flags & 0x03) ? 1u : 0u);
    t += 50'000;
  };
  const auto s2c = [&](std::uint8_t flags, std::string_view payload) {
    out.push_back({t, ethernet(0x0800, ipv4(server, client, tcp(25, port, sseq, flags, payload, cseq)))});
    sseq += static_cast<std::uint32_t>(payload.size()) + ((flags & 0x03) ? 1u : 0u);
    t += 50'000;
  };
  c2s(0x02, {});
  s2c(0x12, {});
  c2s(0x10, {});
  s2c(0x18, "220 mx" + std::to_string(i % 7) + ".example ESMTP\r\n");
  const std::string helo = "EHLO host-" + std::to_string(i) + (i % 2 ? ".example.net\r\n" : "\r\n");
  c2s(0x18, helo);
  s2c(0x18, "250 hello\r\n");
  c2s(0x18, "MAIL FROM:<a" + std::to_string(i) + "@shop" + std::to_string(i % 5) + ".example>\r\n");
  s2c(0x18, "250 ok\r\n");
  c2s(0x18, "RCPT TO:<b@mx.example>\r\n");
  s2c(0x18, i % 4 == 0 ? "550 5.7.1 blocked\r\n" : "250 ok\r\n");
  if (i % 3 == 0) {
    c2s(0x18, "QUIT\r\n");
    s2c(0x18, "221 bye\r\n");
    c2s(0x11, {});
    s2c(0x11, {});
  }
}

std::vector<Frame> capture(unsigned sessions) {
  std::vector<Frame> frames;
  std::uint32_t x = 7;
  for (unsigned i = 0; i < sessions; ++i) {
    x = x * 1103515245u + 12345u;
    add_session(frames, i, 1764096000'000000 + static_cast<Micros>(x % 60'000'000));
  }
  // Subscribers' web traffic (no state anywhere), and SMTP found by content on
  // port 8025 (the workers' content-port bookkeeping), with web traffic of
  // other subscribers on that port.
  for (unsigned i = 0; i < 200; ++i) {
    const std::initializer_list<std::uint8_t> sub = {100, 64, 9, static_cast<std::uint8_t>(i + 1)};
    frames.push_back({1764096000'000000 + i * 250'000,
                      ethernet(0x0800, ipv4(sub, {203, 0, 113, 80}, tcp(50000 + i, 443, 7, 0x18, "\x16\x03\x01", 1)))});
    frames.push_back({1764096000'000000 + i * 250'000 + 1,
                      ethernet(0x0800, ipv4({203, 0, 113, 80}, sub, tcp(8025, 51000 + i, 9, 0x18, "HTTP/1.1 200", 1)))});
  }
  frames.push_back({1764096010'000000, ethernet(0x0800, ipv4({203, 0, 113, 25}, {100, 64, 8, 1},
                                                             tcp(8025, 45000, 500, 0x18, "220 mx ready\r\n", 100)))});
  frames.push_back({1764096010'100000, ethernet(0x0800, ipv4({100, 64, 8, 1}, {203, 0, 113, 25},
                                                             tcp(45000, 8025, 100, 0x18, "EHLO me\r\n", 514)))});
  frames.push_back({1764096010'200000, ethernet(0x0800, ipv4({100, 64, 8, 1}, {203, 0, 113, 25},
                                                             tcp(45000, 8025, 109, 0x18, "MAIL FROM:<x@y.example>\r\n", 514)))});
  // Background traffic between non-subscribers keeps time moving.
  for (Micros t = 1764096000'000000; t < 1764096075'000000; t += 300'000) {
    frames.push_back({t, ethernet(0x0800, ipv4({192, 0, 2, 1}, {203, 0, 113, 9}, tcp(5555, 443, 1, 0x10, {}, 1)))});
  }
  std::stable_sort(frames.begin(), frames.end(), [](const Frame& a, const Frame& b) { return a.ts < b.ts; });
  return frames;
}

}  // namespace

TEST_CASE("two and three workers give one pipeline's records in its order, and its ticks") {
  const auto frames = capture(600);
  Recorder single;
  Pipeline pipeline(config(), single);
  for (const auto& f : frames) pipeline.packet(f.ts, 1, f.bytes);
  pipeline.finish();
  REQUIRE(single.records.size() == 601);
  CHECK(pipeline.stats().not_candidate >= 400);
  // All three endings occur.
  const auto count = [&](std::string_view text) {
    return std::count_if(single.records.begin(), single.records.end(),
                         [&](const std::string& r) { return r.find(text) != std::string::npos; });
  };
  CHECK(count("\"partial\":false") >= 150);
  CHECK(count("\"partial\":true") >= 150);

  for (std::size_t n : {1u, 2u, 3u}) {
    CAPTURE(n);
    Recorder merged;
    WorkerOptions options;
    options.workers = n;
    options.ring_bytes = 16384;           // small: the reader waits for full rings
    options.progress_every_packets = 97;  // and the merge runs often
    WorkerPool pool(config(), options, merged);
    for (const auto& f : frames) pool.packet(f.ts, 1, f.bytes);
    pool.finish();
    CHECK(merged.records == single.records);
    CHECK(merged.times == single.times);
    const auto& a = pool.stats();
    const auto& b = pipeline.stats();
    CHECK(a.packets == b.packets);
    CHECK(a.bytes == b.bytes);
    CHECK(a.records == b.records);
    CHECK(a.not_subscriber == b.not_subscriber);
    CHECK(a.not_candidate == b.not_candidate);
    CHECK(a.after_close == b.after_close);
    CHECK(a.ndpi_packets == b.ndpi_packets);
    CHECK(a.gap_bytes == b.gap_bytes);
    CHECK(a.duplicate_segments == b.duplicate_segments);
    CHECK(a.smtp_packets == b.smtp_packets);
    CHECK(a.flows_created == b.flows_created);
    CHECK(a.flows_ended == b.flows_ended);
    CHECK(a.decode.by_result == b.decode.by_result);
    CHECK(pool.open_flows() == 0);
  }
}

TEST_CASE("live ticks without packets reach every worker") {
  const auto frames = capture(60);
  Recorder single;
  Recorder merged;
  Pipeline pipeline(config(), single);
  WorkerOptions options;
  options.workers = 2;
  WorkerPool pool(config(), options, merged);
  for (const auto& f : frames) {
    pipeline.packet(f.ts, 1, f.bytes);
    pool.packet(f.ts, 1, f.bytes);
  }
  // A quiet link: the wall clock moves on; idle flows expire without traffic.
  pipeline.tick(1764096200'000000);
  pool.tick(1764096200'000000);
  pipeline.finish();
  pool.finish();
  CHECK(merged.records == single.records);
  CHECK(merged.times == single.times);
  CHECK(pool.stats().flows_ended[static_cast<std::size_t>(flow::FlowEnd::idle)] > 0);
}

TEST_CASE("a frame too large for the ring is refused with a clear error") {
  Recorder sink;
  WorkerOptions options;
  options.workers = 2;
  options.ring_bytes = 4096;
  WorkerPool pool(config(), options, sink);
  const Bytes big = ethernet(0x0800, ipv4({100, 64, 0, 1}, {203, 0, 113, 1}, tcp(40000, 25, 1, 0x18, std::string(3000, 'x'), 1)));
  CHECK_THROWS_WITH_AS(pool.packet(1, 1, big),
                       ("a captured frame of " + std::to_string(big.size()) +
                        " bytes does not fit the worker ring of 4096 bytes").c_str(),
                       std::runtime_error);
}

TEST_CASE("a sink that fails stops the pool with its message") {
  struct Failing final : SessionSink {
    int seen = 0;
    void on_session(const smtp::SessionRecord&) override {
      if (++seen == 5) throw std::runtime_error("smtp.jsonl: No space left on device");
    }
    void on_time(Micros) override {}
  };
  const auto frames = capture(60);
  Failing sink;
  WorkerOptions options;
  options.workers = 2;
  options.progress_every_packets = 16;
  WorkerPool pool(config(), options, sink);
  const auto run = [&] {
    for (const auto& f : frames) pool.packet(f.ts, 1, f.bytes);
    pool.finish();
  };
  CHECK_THROWS_WITH_AS(run(), "smtp.jsonl: No space left on device", std::runtime_error);
  CHECK(sink.seen == 5);
}
