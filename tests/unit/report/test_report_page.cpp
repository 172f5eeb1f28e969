// The report page and /console/report handler: the page shows the report's
// figures and draws them, values escaped; bad queries are refused word for word.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>

#include "notifier/report/report_format.hpp"
#include "notifier/report/sqlite_report_source.hpp"
#include "report_history.hpp"
#include "web/report/report_handler.hpp"
#include "web/report/report_page.hpp"
#include "../notifier/temp_dir.hpp"

using namespace botwarden;
using botwarden::testing::at;

namespace {

struct Site {
  botwarden::testing::TempDir dir;
  std::string path = dir.file("botwarden.db");
  web::ReportPage page{[this] { return std::make_unique<report::SqliteReportSource>(path); }, report::TimeZone(),
                       [] { return at("2027-01-31T00:00:00Z"); }};
  Site() {
    botwarden::testing::ReportHistory history(path);
    history.write();
  }
  web::Response get(const std::string& target) {
    web::Request request{web::Verb::get, target, 11};
    web::RequestContext context;
    std::tie(context.path, context.query) = web::split_target(target);
    return page.handle(request, context);
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("the JSON of /console/report is the report's JSON") {
  Site site;
  const auto response = site.get("/console/report?from=2026-11-01&to=2026-11-30&format=json");
  CHECK(response.result() == web::Status::ok);
  CHECK(response[boost::beast::http::field::content_type] == "application/json");
  report::SqliteReportSource source(site.path);
  const report::TimeZone utc;
  const auto period = report::make_period("2026-11-01", "2026-11-30", std::nullopt, utc, at("2027-01-31T00:00:00Z"));
  const auto expected = report::to_json(report::compute_report(source, period, utc, at("2027-01-31T00:00:00Z")));
  CHECK(nlohmann::json::parse(response.body()) == expected);
  // An RFC 3339 offset survives the query string, encoded or not.
  const auto exact = site.get("/console/report?from=2026-11-01T00:00:00%2B01:00&to=2026-11-02T00:00:00+01:00&format=json");
  CHECK(nlohmann::json::parse(exact.body())["period"]["from"] == "2026-10-31T23:00:00Z");
}

TEST_CASE("the HTML page shows every figure and draws the charts with data-value") {
  Site site;
  const auto response = site.get("/console/report?from=2026-11-01&to=2026-11-30");
  CHECK(response.result() == web::Status::ok);
  CHECK(response[boost::beast::http::field::content_type] == "text/html; charset=utf-8");
  const auto& html = response.body();
  CHECK(contains(html, "<p id=\"period\" data-from=\"2026-11-01T00:00:00Z\" data-to=\"2026-12-01T00:00:00Z\">Period 2026-11-01 .. 2026-11-30 (UTC);"));
  CHECK(contains(html, "<strong data-figure=\"infected_share\" data-value=\"0.5454545454545454\">54.55 %</strong>"));
  CHECK(contains(html, "<tr data-figure=\"notified_share\" data-label=\"\"><td>notified_share</td><td></td>"
                       "<td class=\"value\" data-value=\"0.6\">60.00 %</td>"));
  CHECK(contains(html, "<tr data-figure=\"notified_by_channel\" data-label=\"channel=sms\"><td>notified_by_channel</td>"
                       "<td>channel=sms</td><td class=\"value\" data-value=\"1\">1</td>"));
  CHECK(contains(html, "data-series=\"detections\" data-date=\"2026-11-05\" data-value=\"2\""));
  CHECK(contains(html, "<title>2026-11-05: 2 detections</title>"));
  CHECK(contains(html, "data-series=\"notices_sent\" data-date=\"2026-11-02\" data-value=\"1\""));
  CHECK(contains(html, "data-series=\"notified_share\" data-value=\"0.6\" x=\"200\" y=\"10.0\" width=\"300.0\""));
  CHECK(contains(html, "data-series=\"target\" data-value=\"0.99\" x1=\"695.0\""));
  CHECK(contains(html, "data-series=\"time_to_notify\" data-bucket=\"1d-3d\" data-value=\"2\""));
  CHECK(contains(html, "data-series=\"time_to_remediate\" data-bucket=\"1d-3d\" data-value=\"1\""));
  CHECK(contains(html, "<p>4 incidents; median 2.0 h, 90th percentile 25.0 h.</p>"));
  CHECK_FALSE(contains(html, "<script"));
  // One row per figure.
  std::size_t rows = 0;
  for (std::size_t at_ = 0; (at_ = html.find("<tr data-figure=", at_)) != std::string::npos; ++at_) ++rows;
  report::SqliteReportSource source(site.path);
  CHECK(rows == report::figures(report::compute_report(
                                    source, report::make_period("2026-11-01", "2026-11-30", std::nullopt, {}, 0), {},
                                    at("2027-01-31T00:00:00Z")))
                    .size());
}

TEST_CASE("values from the store are escaped in the page") {
  botwarden::testing::TempDir dir;
  const auto path = dir.file("db");
  {
    store::SqliteStore db(path);
    incident::IncidentManager manager(db, {});
    const Micros t = at("2026-11-03T00:00:00Z");
    manager.on_detection({"00000000000000000000000000000001", "192.0.2.1", std::nullopt, "<script>alert(1)</script>", t, false}, t);
  }
  report::SqliteReportSource source(path);
  const auto r = report::compute_report(source, report::make_period("2026-11-01", "", std::nullopt, {}, 0), {}, 0);
  const auto html = web::render_report_html(r);
  CHECK_FALSE(contains(html, "<script>"));
  CHECK(contains(html, "data-label=\"detector=&lt;script&gt;alert(1)&lt;/script&gt;\""));
}

TEST_CASE("bad report queries are refused word for word") {
  Site site;
  const auto refused = [&](const std::string& query) {
    const auto response = site.get("/console/report?" + query);
    CHECK(response.result() == web::Status::bad_request);
    return response.body();
  };
  CHECK(refused("from=yesterday") == "from: expected a date (2026-10-01) or an RFC 3339 time, got 'yesterday'\n");
  CHECK(refused("from=2026-11-05&to=2026-11-01") == "to must be after from\n");
  CHECK(refused("to=2026-11-01") == "to needs from\n");
  CHECK(refused("format=pdf") == "format: expected html, json or csv\n");
  CHECK(refused("period=year") == "period: expected day, week or month\n");
  CHECK(refused("from=2020-01-01&to=2026-01-01") == "period longer than 400 days\n");
  CHECK(refused("from=2026-11-01&admin=1") == "query: unknown parameter 'admin' (from, to, period, format)\n");
}

TEST_CASE("the report query parser never reads past its input: every prefix, and random bytes") {
  const web::ReportPage page{[]() -> std::unique_ptr<report::ReportSource> { return nullptr; }, report::TimeZone(),
                             [] { return at("2026-11-20T00:00:00Z"); }};
  const auto parse = [&](std::string_view text) -> std::string {
    // An allocation of exactly the query's size: a read past it is an ASan report.
    const auto copy = std::make_unique<char[]>(std::max<std::size_t>(1, text.size()));
    std::copy(text.begin(), text.end(), copy.get());
    try {
      return page.parse_query(std::string_view(copy.get(), text.size()), web::kReportPageFormats).period.label;
    } catch (const web::ReportQueryError& e) {
      return e.what();
    }
  };
  const std::string query = "from=2026-11-01T00:00:00%2B01:00&to=&period=week&format=json&x=%4";
  for (std::size_t n = 0; n <= query.size(); ++n) {
    CAPTURE(n);
    const auto result = parse(std::string_view(query).substr(0, n));
    CHECK_FALSE(result.empty());
  }
  CHECK(parse(query) == "query: not a valid query string (bad percent escape)");
  CHECK(parse(query.substr(0, query.find("&x="))) == "2026-10-31T23:00:00Z .. 2026-11-07T23:00:00Z");
  // Calendar extremes give a period or a reason, never overflow (UBSan watches).
  CHECK(parse("from=0001-01-01") == "0001-01-01 .. 0001-01-31 (UTC)");
  CHECK(parse("from=9999-12-31&period=day") == "9999-12-31 .. 9999-12-31 (UTC)");
  CHECK(parse("from=9999-12-31") == "9999-12-31 .. 10000-01-30 (UTC)");
  CHECK(parse("from=1970-01-01T00:00:00-23:59&to=1970-01-01T23:59:00Z") == "to must be after from");
  CHECK(parse("from=1970-01-01T00:00:00-23:59&to=1970-01-02T00:00:00Z") == "1970-01-01T23:59:00Z .. 1970-01-02T00:00:00Z");
  CHECK(parse("from=2026-02-30") == "from: expected a date (2026-10-01) or an RFC 3339 time, got '2026-02-30'");
  std::uint32_t seed = 12345;
  const auto next = [&seed] { return seed = seed * 1664525u + 1013904223u; };
  constexpr std::string_view alphabet = "fromtpeida=&%+-:0123456789Tz\x01\xff";
  for (int round = 0; round < 2000; ++round) {
    std::string text(next() % 48, ' ');
    for (auto& c : text) c = alphabet[next() % alphabet.size()];
    CAPTURE(text);
    CHECK_FALSE(parse(text).empty());
  }
}
