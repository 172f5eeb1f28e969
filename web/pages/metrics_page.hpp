// GET /metrics in the Prometheus text exposition format (version 0.0.4):
// incidents by state, walled-garden size, notices by status, events
// (stored, and accepted/duplicate/rejected when the wiring counts them),
// console sessions, and the HTTP server's request counters and latency
// histogram. Only clients in [pages] metrics_from may read it (404 otherwise).
#pragma once
#include <memory>

#include "web/pages/pages.hpp"

namespace botwarden::web {

class Console;

class MetricsPage {
 public:
  MetricsPage(std::shared_ptr<const PagesDeps> deps, std::shared_ptr<const Console> console);
  Response handle(const Request& request, const RequestContext& context) const;
  std::string exposition() const;

 private:
  std::shared_ptr<const PagesDeps> deps_;
  std::shared_ptr<const Console> console_;
  PrefixSet allowed_;
};

}  // namespace botwarden::web
