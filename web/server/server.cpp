// Boost.Beast server with C++20 coroutines, after Beast's
// example/advanced/server-flex-awaitable: one I/O thread runs every accept
// loop and session (so session state needs no locks), handlers run on a
// thread pool, limits and timeouts sit where they act.
#include "web/server/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace botwarden::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

namespace {

IpAddress to_ip(const asio::ip::address& a) {
  if (a.is_v4()) return IpAddress::v4(a.to_v4().to_uint());
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return IpAddress::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
  const auto bytes = v6.to_bytes();
  return IpAddress::v6_bytes(bytes.data());
}

asio::ip::address to_asio(const IpAddress& a) {
  if (a.is_v4()) return asio::ip::address_v4(a.v4_host_order());
  asio::ip::address_v6::bytes_type bytes;
  std::copy(a.bytes.begin(), a.bytes.end(), bytes.begin());
  return asio::ip::address_v6(bytes);
}

// Request targets are attacker-controlled: keep the access log one line of printable text.
std::string loggable(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s.substr(0, 512)) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x21 || b >= 0x7F || c == '"' || c == '\\') {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    } else {
      out += c;
    }
  }
  if (s.size() > 512) out += "...";
  return out;
}

void add_security_headers(Response& r) {
  auto set_default = [&](std::string_view name, std::string_view v) {
    if (r.find(name) == r.end()) r.set(name, v);
  };
  set_default("X-Content-Type-Options", "nosniff");
  set_default("X-Frame-Options", "DENY");
  set_default("Referrer-Policy", "no-referrer");
  set_default("Content-Security-Policy", kDefaultContentSecurityPolicy);
  set_default("Server", "botwarden");
}

}  // namespace

struct Server::Impl {
  struct Connection {
    std::function<void()> close;  // closes the socket (runs on the I/O thread)
    bool idle = true;             // waiting for a request that has not started
  };

  WebConfig config;
  Router router;
  std::shared_ptr<ServerMetrics> metrics;
  PrefixSet trusted_proxies;

  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<asio::thread_pool> handlers;
  std::optional<ssl::context> tls;
  std::vector<tcp::acceptor> acceptors;
  std::vector<ListenEndpoint> bound;
  std::thread io_thread;

  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> next_request_id{1};
  std::unordered_map<std::uint64_t, Connection*> connections;  // I/O thread only
  std::uint64_t next_connection_id = 1;                          // I/O thread only

  std::mutex mutex;  // guards the fields below
  std::condition_variable changed;
  std::size_t open_connections = 0;
  bool running = false;
  bool stop_requested = false;
  bool signalled = false;  // SIGINT/SIGTERM seen by run_until_signal

  Impl(WebConfig c, Router r, std::shared_ptr<ServerMetrics> m)
      : config(std::move(c)),
        router(std::move(r)),
        metrics(m ? std::move(m) : std::make_shared<ServerMetrics>()),
        trusted_proxies(config.trusted_proxies) {}

  void setup_tls() {
    tls.emplace(ssl::context::tls_server);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    boost::system::error_code ec;
    tls->use_certificate_chain_file(config.tls_certificate, ec);
    if (ec) throw std::runtime_error("web: tls_certificate '" + config.tls_certificate + "': " + ec.message());
    tls->use_private_key_file(config.tls_private_key, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("web: tls_private_key '" + config.tls_private_key + "': " + ec.message());
  }

  void bind() {
    for (const auto& e : config.listen) {
      const tcp::endpoint endpoint(to_asio(e.address), e.port);
      tcp::acceptor acceptor(ioc);
      boost::system::error_code ec;
      acceptor.open(endpoint.protocol(), ec);
      if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
      if (!ec) acceptor.bind(endpoint, ec);
      if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) throw std::runtime_error("web: cannot listen on " + e.to_string() + ": " + ec.message());
      ListenEndpoint b = e;
      b.port = acceptor.local_endpoint().port();
      bound.push_back(b);
      acceptors.push_back(std::move(acceptor));
    }
  }

