// The metrics report over HTTP: query string -> period -> report -> HTML /
// JSON / CSV. Nothing here looks at cookies or tokens: the console
// (/console/report, session) and the ops API (/api/v1/report, bearer token)
// authenticate first and then call parse_query() and compute(), each with
// its own error format; handle() is the whole path with plain-text errors.
// Each computation opens its own read-only source.
#pragma once
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "notifier/report/report.hpp"
#include "web/report/report_page.hpp"
#include "web/server/http.hpp"

namespace botwarden::web {

// A longer range is refused: one request must not scan years of history.
inline constexpr std::int64_t kMaxReportDays = 400;

// A refused report query; what() is the one-line reason shown to the user,
// naming the parameter ("from: expected a date (2026-10-01) or an RFC 3339
// time, got 'x'", "period: given more than once").
class ReportQueryError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct ReportQuery {
  report::Period period;
  std::string format;  // one of the formats the caller allows; the first when absent
  // The parameters as given (empty when absent), to fill the period form again.
  std::string from, to, length;
};

class ReportPage {
 public:
  using SourceFactory = std::function<std::unique_ptr<report::ReportSource>()>;
  ReportPage(SourceFactory open_source, report::TimeZone zone, std::function<Micros()> clock);

  // Parameters: from, to, period (day|week|month), format (one of `formats`,
  // default formats[0]); each at most once, nothing else. An empty value is
  // the same as an absent one (a submitted form sends every field). Values
  // are percent-decoded; '+' stays '+', so "+01:00" offsets survive.
  // Throws ReportQueryError, word for word:
  //   "query: not a valid query string (bad percent escape)"
  //   "query: unknown parameter 'x' (from, to, period, format)"
  //   "from: given more than once"
  //   "format: expected html, json or csv"
  //   "period: expected day, week or month"
  //   "period: give to or period, not both"
  //   "from: expected a date (2026-10-01) or an RFC 3339 time, got 'x'"
  //   "to needs from", "to must be after from"
  //   "period longer than 400 days"
  ReportQuery parse_query(std::string_view query, std::span<const std::string_view> formats) const;

  // The report for a period as of now. Throws what the source throws
  // (store::StoreError) when the store cannot be read.
  report::Report compute(const report::Period& period) const;

  // The whole path with plain-text errors: 200 with the page (or JSON/CSV),
  // 400 with the reason and a newline for a bad query.
  Response handle(const Request& request, const RequestContext& context) const;

  const report::TimeZone& zone() const { return zone_; }

 private:
  SourceFactory open_source_;
  report::TimeZone zone_;
  std::function<Micros()> clock_;
};

inline constexpr std::string_view kReportPageFormats[] = {"html", "json", "csv"};
inline constexpr std::string_view kReportApiFormats[] = {"json", "csv"};

// 200 with the report as `format` ("html" drawn by render_report_html with
// `console` chrome when given, "json", "csv"), Cache-Control: no-store.
Response report_response(const Request& request, const report::Report& report, std::string_view format,
                         const ReportConsole* console = nullptr);

}  // namespace botwarden::web
