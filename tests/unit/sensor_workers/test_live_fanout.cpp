// Live capture in a PACKET_FANOUT group (capture::open_fanout, FanoutWorkers)
// on the loopback interface. Needs root (CAP_NET_RAW); says so and passes
// vacuously otherwise, as the e2e tests skip.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "sensor/capture/capture.hpp"
#include "sensor/pipeline/run.hpp"
#include "sensor/pipeline/workers.hpp"

namespace bw = botwarden;

namespace {

bool can_capture() {
  if (::geteuid() == 0) return true;
  MESSAGE("skipped: live capture needs root");
  return false;
}

// Keeps what the merge hands on, and checks it as it comes.
struct Ordered final : bw::pipeline::SessionSink {
  std::vector<bw::smtp::SessionRecord> records;
  std::vector<bw::Micros> times;
  void on_session(const bw::smtp::SessionRecord& r) override { records.push_back(r); }
  void on_time(bw::Micros now) override { times.push_back(now); }
};

// A listening socket on 127.0.0.1 (any free port).
int listen_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 64) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  port = ntohs(a.sin_port);
  return fd;
}

void send_all(int fd, const std::string& s) {
  std::size_t at = 0;
  while (at < s.size()) {
    const ssize_t n = ::send(fd, s.data() + at, s.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return;
    at += static_cast<std::size_t>(n);
  }
}

// Reads until `want` newlines have arrived (or the peer closes).
void read_lines(int fd, int want) {
  char c = 0;
  while (want > 0 && ::recv(fd, &c, 1, 0) == 1) {
    if (c == '\n') --want;
  }
}

// A server answering one SMTP dialog per accepted connection, in order.
void serve(int listener, int sessions) {
  for (int i = 0; i < sessions; ++i) {
    const int c = ::accept(listener, nullptr, nullptr);
    if (c < 0) return;
    send_all(c, "220 fanout.test ESMTP\r\n");
    for (int step = 0; step < 4; ++step) {  // EHLO, MAIL, RCPT, QUIT
      read_lines(c, 1);
      send_all(c, step == 3 ? "221 bye\r\n" : "250 ok\r\n");
    }
    ::close(c);
  }
}

void client(std::uint16_t port, int n) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return;
  }
  read_lines(fd, 1);
  for (const std::string& line : {"EHLO client" + std::to_string(n) + ".example.org", std::string("MAIL FROM:<a@b.example>"),
                                  "RCPT TO:<r" + std::to_string(n) + "@c.example>", std::string("QUIT")}) {
    send_all(fd, line + "\r\n");
    read_lines(fd, 1);
  }
  ::close(fd);
}

}  // namespace

TEST_CASE("a group the kernel refuses leaves no handles and says which interface, group and error") {
  if (!can_capture()) return;
  // Another socket already holds this process's group id in load-balance
  // mode: the kernel refuses a member asking for hash mode.
  const int other = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  REQUIRE(other >= 0);
  sockaddr_ll where{};
  where.sll_family = AF_PACKET;
  where.sll_protocol = htons(ETH_P_ALL);
  where.sll_ifindex = static_cast<int>(::if_nametoindex("lo"));
  REQUIRE(::bind(other, reinterpret_cast<sockaddr*>(&where), sizeof where) == 0);
  const auto group = static_cast<std::uint16_t>(::getpid() & 0xffff);
  const std::uint32_t lb = group | std::uint32_t{PACKET_FANOUT_LB} << 16;
  REQUIRE(::setsockopt(other, SOL_PACKET, PACKET_FANOUT, &lb, sizeof lb) == 0);

  bw::capture::LiveOptions o;
  o.interface = "lo";
  o.buffer_mb = 1;
  std::string why;
  const auto fanout = bw::capture::open_fanout(o, 2, why);
  CHECK(fanout.handles.empty());
  CHECK(why == "lo: cannot join PACKET_FANOUT group " + std::to_string(group) + ": Invalid argument");
  ::close(other);
}

TEST_CASE("two workers in a fanout group hand on every concurrent session once and whole, on_time never backwards") {
  if (!can_capture()) return;
  std::uint16_t port = 0;
  const int listener = listen_loopback(port);
  bw::capture::LiveOptions o;
  o.interface = "lo";
  // On lo (MTU 65536) libpcap's immediate-mode ring has ~64 KiB frames, and
  // each packet takes two (lo shows it outgoing and incoming): 48 MiB is
  // ~750 frames per handle, room for every packet of the test (~640 frames)
  // even if a slow (TSan) worker reads none until the end.
  o.buffer_mb = 48;
  o.read_timeout_ms = 50;
  o.bpf_filter = "tcp port " + std::to_string(port);
  std::string why;
  auto handles = bw::capture::open_fanout(o, 2, why);
  REQUIRE_MESSAGE(handles.handles.size() == 2, why);
  bw::pipeline::PipelineConfig config;
  config.subscribers = bw::PrefixSet({*bw::Prefix::parse("127.0.0.0/8")});
  Ordered sink;
  bw::pipeline::FanoutWorkers workers(config, std::move(handles), sink);
  REQUIRE(workers.workers() == 2);

  constexpr int kSessions = 16;
  std::thread server(serve, listener, kSessions);
  std::vector<std::thread> clients;
  for (int i = 0; i < kSessions; ++i) clients.emplace_back(client, port, i);
  for (auto& c : clients) c.join();
  server.join();
  ::close(listener);
  // Records arrive as the workers' clocks pass them; the rest at finish().
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (sink.records.size() < kSessions && std::chrono::steady_clock::now() < deadline) {
    if (!workers.merge()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(sink.records.size() == kSessions);  // handed on before the end, by the watermarks alone
  workers.finish();
  CHECK(workers.failures().empty());
  REQUIRE(workers.capture_stats().dropped == 0);

  REQUIRE(sink.records.size() == kSessions);
  std::vector<int> seen(kSessions, 0);
  for (std::size_t i = 0; i < sink.records.size(); ++i) {
    const auto& r = sink.records[i];
    CAPTURE(r.helo);
    CHECK_FALSE(r.partial);
    CHECK(r.mailfrom == "a@b.example");
    REQUIRE(r.rcptto.size() == 1);
    const int n = std::stoi(r.rcptto[0].substr(1));
    REQUIRE((n >= 0 && n < kSessions));
    CHECK(r.helo == "client" + std::to_string(n) + ".example.org");
    ++seen[static_cast<std::size_t>(n)];
  }
  for (int n = 0; n < kSessions; ++n) CHECK(seen[static_cast<std::size_t>(n)] == 1);
  const auto reports = workers.reports();
  REQUIRE(reports.size() == 2);
  CHECK(reports[0].pipeline.records + reports[1].pipeline.records == kSessions);
  CHECK(reports[0].pipeline.records > 0);  // 16 flows on one worker: 1 in 32,768
  CHECK(reports[1].pipeline.records > 0);
  CHECK(workers.stats().records == kSessions);
  REQUIRE_FALSE(sink.times.empty());
  for (std::size_t i = 1; i < sink.times.size(); ++i) CHECK(sink.times[i - 1] <= sink.times[i]);
}