  awaitable<void> accept_loop(std::size_t index) {
    auto& acceptor = acceptors[index];
    const bool is_tls = bound[index].tls;
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kAwait);
      if (stopping) co_return;
      if (ec) {
        // EMFILE and friends: log, breathe, go on. Never spin.
        spdlog::warn("web: accept on {} failed: {}", bound[index].to_string(), ec.message());
        asio::steady_timer pause(ioc, std::chrono::milliseconds(100));
        co_await pause.async_wait(kAwait);
        continue;
      }
      {
        std::lock_guard lock(mutex);
        ++open_connections;
      }
      metrics->connection_opened();
      asio::co_spawn(ioc, connection(std::move(socket), is_tls), asio::detached);
    }
  }

  awaitable<void> connection(tcp::socket socket, bool is_tls) {
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    const IpAddress peer = ec ? IpAddress{} : to_ip(remote.address());
    const std::uint16_t peer_port = ec ? 0 : remote.port();
    Connection self;
    const std::uint64_t id = next_connection_id++;
    connections.emplace(id, &self);
    try {
      if (is_tls) {
        ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
        auto& tcp_layer = beast::get_lowest_layer(stream);
        self.close = [&tcp_layer] { tcp_layer.socket().close(); };
        if (!stopping) {
          tcp_layer.expires_after(std::chrono::seconds(config.read_timeout_seconds));
          auto [hs] = co_await stream.async_handshake(ssl::stream_base::server, kAwait);
          if (hs) {
            metrics->tls_handshake_failed();
            spdlog::debug("web: TLS handshake with {} failed: {}", peer.to_string(), hs.message());
          } else {
            co_await serve(stream, tcp_layer, self, peer, peer_port, true);
            tcp_layer.expires_after(std::chrono::seconds(2));
            co_await stream.async_shutdown(kAwait);
          }
        }
      } else {
        beast::tcp_stream stream(std::move(socket));
        self.close = [&stream] { stream.socket().close(); };
        co_await serve(stream, stream, self, peer, peer_port, false);
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      }
    } catch (const std::exception& e) {
      spdlog::error("web: connection from {} failed: {}", peer.to_string(), e.what());
    }
    connections.erase(id);
    metrics->connection_closed();
    {
      std::lock_guard lock(mutex);
      --open_connections;
    }
    changed.notify_all();
  }

  template <class Stream>
  awaitable<void> write_error(Stream& stream, beast::tcp_stream& tcp_layer, unsigned version, Status status,
                              const IpAddress& peer, Micros started) {
    Request request;
    request.version(version);
    auto response = make_error(request, status);
    response.keep_alive(false);
    add_security_headers(response);
    tcp_layer.expires_after(std::chrono::seconds(config.write_timeout_seconds));
    co_await bhttp::async_write(stream, response, kAwait);
    metrics->request_done(static_cast<unsigned>(status), wall_clock_now() - started);
    spdlog::info("{} - \"-\" {} rejected", peer.to_string(), static_cast<unsigned>(status));
  }

  template <class Stream>
  awaitable<void> serve(Stream& stream, beast::tcp_stream& tcp_layer, Connection& self, const IpAddress& peer,
                        std::uint16_t peer_port, bool is_tls) {
    beast::flat_buffer buffer;
    for (;;) {
      if (stopping) co_return;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(config.header_limit_bytes));  // 431 beyond
      self.idle = buffer.size() == 0;
      tcp_layer.expires_after(std::chrono::seconds(config.read_timeout_seconds));  // slow or idle clients
      auto [ec, bytes] = co_await bhttp::async_read_header(stream, buffer, parser, kAwait);
      self.idle = false;
      const Micros started = wall_clock_now();
      if (ec) {
        const bool partial = parser.got_some();
        if (ec == bhttp::error::header_limit) {
          metrics->header_too_large();
          co_await write_error(stream, tcp_layer, 11, Status::request_header_fields_too_large, peer, started);
        } else if (ec == beast::error::timeout) {
          // tcp_stream has closed the socket: no 408 can be sent, only counted.
          metrics->timed_out();
          spdlog::info("{} - read timeout after {} s{}", peer.to_string(), config.read_timeout_seconds,
                       partial ? " in a request" : " (idle)");
        } else if (partial && ec != bhttp::error::end_of_stream && ec != asio::error::operation_aborted &&
                   ec != asio::error::bad_descriptor) {
          metrics->bad_request();
          co_await write_error(stream, tcp_layer, 11, Status::bad_request, peer, started);
        }
        co_return;
      }
      const unsigned version = parser.get().version();
      const auto [path, query] = split_target(parser.get().target());
      const auto limit = router.body_limit(parser.get().method(), path, config.body_limit_bytes);
      if (parser.content_length() && *parser.content_length() > limit) {
        metrics->body_too_large();
        co_await write_error(stream, tcp_layer, version, Status::payload_too_large, peer, started);
        co_return;
      }
      parser.body_limit(limit);  // chunked bodies are cut here
      if (!parser.is_done()) {
        if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
          bhttp::response<bhttp::empty_body> go_on{Status::continue_, version};
          tcp_layer.expires_after(std::chrono::seconds(config.write_timeout_seconds));
          auto [wec, wn] = co_await bhttp::async_write(stream, go_on, kAwait);
          if (wec) co_return;
        }
        tcp_layer.expires_after(std::chrono::seconds(config.read_timeout_seconds));
        auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kAwait);
        if (bec == bhttp::error::body_limit) {
          metrics->body_too_large();
          co_await write_error(stream, tcp_layer, version, Status::payload_too_large, peer, started);
          co_return;
        }
        if (bec == beast::error::timeout) {  // the socket is closed already
          metrics->timed_out();
          spdlog::info("{} - read timeout after {} s in a request body", peer.to_string(), config.read_timeout_seconds);
          co_return;
        }
        if (bec) {
          if (bec != bhttp::error::end_of_stream && bec != bhttp::error::partial_message) {
            metrics->bad_request();
            co_await write_error(stream, tcp_layer, version, Status::bad_request, peer, started);
          }
          co_return;
        }
      }
      Request request = parser.release();
      RequestContext context;
      context.peer = peer;
      context.peer_port = peer_port;
      context.tls = is_tls;
      context.request_id = next_request_id++;
      context.received_at = started;
      std::tie(context.path, context.query) = split_target(request.target());
      context.client = client_address(peer, request["X-Forwarded-For"], trusted_proxies);

      // Handlers may block: run them on the pool, resume here when done.
      Response response = co_await asio::co_spawn(
          handlers->get_executor(),
          [&]() -> awaitable<Response> { co_return router.handle(request, context); }, asio::use_awaitable);
      add_security_headers(response);
      response.set("X-Request-Id", std::to_string(context.request_id));
      if (stopping || !request.keep_alive()) response.keep_alive(false);
      const bool keep_alive = response.keep_alive();
      const auto status = response.result_int();
      const auto body_bytes = response.body().size();

      tcp_layer.expires_after(std::chrono::seconds(config.write_timeout_seconds));
      boost::system::error_code wec;
      if (request.method() == Verb::head) {
        // Same header, Content-Length of the GET body, no body (RFC 9110 §9.3.2).
        response.prepare_payload();
        bhttp::response<bhttp::empty_body> head{std::move(response.base())};
        std::tie(wec, std::ignore) = co_await bhttp::async_write(stream, head, kAwait);
      } else {
        std::tie(wec, std::ignore) = co_await bhttp::async_write(stream, response, kAwait);
      }
      const Micros latency = wall_clock_now() - started;
      metrics->request_done(status, latency);
      spdlog::info("{} {} \"{} {}\" {} {} {:.3f}ms id={}{}", context.client.to_string(), is_tls ? "https" : "http",
                   loggable(request.method_string()), loggable(request.target()), status, body_bytes,
                   static_cast<double>(latency) / 1000.0, context.request_id, wec ? " write-failed" : "");
      if (wec || !keep_alive) co_return;
    }
  }

  // Runs on the I/O thread: stop accepting and close connections waiting for a request.
  void begin_stop() {
    stopping = true;
    for (auto& a : acceptors) {
      boost::system::error_code ec;
      a.close(ec);
    }
    for (auto& [id, c] : connections) {
      if (c->idle && c->close) c->close();
    }
  }

  void close_all() {
    for (auto& [id, c] : connections) {
      if (c->close) c->close();
    }
  }
};

