// The real Server on 127.0.0.1 with ephemeral ports: keep-alive, limits
// (431, 413), read timeouts, graceful stop with a request in flight, HTTPS
// with a certificate made here, and every split of a request on the wire.
#include <doctest/doctest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <csignal>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "web/server/server.hpp"

using namespace botwarden;
using namespace botwarden::web;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

WebConfig test_config() {
  WebConfig c;
  c.listen = {*ListenEndpoint::parse("127.0.0.1:0", false)};
  c.threads = 2;
  c.header_limit_bytes = 2048;
  c.body_limit_bytes = 64;
  c.read_timeout_seconds = 5;
  c.write_timeout_seconds = 5;
  c.trusted_proxies = {*Prefix::parse("127.0.0.0/8")};
  return c;
}

Router test_router(std::atomic<int>* slow_started = nullptr) {
  Router router;
  router.add(Verb::get, "/hello", [](const Request& q, const RequestContext& ctx) {
    return make_response(q, Status::ok, std::string("hello ") + (ctx.tls ? "https" : "http"));
  });
  router.add(Verb::post, "/echo", [](const Request& q, const RequestContext&) {
    return make_response(q, Status::ok, q.body());
  });
  router.add(Verb::post, "/big", [](const Request& q, const RequestContext&) {
    return make_response(q, Status::ok, std::to_string(q.body().size()));
  }, {.body_limit = 4096});
  router.add(Verb::get, "/client", [](const Request& q, const RequestContext& ctx) {
    return make_response(q, Status::ok, ctx.client.to_string());
  });
  router.add(Verb::get, "/slow", [slow_started](const Request& q, const RequestContext&) {
    if (slow_started) ++*slow_started;
    std::this_thread::sleep_for(400ms);
    return make_response(q, Status::ok, "finished");
  });
  router.set_fallback([](const Request& q, const RequestContext& ctx) {
    return make_response(q, Status::ok, "garden " + std::string(ctx.path), "text/html; charset=utf-8");
  });
  return router;
}

// A blocking HTTP/1.1 client over one TCP connection.
struct Client {
  asio::io_context ioc;
  tcp::socket socket{ioc};
  beast::flat_buffer buffer;

  explicit Client(std::uint16_t port) {
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    socket.set_option(tcp::no_delay(true));
  }
  void send(std::string_view raw) { asio::write(socket, asio::buffer(raw.data(), raw.size())); }
  bhttp::response<bhttp::string_body> read(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(head);
    bhttp::read(socket, buffer, parser);
    return parser.release();
  }
  bhttp::response<bhttp::string_body> get(const std::string& target) {
    send("GET " + target + " HTTP/1.1\r\nHost: test\r\n\r\n");
    return read();
  }
  // True when the server has closed the connection (EOF with nothing more).
  bool closed() {
    boost::system::error_code ec;
    char byte = 0;
    socket.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
};

// Metrics are counted just after a response is written: give the server a moment.
template <class Predicate>
void wait_for(Predicate done) {
  for (int i = 0; i < 200 && !done(); ++i) std::this_thread::sleep_for(5ms);
}

struct Running {
  Server server;
  std::uint16_t port;
  Running(WebConfig c, Router r) : server(std::move(c), std::move(r)) {
    server.start();
    port = server.bound_endpoints().at(0).port;
  }
};

}  // namespace

