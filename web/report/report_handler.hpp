// GET /console/report?from=&to=&period=&format=html|json|csv : the metrics
// report for a period. A pure handler for an ALREADY AUTHENTICATED request:
// the console checks the session and then calls handle(); nothing here
// looks at cookies. Each request opens its own read-only source.
#pragma once
#include <functional>
#include <memory>

#include "notifier/report/report.hpp"
#include "web/server/http.hpp"

namespace botwarden::web {

class ReportPage {
 public:
  using SourceFactory = std::function<std::unique_ptr<report::ReportSource>()>;
  ReportPage(SourceFactory open_source, report::TimeZone zone, std::function<Micros()> clock);

  // 200 with the page (or JSON/CSV); 400 with a one-line reason for a bad
  // query ("from: expected a date (2026-10-01) or an RFC 3339 time, got 'x'",
  // "period longer than 400 days"); 500 when the store cannot be read.
  Response handle(const Request& request, const RequestContext& context) const;

 private:
  SourceFactory open_source_;
  report::TimeZone zone_;
  std::function<Micros()> clock_;
};

// A longer range is refused: one request must not scan years of history.
inline constexpr std::int64_t kMaxReportDays = 400;

}  // namespace botwarden::web
