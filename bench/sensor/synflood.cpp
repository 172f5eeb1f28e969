// bench-synflood: writes a classic pcap (Ethernet, microsecond timestamps) of
// a SYN flood from random subscriber addresses and source ports to port 25 of
// random outside hosts - the worst case for the sensor's flow table, since
// every SYN to an SMTP port is a candidate - with one genuine SMTP session
// (helo "genuine.bench.example", mail from genuine@bench.example) spread
// through the flood, one of its packets every `spacing` flood packets.
// With SUBSCRIBERS > 0, that many distinct subscribers (100.64.0.1 on) then
// each open one short SMTP session of their own to 203.0.113.25 (EHLO, MAIL,
// RCPT, QUIT, 13 packets), one after another: the subscriber-state benchmark.
// bench/sensor/run-flood.sh runs the sensor over it and reports peak RSS.
//
// Usage: bench-synflood OUT.pcap [FLOOD_PACKETS=10000000] [SPACING=1000] [SUBSCRIBERS=0]
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Writer {
  std::FILE* f = nullptr;
  std::uint64_t ts_us = 1764096000ULL * 1000000ULL;  // 2025-11-25T18:40:00Z
  std::vector<std::uint8_t> frame;

  void u32le(std::uint32_t v) { std::fwrite(&v, 4, 1, f); }  // x86-64: host order is little-endian
  void header() {
    const std::uint32_t magic = 0xa1b2c3d4;
    u32le(magic);
    const std::uint16_t version[2] = {2, 4};
    std::fwrite(version, 2, 2, f);
    u32le(0);       // thiszone
    u32le(0);       // sigfigs
    u32le(65535);   // snaplen
    u32le(1);       // LINKTYPE_ETHERNET
  }
  static void be16(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
  }
  static void be32(std::uint8_t* p, std::uint32_t v) {
    be16(p, v >> 16);
    be16(p + 2, v & 0xffff);
  }
  // One Ethernet/IPv4/TCP packet; checksums are left zero (the sensor does not check them).
  void tcp(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport, std::uint32_t seq,
           std::uint32_t ack, std::uint8_t flags, const std::string& payload) {
    const std::size_t ip_len = 20 + 20 + payload.size();
    frame.assign(14 + ip_len, 0);
    std::uint8_t* e = frame.data();
    e[0] = 0x02; e[5] = 0x01; e[6] = 0x02; e[11] = 0x02;  // locally administered MACs
    be16(e + 12, 0x0800);
    std::uint8_t* ip = e + 14;
    ip[0] = 0x45;
    be16(ip + 2, static_cast<std::uint32_t>(ip_len));
    ip[8] = 64;
    ip[9] = 6;
    be32(ip + 12, src);
    be32(ip + 16, dst);
    std::uint8_t* t = ip + 20;
    be16(t, sport);
    be16(t + 2, dport);
    be32(t + 4, seq);
    be32(t + 8, ack);
    t[12] = 0x50;
    t[13] = flags;
    be16(t + 14, 65535);
    std::memcpy(t + 20, payload.data(), payload.size());
    ts_us += 10;  // 100,000 packets per second of capture time
    u32le(static_cast<std::uint32_t>(ts_us / 1000000));
    u32le(static_cast<std::uint32_t>(ts_us % 1000000));
    u32le(static_cast<std::uint32_t>(frame.size()));
    u32le(static_cast<std::uint32_t>(frame.size()));
    std::fwrite(frame.data(), 1, frame.size(), f);
  }
};

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

struct Step {
  bool from_client;
  std::uint8_t flags;
  std::string payload;
};

std::vector<Step> genuine_session() {
  return {
      {true, kSyn, ""},
      {false, kSyn | kAck, ""},
      {true, kAck, ""},
      {false, kPsh | kAck, "220 mx.bench.example ESMTP ready\r\n"},
      {true, kPsh | kAck, "EHLO genuine.bench.example\r\n"},
      {false, kPsh | kAck, "250-mx.bench.example\r\n250 8BITMIME\r\n"},
      {true, kPsh | kAck, "MAIL FROM:<genuine@bench.example>\r\n"},
      {false, kPsh | kAck, "250 2.1.0 Ok\r\n"},
      {true, kPsh | kAck, "RCPT TO:<friend@example.net>\r\n"},
      {false, kPsh | kAck, "250 2.1.5 Ok\r\n"},
      {true, kPsh | kAck, "DATA\r\n"},
      {false, kPsh | kAck, "354 End data with <CR><LF>.<CR><LF>\r\n"},
      {true, kPsh | kAck, "Subject: hello\r\n\r\nA genuine message.\r\n.\r\n"},
      {false, kPsh | kAck, "250 2.0.0 Ok: queued as 42\r\n"},
      {true, kPsh | kAck, "QUIT\r\n"},
      {false, kPsh | kAck, "221 2.0.0 Bye\r\n"},
      {true, kFin | kAck, ""},
      {false, kFin | kAck, ""},
      {true, kAck, ""},
  };
}

