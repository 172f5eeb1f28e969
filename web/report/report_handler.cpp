// ReportPage: query -> period -> report -> HTML / JSON / CSV.
#include "report_handler.hpp"

#include <algorithm>
#include <iterator>
#include <optional>

#include "notifier/report/report_format.hpp"

namespace botwarden::web {

namespace {

std::string expected_formats(std::span<const std::string_view> formats) {
  std::string out;
  for (std::size_t i = 0; i < formats.size(); ++i) {
    if (i) out += i + 1 == formats.size() ? " or " : ", ";
    out += formats[i];
  }
  return out;
}

}  // namespace

ReportPage::ReportPage(SourceFactory open_source, report::TimeZone zone, std::function<Micros()> clock)
    : open_source_(std::move(open_source)), zone_(std::move(zone)), clock_(std::move(clock)) {}

ReportQuery ReportPage::parse_query(std::string_view query, std::span<const std::string_view> formats) const {
  ReportQuery q;
  std::string format;
  bool seen[4] = {false, false, false, false};
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    // '+' is kept: "2026-11-02T00:00:00+01:00" typed into a URL must survive.
    const auto key = percent_decode(item.substr(0, eq), false);
    const auto value = eq == std::string_view::npos ? std::optional<std::string>("") : percent_decode(item.substr(eq + 1), false);
    if (!key || !value) throw ReportQueryError("query: not a valid query string (bad percent escape)");
    std::string* const targets[] = {&q.from, &q.to, &q.length, &format};
    const std::string_view names[] = {"from", "to", "period", "format"};
    const auto index = static_cast<std::size_t>(std::find(std::begin(names), std::end(names), *key) - std::begin(names));
    if (index == std::size(names)) {
      // The name is echoed only when short and printable (it is shown on a page and in logs).
      const bool printable =
          key->size() <= 40 && std::all_of(key->begin(), key->end(), [](char c) { return c > ' ' && c < 127; });
      throw ReportQueryError("query: unknown parameter " + (printable ? "'" + *key + "' " : std::string()) +
                             "(from, to, period, format)");
    }
    if (seen[index]) throw ReportQueryError(*key + ": given more than once");
    seen[index] = true;
    *targets[index] = *value;
  }
  if (format.empty()) format = std::string(formats.front());
  if (std::find(formats.begin(), formats.end(), format) == formats.end()) {
    throw ReportQueryError("format: expected " + expected_formats(formats));
  }
  q.format = format;
  std::optional<report::PeriodLength> length;
  if (!q.length.empty() && !(length = report::parse_period_length(q.length))) {
    throw ReportQueryError("period: expected day, week or month");
  }
  if (length && !q.to.empty()) throw ReportQueryError("period: give to or period, not both");
  try {
    q.period = report::make_period(q.from, q.to, length, zone_, clock_());
  } catch (const report::PeriodError& e) {
    std::string message = e.what();
    if (message.rfind("--", 0) == 0) message.erase(0, 2);  // the query says "from", not "--from"
    std::size_t at = 0;
    while ((at = message.find(" --", at)) != std::string::npos) message.erase(at + 1, 2);
    throw ReportQueryError(message);
  }
  if (q.period.to - q.period.from > kMaxReportDays * 86400 * kMicrosPerSecond) {
    throw ReportQueryError("period longer than " + std::to_string(kMaxReportDays) + " days");
  }
  return q;
}

report::Report ReportPage::compute(const report::Period& period) const {
  const auto source = open_source_();
  return report::compute_report(*source, period, zone_, clock_());
}

Response ReportPage::handle(const Request& request, const RequestContext& context) const {
  ReportQuery query;
  try {
    query = parse_query(context.query, kReportPageFormats);
  } catch (const ReportQueryError& e) {
    return make_response(request, Status::bad_request, std::string(e.what()) + "\n");
  }
  return report_response(request, compute(query.period), query.format);
}

Response report_response(const Request& request, const report::Report& report, std::string_view format,
                         const ReportConsole* console) {
  Response response;
  if (format == "json") {
    response = make_response(request, Status::ok, report::to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", "application/json");
  } else if (format == "csv") {
    response = make_response(request, Status::ok, report::to_csv(report), "text/csv; charset=utf-8");
  } else {
    response = make_response(request, Status::ok, render_report_html(report, console), "text/html; charset=utf-8");
  }
  response.set(beast_http::field::cache_control, "no-store");
  return response;
}

}  // namespace botwarden::web
