// The HTTP(S) server: accepts on every configured endpoint, reads requests
// with header/body limits and timeouts, runs Router::handle on a handler
// thread pool (handlers may block; the I/O thread never does), adds the
// security headers, writes an access-log line per request and keeps
// ServerMetrics. Graceful stop: stop accepting, close idle keep-alive
// connections, let in-flight requests finish within the grace period.
//
//   auto metrics = std::make_shared<web::ServerMetrics>();
//   web::Router router = build_routes(metrics);      // /metrics can print metrics->snapshot()
//   web::Server server(web::load_web_config(file), std::move(router), metrics);
//   server.start();                 // binds or throws std::runtime_error naming the endpoint
//   server.run_until_signal();      // SIGINT/SIGTERM -> graceful stop
#pragma once
#include <chrono>
#include <memory>
#include <vector>

#include "web/server/metrics.hpp"
#include "web/server/router.hpp"
#include "web/server/web_config.hpp"

namespace botwarden::web {

// Set on every response unless the handler set the field itself.
inline constexpr std::string_view kDefaultContentSecurityPolicy =
    "default-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

class Server {
 public:
  Server(WebConfig config, Router router, std::shared_ptr<ServerMetrics> metrics = nullptr);
  ~Server();  // stop() with no grace if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every endpoint and starts the I/O thread and the handler pool.
  // Throws std::runtime_error ("web: cannot listen on 127.0.0.1:8080: Address
  // already in use", "web: tls_certificate '/x.pem': ...") and leaves nothing running.
  void start();
  // The endpoints as bound (port 0 replaced by the port the kernel chose), in config order.
  std::vector<ListenEndpoint> bound_endpoints() const;
  // Graceful stop, idempotent; call from any thread but a handler.
  void stop(std::chrono::milliseconds grace);
  void stop();  // with WebConfig::shutdown_grace_seconds
  // Blocks until SIGINT or SIGTERM arrives or stop() is called elsewhere; then stops gracefully.
  void run_until_signal();
  bool running() const;

  ServerMetrics& metrics();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace botwarden::web