Server::Server(WebConfig config, Router router, std::shared_ptr<ServerMetrics> metrics)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(router), std::move(metrics))) {}

Server::~Server() {
  if (running()) stop(std::chrono::milliseconds(0));
}

void Server::start() {
  auto& m = *impl_;
  {
    std::lock_guard lock(m.mutex);
    if (m.running || m.stop_requested) throw std::logic_error("web: a Server starts once");
  }
  if (std::any_of(m.config.listen.begin(), m.config.listen.end(), [](const auto& e) { return e.tls; })) {
    m.setup_tls();
  }
  m.bind();
  m.handlers.emplace(m.config.threads);
  m.work.emplace(m.ioc.get_executor());
  for (std::size_t i = 0; i < m.acceptors.size(); ++i) {
    asio::co_spawn(m.ioc, m.accept_loop(i), asio::detached);
  }
  {
    std::lock_guard lock(m.mutex);
    m.running = true;
  }
  m.io_thread = std::thread([&m] { m.ioc.run(); });
  for (const auto& e : m.bound) {
    spdlog::info("web: listening on {} ({})", e.to_string(), e.tls ? "https" : "http");
  }
}

std::vector<ListenEndpoint> Server::bound_endpoints() const { return impl_->bound; }

bool Server::running() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->running;
}