TEST_CASE("keep-alive serves several requests on one connection with security headers") {
  Running s(test_config(), test_router());
  Client c(s.port);
  const auto first = c.get("/hello");
  CHECK(first.result() == Status::ok);
  CHECK(first.body() == "hello http");
  CHECK(first["X-Content-Type-Options"] == "nosniff");
  CHECK(first["X-Frame-Options"] == "DENY");
  CHECK(first["Referrer-Policy"] == "no-referrer");
  CHECK(first["Content-Security-Policy"] == kDefaultContentSecurityPolicy);
  CHECK(first["X-Request-Id"] == "1");
  CHECK(first.keep_alive());
  const auto second = c.get("/any/unknown/path?x=1");
  CHECK(second.body() == "garden /any/unknown/path");
  CHECK(second["X-Request-Id"] == "2");
  const auto third = c.get("/client");
  CHECK(third.body() == "127.0.0.1");
  c.send("GET /client HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
  CHECK(c.read().body() == "203.0.113.9");  // 127.0.0.0/8 is a trusted proxy here
  wait_for([&] { return s.server.metrics().snapshot().requests == 4; });
  const auto m = s.server.metrics().snapshot();
  CHECK(m.connections_accepted == 1);
  CHECK(m.requests == 4);
  CHECK(m.by_status_class[2] == 4);
  std::uint64_t in_buckets = 0;
  for (const auto n : m.latency_buckets) in_buckets += n;
  CHECK(in_buckets == 4);
}

TEST_CASE("HEAD gets the GET headers with Content-Length and no body") {
  Running s(test_config(), test_router());
  Client c(s.port);
  c.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  const auto head = c.read(true);
  CHECK(head.result() == Status::ok);
  CHECK(head[bhttp::field::content_length] == "10");
  CHECK(head.body().empty());
  CHECK(c.get("/hello").body() == "hello http");  // the connection is still in step
}

TEST_CASE("an oversized header is answered 431 and the connection closed") {
  Running s(test_config(), test_router());
  Client c(s.port);
  c.send("GET /hello HTTP/1.1\r\nHost: t\r\nCookie: " + std::string(4000, 'a') + "\r\n\r\n");
  const auto r = c.read();
  CHECK(r.result() == Status::request_header_fields_too_large);
  CHECK(r.body() == "431 Request Header Fields Too Large\n");
  CHECK(r["X-Frame-Options"] == "DENY");
  CHECK_FALSE(r.keep_alive());
  CHECK(c.closed());
  wait_for([&] { return s.server.metrics().snapshot().header_too_large == 1; });
  CHECK(s.server.metrics().snapshot().header_too_large == 1);
}

TEST_CASE("an oversized body is answered 413; a route may allow more") {
  Running s(test_config(), test_router());
  {
    Client c(s.port);
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'b'));
    const auto r = c.read();
    CHECK(r.result() == Status::payload_too_large);
    CHECK(r.body() == "413 Payload Too Large\n");
    CHECK(c.closed());
  }
  {
    Client c(s.port);  // chunked: the limit cuts it while reading
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'c') +
           "\r\n40\r\n" + std::string(64, 'c') + "\r\n0\r\n\r\n");
    CHECK(c.read().result() == Status::payload_too_large);
  }
  {
    Client c(s.port);
    c.send("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'd'));
    const auto r = c.read();
    CHECK(r.result() == Status::ok);
    CHECK(r.body() == "1000");
  }
  {
    Client c(s.port);  // Expect: 100-continue gets its interim response before the body is sent
    c.send("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    bhttp::response_parser<bhttp::empty_body> interim;
    bhttp::read_header(c.socket, c.buffer, interim);
    CHECK(interim.get().result() == Status::continue_);
    c.send("12345");
    CHECK(c.read().body() == "5");
  }
  wait_for([&] { return s.server.metrics().snapshot().body_too_large == 2; });
  CHECK(s.server.metrics().snapshot().body_too_large == 2);
}

TEST_CASE("garbage is answered 400") {
  Running s(test_config(), test_router());
  Client c(s.port);
  c.send("GET /hello HTTP/1.1\r\nHost t\r\n\r\n");
  const auto r = c.read();
  CHECK(r.result() == Status::bad_request);
  CHECK(r.body() == "400 Bad Request\n");
}

TEST_CASE("a client that stalls mid-request, and an idle one, are closed after the read timeout") {
  auto config = test_config();
  config.read_timeout_seconds = 1;
  Running s(config, test_router());
  Client slow(s.port);
  Client idle(s.port);
  const auto t0 = std::chrono::steady_clock::now();
  slow.send("GET /hello HTTP/1.1\r\nHost: t\r\n");  // never finishes the header
  CHECK(slow.closed());
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= 900ms);
  CHECK(waited < 3s);
  CHECK(idle.closed());
  wait_for([&] { return s.server.metrics().snapshot().timeouts == 2; });
  CHECK(s.server.metrics().snapshot().timeouts == 2);
}

