// WorkerPool against one Pipeline on random traffic: few hosts and ports so
// connections collide and get reused, random flags (SYN, FIN, RST), SMTP and
// non-SMTP payload on SMTP and other ports, time gaps past the idle timeout,
// subscriber and non-subscriber sides, IPv4 and IPv6, each packet in a random
// encapsulation (so the two directions of a flow rarely share one). Records, their order, on_time calls
// and every counter must match (capture time never goes backwards here, and
// the flow table never fills: the two documented differences).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <random>
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
  c.subscribers = PrefixSet({*Prefix::parse("100.64.0.0/10"), *Prefix::parse("2001:db8:1000::/40")});
  c.relays = PrefixSet({*Prefix::parse("198.51.100.25/32")});
  c.flow_idle_timeout = 3 * kMicrosPerSecond;
  c.flow_max_age = 20 * kMicrosPerSecond;
  return c;
}

const std::array<std::string_view, 14> kPayloads = {
    "", "", "", "220 mx.example ESMTP\r\n", "EHLO host.example\r\n", "HELO [1.2.3.4]\r\n",
    "MAIL FROM:<a@b.example>\r\n", "RCPT TO:<c@d.example>\r\n", "250 ok\r\n", "550 no\r\n", "DATA\r\n",
    "354 go\r\n", "\x16\x03\x01\x02\x00", "GET / HTTP/1.1\r\n"};
const std::array<unsigned, 6> kPorts = {25, 587, 8025, 443, 40000, 40001};
const std::array<std::uint8_t, 7> kFlags = {0x02, 0x12, 0x10, 0x18, 0x18, 0x11, 0x04};

// An IP packet in Ethernet, 802.1Q, QinQ, PPPoE or MPLS (by `how`).
Bytes encapsulate(const Bytes& ip, std::size_t how) {
  const bool v6 = (ip[0] >> 4) == 6;
  Bytes b;
  switch (how) {
    case 0: return ethernet(v6 ? 0x86dd : 0x0800, ip);
    case 1:
    case 2:
      if (how == 2) {
        put16(b, 200);
        put16(b, 0x8100);
      }
      put16(b, 100);
      put16(b, v6 ? 0x86dd : 0x0800);
      append(b, ip);
      return ethernet(how == 2 ? 0x88a8 : 0x8100, b);
    case 3:
      b = {0x11, 0x00, 0x12, 0x34};
      put16(b, static_cast<unsigned>(ip.size() + 2));
      put16(b, v6 ? 0x0057 : 0x0021);
      append(b, ip);
      return ethernet(0x8864, b);
    default:
      put32(b, (16u << 12) | 0x140);
      append(b, ip);
      return ethernet(0x8847, b);
  }
}

}  // namespace

TEST_CASE("random traffic: two and three workers match one pipeline exactly") {
  for (unsigned seed = 1; seed <= 12; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    std::vector<std::pair<Micros, Bytes>> frames;
    Micros t = 1764096000'000000;
    for (int i = 0; i < 4000; ++i) {
      t += pick(10) == 0 ? static_cast<Micros>(pick(5'000'000)) : static_cast<Micros>(pick(20'000));
      const auto sub = static_cast<std::uint8_t>(pick(12));
      const std::initializer_list<std::uint8_t> a = {100, 64, 0, sub};
      const std::initializer_list<std::uint8_t> b = {203, 0, 113, static_cast<std::uint8_t>(pick(3))};
      const std::initializer_list<std::uint8_t> outside = {192, 0, 2, static_cast<std::uint8_t>(pick(3))};
      const unsigned client_port = 50000 + static_cast<unsigned>(pick(4));
      const unsigned server_port = kPorts[pick(kPorts.size())];
      const auto seq = static_cast<std::uint32_t>(rng());
      const auto ack = static_cast<std::uint32_t>(rng());
      const std::string_view payload = kPayloads[pick(kPayloads.size())];
      const std::uint8_t flags = kFlags[pick(kFlags.size())];
      const Bytes segment = tcp(client_port, server_port, seq, flags, payload, ack);
      const Bytes reply = tcp(server_port, client_port, seq, flags, payload, ack);
      Bytes ip;
      switch (pick(6)) {
        case 0: ip = ipv4(b, a, reply); break;
        case 1: ip = ipv4(outside, b, segment); break;
        case 2: ip = ipv4(a, {100, 64, 1, static_cast<std::uint8_t>(pick(2))}, segment); break;  // subscriber to subscriber
        case 3: {  // IPv6: a subscriber (2001:db8:1000::/40) and a server, either way
          const auto sub6 = static_cast<std::uint8_t>(pick(4));
          const auto server6 = static_cast<std::uint8_t>(pick(2));
          ip = ipv6(sub6, server6, segment);
          if (pick(2) == 0) {  // the reply: addresses and ports swapped
            ip = ipv6(sub6, server6, reply);
            for (std::size_t k = 0; k < 16; ++k) std::swap(ip[8 + k], ip[24 + k]);
          }
          break;
        }
        default: ip = ipv4(a, b, segment); break;
      }
      Bytes frame = encapsulate(ip, pick(5));
      frames.emplace_back(t, std::move(frame));
    }
    Recorder single;
    Pipeline pipeline(config(), single);
    for (const auto& [ts, f] : frames) pipeline.packet(ts, 1, f);
    pipeline.finish();
    CHECK(single.records.size() > 50);
    CHECK(pipeline.stats().flows_ended[static_cast<std::size_t>(flow::FlowEnd::closed)] > 50);
    CHECK(pipeline.stats().flows_ended[static_cast<std::size_t>(flow::FlowEnd::idle)] > 50);
    CHECK(pipeline.stats().not_candidate > 500);
    const auto records_with = [&](std::string_view text) {
      return std::count_if(single.records.begin(), single.records.end(),
                           [&](const std::string& r) { return r.find(text) != std::string::npos; });
    };
    CHECK(records_with("\"2001:db8:1000::") > 10);  // IPv6 sessions
    CHECK(records_with("\"100.64.1.") > 10);        // between two subscribers
    for (std::size_t n : {2u, 3u}) {
      CAPTURE(n);
      Recorder merged;
      WorkerOptions options;
      options.workers = n;
      options.ring_bytes = 8192;
      options.progress_every_packets = 1 + seed * 13;
      WorkerPool pool(config(), options, merged);
      for (const auto& [ts, f] : frames) pool.packet(ts, 1, f);
      pool.finish();
      CHECK(merged.records == single.records);
      CHECK(merged.times == single.times);
      const auto& x = pool.stats();
      const auto& y = pipeline.stats();
      CHECK(x.packets == y.packets);
      CHECK(x.not_subscriber == y.not_subscriber);
      CHECK(x.not_candidate == y.not_candidate);
      CHECK(x.smtp_packets == y.smtp_packets);
      CHECK(x.after_close == y.after_close);
      CHECK(x.flows_created == y.flows_created);
      CHECK(x.flows_ended == y.flows_ended);
      CHECK(x.records == y.records);
      CHECK(x.gap_bytes == y.gap_bytes);
      CHECK(x.ndpi_packets == y.ndpi_packets);
      CHECK(x.decode.by_result == y.decode.by_result);
    }
  }
}
