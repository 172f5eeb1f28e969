// The HTTP sink against a small real HTTP server on loopback that speaks the
// notifier's contract (POST /api/v1/events, results per id).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "sensor/events/http_sink.hpp"

using namespace botwarden;
using nlohmann::json;

namespace {

// One connection at a time; enough for a sink that posts sequentially.
class TinyNotifier {
 public:
  using Handler = std::function<std::pair<int, std::string>(const std::string& auth, const std::string& body)>;
  explicit TinyNotifier(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    REQUIRE(::listen(fd_, 8) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyNotifier() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::atomic<int> requests{0};

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string in;
      char buf[4096];
      std::size_t header_end = std::string::npos;
      std::size_t length = 0;
      while (true) {
        const auto n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
        if (header_end == std::string::npos && (header_end = in.find("\r\n\r\n")) != std::string::npos) {
          std::string lower_headers = in.substr(0, header_end);
          for (auto& ch : lower_headers) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          const auto cl = lower_headers.find("content-length:");
          if (cl != std::string::npos) length = std::stoul(lower_headers.substr(cl + 15));
        }
        if (header_end != std::string::npos && in.size() >= header_end + 4 + length) break;
      }
      std::string auth;
      if (const auto a = in.find("Authorization: "); a != std::string::npos) {
        auth = in.substr(a + 15, in.find("\r\n", a) - a - 15);
      }
      const bool right_path = in.rfind("POST /api/v1/events HTTP/1.1\r\n", 0) == 0;
      ++requests;
      auto [status, body] = right_path ? handler_(auth, in.substr(header_end + 4)) : std::pair{404, std::string("{}")};
      const std::string out = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
                              "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      (void)::send(c, out.data(), out.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The notifier's contract: accepted once, duplicate after, rejected for a marked event.
struct Store {
  std::mutex mutex;
  std::set<std::string> ids;
  std::vector<std::size_t> batch_sizes;
  std::string last_auth;
  TinyNotifier::Handler handler() {
    return [this](const std::string& auth, const std::string& body) {
      std::lock_guard lock(mutex);
      last_auth = auth;
      if (auth != "Bearer s3cret") return std::pair{401, std::string(R"({"error":"unauthorized"})")};
      const auto j = json::parse(body);
      json results = json::array();
      batch_sizes.push_back(j["events"].size());
      for (const auto& e : j["events"]) {
        const std::string id = e["id"];
        if (e["subscriber"] == "192.0.2.99") {
          results.push_back({{"id", id}, {"status", "rejected"}, {"reason", "subscriber: not ours"}});
        } else {
          results.push_back({{"id", id}, {"status", ids.insert(id).second ? "accepted" : "duplicate"}});
        }
      }
      return std::pair{200, json{{"results", results}}.dump()};
    };
  }
};

events::DetectionEvent event(unsigned n, const std::string& subscriber = "") {
  events::DetectionEvent e;
  e.sensor = "sensor1";
  e.subscriber = subscriber.empty() ? "100.64.0." + std::to_string(n) : subscriber;
  e.address = e.subscriber;
  e.id = events::make_event_id(e.sensor, e.subscriber, events::Detector::bad_helo, 0, 0, 0);
  e.ts = e.first_seen = e.last_seen = 1'764'096'000'000'000;
  e.evidence.sessions = 3;
  return e;
}

std::string fresh_dir(const std::string& name) {
  const std::string dir = std::string(BOTWARDEN_BINARY_DIR) + "/unit-detect-spool-" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

events::HttpSinkConfig config(const std::string& url, const std::string& dir) {
  events::HttpSinkConfig c;
  c.url = url;
  c.token = "s3cret";
  c.spool_dir = dir;
  c.batch_size = 10;
  c.backoff_initial_ms = 20;
  c.backoff_max_ms = 100;
  c.drain_timeout_ms = 5000;
  c.timeout_ms = 2000;
  return c;
}

std::size_t lines_in(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

}  // namespace

TEST_CASE("events reach the notifier in batches with the bearer token") {
  Store store;
  TinyNotifier notifier(store.handler());
  const auto dir = fresh_dir("batches");
  events::HttpSink sink(config(notifier.url(), dir));
  for (unsigned i = 0; i < 25; ++i) sink.emit(event(i + 1));
  sink.flush();
  const auto s = sink.stats();
  CHECK(s.accepted == 25);
  CHECK(s.pending_bytes == 0);
  CHECK(store.ids.size() == 25);
  CHECK(store.last_auth == "Bearer s3cret");
  for (auto n : store.batch_sizes) CHECK(n <= 10);
  std::ifstream offset(dir + "/spool.offset");
  std::uint64_t value = 0;
  offset >> value;
  CHECK(value == std::filesystem::file_size(dir + "/spool.jsonl"));
}

TEST_CASE("a notifier outage loses nothing: delivery resumes when it answers again") {
  Store store;
  std::atomic<int> outage{3};
  auto inner = store.handler();
  TinyNotifier notifier([&](const std::string& auth, const std::string& body) {
    if (outage-- > 0) return std::pair{503, std::string(R"({"error":"starting"})")};
    return inner(auth, body);
  });
  events::HttpSink sink(config(notifier.url(), fresh_dir("outage")));
  for (unsigned i = 0; i < 5; ++i) sink.emit(event(i + 1));
  sink.flush();
  CHECK(sink.stats().accepted == 5);
  CHECK(sink.stats().failed_posts >= 3);
  CHECK(store.ids.size() == 5);
}

TEST_CASE("the spool survives a restart and re-sent events come back as duplicates") {
  const auto dir = fresh_dir("restart");
  {
    auto c = config("http://127.0.0.1:9", dir);  // discard port: nothing listens
    c.drain_timeout_ms = 100;
    events::HttpSink sink(c);
    for (unsigned i = 0; i < 4; ++i) sink.emit(event(i + 1));
    CHECK(sink.stats().pending_bytes > 0);
  }
  CHECK(lines_in(dir + "/spool.jsonl") == 4);
  Store store;
  store.ids.insert(event(1).id);  // the notifier stored two before the outage
  store.ids.insert(event(2).id);
  TinyNotifier notifier(store.handler());
  events::HttpSink sink(config(notifier.url(), dir));
  sink.flush();
  CHECK(sink.stats().duplicate == 2);
  CHECK(sink.stats().accepted == 2);
  CHECK(sink.stats().pending_bytes == 0);
}

TEST_CASE("a rejected event is logged and dropped, never blocking the spool") {
  Store store;
  TinyNotifier notifier(store.handler());
  events::HttpSink sink(config(notifier.url(), fresh_dir("rejected")));
  sink.emit(event(1));
  sink.emit(event(2, "192.0.2.99"));
  sink.emit(event(3));
  sink.flush();
  CHECK(sink.stats().accepted == 2);
  CHECK(sink.stats().rejected == 1);
  CHECK(sink.stats().pending_bytes == 0);
}

TEST_CASE("a wrong token keeps everything spooled") {
  Store store;
  TinyNotifier notifier(store.handler());
  auto c = config(notifier.url(), fresh_dir("token"));
  c.token = "wrong";
  c.drain_timeout_ms = 200;
  events::HttpSink sink(c);
  sink.emit(event(1));
  sink.flush();
  CHECK(sink.stats().accepted == 0);
  CHECK(sink.stats().pending_bytes > 0);
  CHECK(store.ids.empty());
}

TEST_CASE("an unfinished last line left by a crash is cut, the complete ones are sent") {
  const auto dir = fresh_dir("crash");
  std::filesystem::create_directories(dir);
  {
    std::ofstream spool(dir + "/spool.jsonl");
    spool << events::to_json_line(event(1)) << "\n" << events::to_json_line(event(2)) << "\n{\"type\":\"detec";
  }
  Store store;
  TinyNotifier notifier(store.handler());
  events::HttpSink sink(config(notifier.url(), dir));
  sink.flush();
  CHECK(sink.stats().accepted == 2);
  CHECK(lines_in(dir + "/spool.jsonl") == 2);
}

TEST_CASE("the token file's errors name the file") {
  const std::string dir = fresh_dir("tokenfile");
  std::filesystem::create_directories(dir);
  CHECK_THROWS_WITH(events::read_token_file(dir + "/missing"), (dir + "/missing: cannot read the token file").c_str());
  std::ofstream(dir + "/empty") << "\n";
  CHECK_THROWS_WITH(events::read_token_file(dir + "/empty"), (dir + "/empty: the token file's first line is empty").c_str());
  std::ofstream(dir + "/ok") << "  s3cret \r\nsecond line\n";
  CHECK(events::read_token_file(dir + "/ok") == "s3cret");
}