TEST_CASE("graceful stop finishes the request in flight, closes idle connections, refuses new ones") {
  std::atomic<int> started{0};
  Running s(test_config(), test_router(&started));
  Client busy(s.port);
  Client idle(s.port);
  CHECK(idle.get("/hello").result() == Status::ok);  // now idle in keep-alive
  busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  while (started.load() == 0) std::this_thread::sleep_for(1ms);
  const auto t0 = std::chrono::steady_clock::now();
  auto stopping = std::async(std::launch::async, [&] { s.server.stop(5s); });
  const auto r = busy.read();
  CHECK(r.result() == Status::ok);
  CHECK(r.body() == "finished");
  CHECK_FALSE(r.keep_alive());  // "Connection: close" while stopping
  CHECK(idle.closed());
  stopping.get();
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);  // did not wait out the grace period
  CHECK_FALSE(s.server.running());
  asio::io_context ioc;
  tcp::socket probe(ioc);
  boost::system::error_code ec;
  probe.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), s.port), ec);
  CHECK(ec == asio::error::connection_refused);
}

TEST_CASE("stop with a short grace closes a request that takes longer") {
  std::atomic<int> started{0};
  Running s(test_config(), test_router(&started));
  Client busy(s.port);
  busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  while (started.load() == 0) std::this_thread::sleep_for(1ms);
  s.server.stop(50ms);
  CHECK(busy.closed());
}

TEST_CASE("SIGTERM stops run_until_signal gracefully") {
  Running s(test_config(), test_router());
  // Until run_until_signal has registered, an early SIGTERM is ignored, not fatal.
  std::signal(SIGTERM, SIG_IGN);
  auto running = std::async(std::launch::async, [&] { s.server.run_until_signal(); });
  for (int i = 0; i < 100 && running.wait_for(50ms) != std::future_status::ready; ++i) std::raise(SIGTERM);
  REQUIRE(running.wait_for(5s) == std::future_status::ready);
  running.get();
  std::signal(SIGTERM, SIG_DFL);
  CHECK_FALSE(s.server.running());
}

TEST_CASE("a second server on the same port names the endpoint and the reason") {
  Running s(test_config(), test_router());
  auto config = test_config();
  config.listen = {*ListenEndpoint::parse("127.0.0.1:" + std::to_string(s.port), false)};
  Server other(config, test_router());
  CHECK_THROWS_WITH(other.start(), ("web: cannot listen on 127.0.0.1:" + std::to_string(s.port) +
                                    ": Address already in use").c_str());
  CHECK_FALSE(other.running());
}

TEST_CASE("every split of two pipelined requests gives the same two responses") {
  Running s(test_config(), test_router());
  const std::string wire =
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world"
      "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
  for (std::size_t split = 1; split < wire.size(); ++split) {
    CAPTURE(split);
    Client c(s.port);
    c.send(std::string_view(wire).substr(0, split));
    std::this_thread::sleep_for(200us);  // let the server read the first part alone
    c.send(std::string_view(wire).substr(split));
    const auto a = c.read();
    const auto b = c.read();
    CHECK(a.body() == "hello world");
    CHECK(b.body() == "hello http");
  }
}

TEST_CASE("HTTPS with a certificate made for the test") {
  namespace fs = std::filesystem;
  const auto dir = fs::temp_directory_path() / ("botwarden-tls-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto cert = (dir / "cert.pem").string();
  const auto key = (dir / "key.pem").string();
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                          "-subj /CN=localhost -addext subjectAltName=DNS:localhost -days 1 -keyout " +
                          key + " -out " + cert + " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);

  auto config = test_config();
  config.listen.push_back(*ListenEndpoint::parse("127.0.0.1:0", true));
  config.tls_certificate = cert;
  config.tls_private_key = key;
  Running s(config, test_router());
  const auto tls_port = s.server.bound_endpoints().at(1).port;

  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(cert);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<tcp::socket> stream(ioc, ctx);
  stream.set_verify_callback(asio::ssl::host_name_verification("localhost"));
  stream.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tls_port));
  stream.handshake(asio::ssl::stream_base::client);
  Request q{Verb::get, "/hello", 11};
  q.set(bhttp::field::host, "localhost");
  bhttp::write(stream, q);
  beast::flat_buffer buffer;
  Response r;
  bhttp::read(stream, buffer, r);
  CHECK(r.body() == "hello https");
  CHECK(r["X-Content-Type-Options"] == "nosniff");

  // Plain HTTP to the TLS port is a failed handshake, counted, not a crash.
  Client plain(tls_port);
  plain.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(plain.closed());
  CHECK(Client(s.port).get("/hello").body() == "hello http");
  s.server.stop(1s);
  CHECK(s.server.metrics().snapshot().tls_handshake_failures == 1);
  fs::remove_all(dir);
}