std::vector<Step> short_session() {
  return {
      {true, kSyn, ""},
      {false, kSyn | kAck, ""},
      {true, kAck, ""},
      {false, kPsh | kAck, "220 mx.example.net ESMTP\r\n"},
      {true, kPsh | kAck, "EHLO home.example.org\r\n"},
      {false, kPsh | kAck, "250 mx.example.net\r\n"},
      {true, kPsh | kAck, "MAIL FROM:<me@example.org>\r\n"},
      {false, kPsh | kAck, "250 Ok\r\n"},
      {true, kPsh | kAck, "RCPT TO:<you@example.net>\r\n"},
      {false, kPsh | kAck, "250 Ok\r\n"},
      {true, kPsh | kAck, "QUIT\r\n"},
      {false, kPsh | kAck, "221 Bye\r\n"},
      {true, kRst, ""},
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 5) {
    std::fprintf(stderr, "usage: bench-synflood OUT.pcap [FLOOD_PACKETS=10000000] [SPACING=1000] [SUBSCRIBERS=0]\n");
    return 2;
  }
  const std::uint64_t flood = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10000000ULL;
  const std::uint64_t spacing = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000ULL;
  const std::uint64_t subscribers = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 0ULL;
  if (subscribers > 0x3ffffe) {
    std::fprintf(stderr, "bench-synflood: SUBSCRIBERS must be at most 4194302 (100.64.0.0/10)\n");
    return 2;
  }
  if (spacing == 0) {
    std::fprintf(stderr, "bench-synflood: SPACING must be at least 1\n");
    return 2;
  }
  Writer w;
  w.f = std::fopen(argv[1], "wb");
  if (w.f == nullptr) {
    std::perror(argv[1]);
    return 1;
  }
  std::vector<char> buffer(std::size_t{1} << 20);
  std::setvbuf(w.f, buffer.data(), _IOFBF, buffer.size());
  w.header();

  const std::uint32_t client = 0x6440c801;  // 100.64.200.1, a subscriber
  const std::uint32_t server = 0xc6336419;  // 198.51.100.25
  std::uint32_t client_seq = 1000, server_seq = 5000;
  const auto steps = genuine_session();
  std::size_t next_step = 0;
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;  // xorshift64: same file on every run
  for (std::uint64_t i = 0; i < flood || next_step < steps.size(); ++i) {
    if (i % spacing == 0 && next_step < steps.size()) {
      const Step& s = steps[next_step++];
      const bool syn_or_fin = (s.flags & (kSyn | kFin)) != 0;
      const std::uint32_t advance = static_cast<std::uint32_t>(s.payload.size()) + (syn_or_fin ? 1u : 0u);
      const std::uint32_t ack_of = (s.flags & kAck) ? (s.from_client ? server_seq : client_seq) : 0;
      if (s.from_client) {
        w.tcp(client, 40000, server, 25, client_seq, ack_of, s.flags, s.payload);
        client_seq += advance;
      } else {
        w.tcp(server, 25, client, 40000, server_seq, ack_of, s.flags, s.payload);
        server_seq += advance;
      }
    }
    if (i >= flood) continue;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const std::uint32_t src = 0x64400000u | static_cast<std::uint32_t>(x & 0x3fffff);  // 100.64.0.0/10
    const auto sport = static_cast<std::uint16_t>(1024 + ((x >> 22) % 64000));
    const std::uint32_t dst = 0xcb000000u | static_cast<std::uint32_t>((x >> 40) & 0xffffff);  // 203.x.x.x
    w.tcp(src, sport, dst, 25, static_cast<std::uint32_t>(x >> 32), 0, kSyn, "");
  }
  const auto dialog = short_session();
  for (std::uint64_t k = 0; k < subscribers; ++k) {
    const auto sub = static_cast<std::uint32_t>(0x64400001u + k);
    const std::uint32_t mx = 0xcb007119;  // 203.0.113.25
    std::uint32_t cseq = 1000, sseq = 9000;
    for (const Step& s : dialog) {
      const bool syn_or_fin = (s.flags & (kSyn | kFin)) != 0;
      const std::uint32_t advance = static_cast<std::uint32_t>(s.payload.size()) + (syn_or_fin ? 1u : 0u);
      const std::uint32_t ack_of = (s.flags & kAck) ? (s.from_client ? sseq : cseq) : 0;
      if (s.from_client) {
        w.tcp(sub, 50000, mx, 25, cseq, ack_of, s.flags, s.payload);
        cseq += advance;
      } else {
        w.tcp(mx, 25, sub, 50000, sseq, ack_of, s.flags, s.payload);
        sseq += advance;
      }
    }
  }
  if (std::fclose(w.f) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  return 0;
}
