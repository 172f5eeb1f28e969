// ReportPage: query -> period -> report -> HTML / JSON / CSV.
#include "report_handler.hpp"

#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

#include "notifier/report/report_format.hpp"
#include "web/report/report_page.hpp"

namespace botwarden::web {

ReportPage::ReportPage(SourceFactory open_source, report::TimeZone zone, std::function<Micros()> clock)
    : open_source_(std::move(open_source)), zone_(std::move(zone)), clock_(std::move(clock)) {}

Response ReportPage::handle(const Request& request, const RequestContext& context) const {
  const auto bad = [&](const std::string& why) { return make_response(request, Status::bad_request, why + "\n"); };
  std::string from, to, period, format = "html";
  if (!boost::urls::parse_query(context.query)) return bad("query: not a valid query string");
  // Percent-decoded ("%2B01:00" -> "+01:00"); '+' stays '+' so offsets survive.
  for (const auto& param : boost::urls::params_view(context.query, boost::urls::encoding_opts{})) {
    if (param.key == "from") from = param.value;
    else if (param.key == "to") to = param.value;
    else if (param.key == "period") period = param.value;
    else if (param.key == "format") format = param.value;
    else return bad("query: unknown parameter '" + std::string(param.key) + "' (from, to, period, format)");
  }
  if (format != "html" && format != "json" && format != "csv") return bad("format: expected html, json or csv");
  std::optional<report::PeriodLength> length;
  if (!period.empty() && !(length = report::parse_period_length(period))) {
    return bad("period: expected day, week or month");
  }
  report::Period p;
  const Micros now = clock_();
  try {
    p = report::make_period(from, to, length, zone_, now);
  } catch (const report::PeriodError& e) {
    std::string message = e.what();
    if (message.rfind("--", 0) == 0) message.erase(0, 2);  // the query says "from", not "--from"
    std::size_t at = 0;
    while ((at = message.find(" --", at)) != std::string::npos) message.erase(at + 1, 2);
    return bad(message);
  }
  if (p.to - p.from > kMaxReportDays * 86400 * kMicrosPerSecond) {
    return bad("period longer than " + std::to_string(kMaxReportDays) + " days");
  }
  const auto source = open_source_();
  const auto result = report::compute_report(*source, p, zone_, now);
  if (format == "json") return make_response(request, Status::ok, report::to_json(result).dump(2) + "\n", "application/json");
  if (format == "csv") return make_response(request, Status::ok, report::to_csv(result), "text/csv; charset=utf-8");
  return make_response(request, Status::ok, render_report_html(result), "text/html; charset=utf-8");
}

}  // namespace botwarden::web