void Server::stop() { stop(std::chrono::seconds(impl_->config.shutdown_grace_seconds)); }

void Server::stop(std::chrono::milliseconds grace) {
  auto& m = *impl_;
  {
    std::unique_lock lock(m.mutex);
    if (!m.running || m.stop_requested) return;
    m.stop_requested = true;
  }
  m.changed.notify_all();
  asio::post(m.ioc, [&m] { m.begin_stop(); });
  {
    std::unique_lock lock(m.mutex);
    if (!m.changed.wait_for(lock, grace, [&m] { return m.open_connections == 0; })) {
      spdlog::warn("web: {} connections still open after {} ms; closing them", m.open_connections, grace.count());
    }
  }
  asio::post(m.ioc, [&m] { m.close_all(); });
  {
    // Closed sockets end their sessions promptly; give them a moment to unwind.
    std::unique_lock lock(m.mutex);
    m.changed.wait_for(lock, std::chrono::seconds(2), [&m] { return m.open_connections == 0; });
  }
  m.work.reset();
  m.ioc.stop();
  if (m.io_thread.joinable()) m.io_thread.join();
  m.handlers->join();
  {
    std::lock_guard lock(m.mutex);
    m.running = false;
  }
  m.changed.notify_all();
  spdlog::info("web: stopped");
}

void Server::run_until_signal() {
  auto& m = *impl_;
  asio::signal_set signals(m.ioc, SIGINT, SIGTERM);
  signals.async_wait([&m](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("web: signal {} received, stopping", signal);
    {
      std::lock_guard lock(m.mutex);
      m.signalled = true;
    }
    m.changed.notify_all();
  });
  bool signalled = false;
  {
    std::unique_lock lock(m.mutex);
    m.changed.wait(lock, [&m] { return m.signalled || m.stop_requested || !m.running; });
    signalled = m.signalled;
  }
  boost::system::error_code ec;
  signals.cancel(ec);
  if (signalled) {
    stop();
  } else {  // stop() was called elsewhere: wait for it to finish
    std::unique_lock lock(m.mutex);
    m.changed.wait(lock, [&m] { return !m.running; });
  }
}

ServerMetrics& Server::metrics() { return *impl_->metrics; }

}  // namespace botwarden::web
