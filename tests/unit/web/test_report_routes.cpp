// The metrics report on the web: /console/report behind the console login,
// /api/v1/report behind a bearer token, the botwarden_report_* gauges in
// /metrics; all on a store seeded with the known November
// (tests/unit/report/report_history.hpp), through the real Router.
#include <sstream>

#include "../notifier/temp_dir.hpp"
#include "../report/report_history.hpp"
#include "notifier/report/report_format.hpp"
#include "notifier/report/sqlite_report_source.hpp"
#include "web/pages/render.hpp"
#include "web_fixture.hpp"

using namespace botwarden;
using namespace botwarden::web;
using namespace botwarden::web::test;
using botwarden::testing::at;

namespace {

const IpAddress kOffice = *IpAddress::parse("10.1.2.3");
const IpAddress kLoopback = *IpAddress::parse("127.0.0.1");
constexpr std::string_view kToken = "report-token-0123456789abcdef";

std::string seeded(const std::string& path) {
  botwarden::testing::ReportHistory(path).write();
  return path;
}

struct ReportSite {
  botwarden::testing::TempDir dir;
  std::string path = seeded(dir.file("botwarden.db"));
  Micros now = at("2026-11-30T12:00:00Z");
  store::SqliteStore db{path};
  incident::IncidentManager incidents{db, botwarden::testing::ReportHistory::policy()};
  std::function<std::unique_ptr<report::ReportSource>()> open_source = [this] {
    return std::make_unique<report::SqliteReportSource>(path);
  };
  std::shared_ptr<report::MonthGauges> gauges =
      std::make_shared<report::MonthGauges>(open_source, report::TimeZone(), 60 * kMicrosPerSecond);
  Router router;
  Pages pages;

  ReportSite() {
    PagesConfig config;
    config.users.push_back({"vera", Role::viewer, test_hash("viewer-pass")});
    config.api_tokens.push_back({"dashboard", Role::viewer, std::string(kToken)});
    pages = register_pages(router, PagesDeps{db, incidents, std::move(config), [this] { return now; }, nullptr, {},
                                             std::make_shared<ReportPage>(open_source, report::TimeZone(),
                                                                          [this] { return now; }),
                                             gauges});
  }

  Response request(const std::string& target, const IpAddress& client, const std::string& cookie = "",
                   const std::string& authorization = "", Verb verb = Verb::get, const std::string& body = "") {
    Request q{verb, target, 11};
    q.set(beast_http::field::host, "console.isp.example");
    if (!cookie.empty()) q.set(beast_http::field::cookie, cookie);
    if (!authorization.empty()) q.set(beast_http::field::authorization, authorization);
    if (!body.empty()) q.set(beast_http::field::content_type, "application/x-www-form-urlencoded");
    q.body() = body;
    q.prepare_payload();
    RequestContext c;
    c.peer = c.client = client;
    c.received_at = now;
    std::tie(c.path, c.query) = split_target(target);
    return router.handle(q, c);
  }

  // Logs vera in and returns "bw_session=...".
  std::string login() {
    const auto token = csrf_of(request("/console/login", kOffice).body());
    const auto r = request("/console/login", kOffice, "", "", Verb::post,
                           "csrf=" + form_escape(token) + "&name=vera&password=viewer-pass");
    REQUIRE(r.result() == Status::see_other);
    const auto set_cookie = header(r, beast_http::field::set_cookie);
    return set_cookie.substr(0, set_cookie.find(';'));
  }

  // The report JSON computed directly, for the same period and clock.
  nlohmann::json expected_json(const std::string& from, const std::string& to) {
    report::SqliteReportSource source(path);
    const report::TimeZone utc;
    const auto period = report::make_period(from, to, std::nullopt, utc, now);
    return report::to_json(report::compute_report(source, period, utc, now));
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// "name{labels} value" of every sample line of a Prometheus text.
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

}  // namespace

TEST_CASE("the report needs a console session or a bearer token, like every other console page and API route") {
  ReportSite site;
  for (const std::string target : {"/console/report", "/console/report?from=2026-11-01&format=json",
                                   "/console/report?format=csv"}) {
    CAPTURE(target);
    const auto r = site.request(target, kOffice);
    CHECK(r.result() == Status::see_other);
    CHECK(header(r, beast_http::field::location) == "/console/login");
    CHECK_FALSE(contains(r.body(), "subscriber_base"));
  }
  CHECK(site.request("/console/report", kOffice, "bw_session=" + std::string(64, 'a')).result() == Status::see_other);

  const auto anonymous = site.request("/api/v1/report?format=json", kOffice);
  CHECK(anonymous.result() == Status::unauthorized);
  CHECK(anonymous.body() == "{\n  \"error\": \"missing or wrong bearer token\"\n}\n");
  CHECK(header(anonymous, beast_http::field::www_authenticate) == "Bearer");
  CHECK(site.request("/api/v1/report", kOffice, "", "Bearer report-token-0123456789abcdeX").result() ==
        Status::unauthorized);
  // The console's session cookie is not an API credential.
  CHECK(site.request("/api/v1/report", kOffice, site.login()).result() == Status::unauthorized);
}

TEST_CASE("the console report is the report: figures equal the JSON, navigation links both ways") {
  ReportSite site;
  const auto cookie = site.login();
  const auto expected = site.expected_json("2026-11-01", "2026-11-30");
  REQUIRE(expected["subscriber_base"] == 11);  // the known November, not an empty store

  const auto json = site.request("/console/report?from=2026-11-01&to=2026-11-30&format=json", kOffice, cookie);
  REQUIRE(json.result() == Status::ok);
  CHECK(header(json, beast_http::field::content_type) == "application/json");
  CHECK(header(json, beast_http::field::cache_control) == "no-store");
  CHECK(nlohmann::json::parse(json.body()) == expected);

  const auto page = site.request("/console/report?from=2026-11-01&to=2026-11-30", kOffice, cookie);
  REQUIRE(page.result() == Status::ok);
  CHECK(header(page, beast_http::field::cache_control) == "no-store");
  CHECK(header(page, "Content-Security-Policy") == kPageContentSecurityPolicy);
  const auto& html = page.body();
  CHECK(contains(html, "<span>vera (viewer)</span>"));
  CHECK(contains(html, "<nav><a href=\"/console/incidents\">Incidents</a> <a href=\"/console/report\" aria-current=\"page\">Report</a></nav>"));
  CHECK(contains(html, "<input id=\"from\" name=\"from\" value=\"2026-11-01\""));
  CHECK(contains(html, "<a href=\"/console/report?from=2026-11-01&amp;to=2026-11-30&amp;format=json\">JSON</a>"));
  CHECK(contains(html, "<strong data-figure=\"infected_share\" data-value=\"" +
                           report::format_number(expected["infected_share"].get<double>()) + "\">"));
  CHECK(contains(html, "<tr data-figure=\"subscriber_base\" data-label=\"\"><td>subscriber_base</td><td></td>"
                       "<td class=\"value\" data-value=\"11\">11</td>"));
  CHECK(contains(html, "name=\"csrf\" value=\"" + csrf_of(html) + "\""));  // logout works from the report page
  CHECK_FALSE(contains(html, "<script"));

  // Without parameters: this month to date, in the page and as CSV.
  const auto current = site.request("/console/report", kOffice, cookie);
  CHECK(contains(current.body(), "Period 2026-11-01 .. 2026-11-30 (UTC);"));
  const auto csv = site.request("/console/report?period=month&format=csv", kOffice, cookie);
  CHECK(header(csv, beast_http::field::content_type) == "text/csv; charset=utf-8");
  CHECK(csv.body().starts_with("figure,label,value\r\nsubscriber_base,,11\r\n"));

  // The incident list's navigation leads to the report.
  const auto list = site.request("/console/incidents", kOffice, cookie);
  CHECK(contains(list.body(), "<nav><a href=\"/console/incidents\">Incidents</a> <a href=\"/console/report\">Report</a></nav>"));
}

TEST_CASE("bad report parameters get 400 naming the parameter, word for word, in the console and the API") {
  ReportSite site;
  const auto cookie = site.login();
  const std::pair<std::string, std::string> cases[] = {
      {"from=yesterday", "from: expected a date (2026-10-01) or an RFC 3339 time, got 'yesterday'"},
      {"from=2026-11-01&to=31.11.2026", "to: expected a date (2026-10-31) or an RFC 3339 time, got '31.11.2026'"},
      {"from=2026-11-05&to=2026-11-01", "to must be after from"},
      {"to=2026-11-01", "to needs from"},
      {"period=year", "period: expected day, week or month"},
      {"from=2026-11-01&to=2026-11-30&period=week", "period: give to or period, not both"},
      {"from=2026-11-01&from=2026-10-01", "from: given more than once"},
      {"format=json&format=csv", "format: given more than once"},
      {"from=2020-01-01&to=2026-01-01", "period longer than 400 days"},
      {"from=2026-11-01&admin=1", "query: unknown parameter 'admin' (from, to, period, format)"},
      {"from=%zz", "query: not a valid query string (bad percent escape)"},
      {"from=2026-11-0%", "query: not a valid query string (bad percent escape)"},
  };
  for (const auto& refusal : cases) {
    const auto& query = refusal.first;  // named, not bound: clang 14 cannot capture a structured binding
    const auto& message = refusal.second;
    CAPTURE(query);
    const auto api = site.request("/api/v1/report?" + query, kOffice, "", "Bearer " + std::string(kToken));
    CHECK(api.result() == Status::bad_request);
    CHECK(nlohmann::json::parse(api.body()) == nlohmann::json{{"error", message}});
    const auto page = site.request("/console/report?" + query, kOffice, cookie);
    CHECK(page.result() == Status::bad_request);
    std::string escaped;  // as the page escapes it
    for (const char c : message) escaped += c == '\'' ? std::string("&apos;") : std::string(1, c);
    CHECK(contains(page.body(), "<p class=\"error\" role=\"alert\">" + escaped + "</p>"));
    CHECK(contains(page.body(), "<a href=\"/console/report\">This month&apos;s report</a>"));
  }
  // Each side refuses the formats it does not serve.
  const auto pdf = site.request("/console/report?format=pdf", kOffice, cookie);
  CHECK(contains(pdf.body(), "<p class=\"error\" role=\"alert\">format: expected html, json or csv</p>"));
  const auto html = site.request("/api/v1/report?format=html", kOffice, "", "Bearer " + std::string(kToken));
  CHECK(html.body() == "{\n  \"error\": \"format: expected json or csv\"\n}\n");
  // A hostile parameter name is not echoed into the page.
  const auto hostile = site.request("/console/report?%3Cscript%3E=1", kOffice, cookie);
  CHECK(hostile.result() == Status::bad_request);
  CHECK_FALSE(contains(hostile.body(), "<script>"));
  CHECK(contains(hostile.body(), "query: unknown parameter &apos;&lt;script&gt;&apos; (from, to, period, format)"));
  const auto unprintable = site.request("/api/v1/report?a%0Ab=1", kOffice, "", "Bearer " + std::string(kToken));
  CHECK(nlohmann::json::parse(unprintable.body())["error"] == "query: unknown parameter (from, to, period, format)");
}

TEST_CASE("the API report is the report JSON (default) or CSV, with RFC 3339 offsets in the query") {
  ReportSite site;
  const auto auth = "Bearer " + std::string(kToken);
  const auto json = site.request("/api/v1/report?from=2026-11-01&to=2026-11-30", kOffice, "", auth);
  REQUIRE(json.result() == Status::ok);
  CHECK(nlohmann::json::parse(json.body()) == site.expected_json("2026-11-01", "2026-11-30"));
  const auto exact =
      site.request("/api/v1/report?from=2026-11-01T00:00:00%2B01:00&to=2026-11-02T00:00:00+01:00", kOffice, "", auth);
  CHECK(nlohmann::json::parse(exact.body())["period"]["from"] == "2026-10-31T23:00:00Z");
  // Empty values are absent values (a submitted form sends every field).
  const auto form = site.request("/api/v1/report?from=&to=&period=&format=", kOffice, "", auth);
  CHECK(nlohmann::json::parse(form.body())["period"]["label"] == "2026-11-01 .. 2026-11-30 (UTC)");
  const auto csv = site.request("/api/v1/report?from=2026-11-01&format=csv", kOffice, "", auth);
  CHECK(csv.body().starts_with("figure,label,value\r\nsubscriber_base,,11\r\n"));
}

TEST_CASE("/metrics carries the month-to-date report as gauges equal to the JSON report") {
  ReportSite site;
  const auto metrics = site.request("/metrics", kLoopback);
  REQUIRE(metrics.result() == Status::ok);
  const auto& text = metrics.body();
  const auto got = samples(text);
  const auto json = nlohmann::json::parse(
      site.request("/api/v1/report?period=month", kOffice, "", "Bearer " + std::string(kToken)).body());
  REQUIRE(json["period"]["label"] == "2026-11-01 .. 2026-11-30 (UTC)");
  const std::string period = "{period=\"2026-11-01 .. 2026-11-30 (UTC)\"";
  const auto gauge = [&](const std::string& name, const std::string& label = "") {
    const auto it = got.find("botwarden_report_" + name + period + label + "}");
    return it == got.end() ? std::string("(missing)") : it->second;
  };
  const auto number = [](const nlohmann::json& v) { return report::format_number(v.get<double>()); };

  // The figures the brief names, each against the JSON.
  CHECK(gauge("subscriber_base") == "11");
  CHECK(gauge("subscriber_base") == number(json["subscriber_base"]));
  CHECK(gauge("subscribers_detected") == number(json["subscribers_detected"]));
  CHECK(gauge("infected_share") == number(json["infected_share"]));
  CHECK(gauge("notified") == number(json["notified"]));
  CHECK(gauge("notified_share") == number(json["notified_share"]));
  CHECK(gauge("notified_within_24h_share") == number(json["notified_within_24h_share"]));
  CHECK(gauge("time_to_notify_median_seconds") == number(json["time_to_notify"]["median_seconds"]));
  CHECK(gauge("time_to_notify_p90_seconds") == number(json["time_to_notify"]["p90_seconds"]));
  CHECK(gauge("remediated") == number(json["remediated"]));
  for (const auto& item : json["open_incidents"]["by_state"].items()) {
    const std::string state = item.key();
    CAPTURE(state);
    CHECK(gauge("open_incidents_by_state", ",state=\"" + state + "\"") == number(item.value()));
  }
  // A share whose denominator is 0 is null in JSON and has no sample (only HELP/TYPE).
  CHECK(contains(text, "# TYPE botwarden_report_reinfection_rate_30d gauge\n"));
  if (json["reinfection_rate_30d"].is_null()) {
    CHECK(gauge("reinfection_rate_30d") == "(missing)");
  } else {
    CHECK(gauge("reinfection_rate_30d") == number(json["reinfection_rate_30d"]));
  }
  CHECK(contains(text, "# HELP botwarden_report_notified_share notified / notifiable (M3AAWG: share of infected notified) "
                       "(docs/METRICS.md)\n# TYPE botwarden_report_notified_share gauge\n"));

  // Every figure of the report (its CSV) is a gauge with the same value.
  const auto csv = site.request("/api/v1/report?period=month&format=csv", kOffice, "", "Bearer " + std::string(kToken)).body();
  std::istringstream rows(csv);
  std::string row;
  std::getline(rows, row);  // header
  std::size_t compared = 0;
  while (std::getline(rows, row)) {
    if (!row.empty() && row.back() == '\r') row.pop_back();
    if (row.starts_with("daily.")) continue;  // per-day rows are not gauges
    const auto c1 = row.find(','), c2 = row.find(',', c1 + 1);
    std::string name = row.substr(0, c1), label = row.substr(c1 + 1, c2 - c1 - 1), value = row.substr(c2 + 1);
    for (auto& ch : name) ch = ch == '.' ? '_' : ch;
    if (!label.empty()) label = "," + label.substr(0, label.find('=')) + "=\"" + label.substr(label.find('=') + 1) + "\"";
    CAPTURE(row);
    CHECK(gauge(name, label) == (value.empty() ? "(missing)" : value));
    ++compared;
  }
  CHECK(compared > 40);
  // The outbox counts beside them are one COUNT each, equal to listing the rows.
  for (const auto status : {store::NoticeStatus::sent, store::NoticeStatus::failed, store::NoticeStatus::queued}) {
    store::NoticeFilter filter;
    filter.status = status;
    filter.limit = SIZE_MAX;
    const auto listed = site.db.list_notices(filter).size();
    CAPTURE(store::to_string(status));
    CHECK(got.at("botwarden_notices{status=\"" + std::string(store::to_string(status)) + "\"}") == std::to_string(listed));
    if (status == store::NoticeStatus::sent) CHECK(listed > 0);
  }
  CHECK(gauge("computed_timestamp_seconds") == "(missing)");  // no period label on this one
  CHECK(got.at("botwarden_report_computed_timestamp_seconds") == std::to_string(site.now / kMicrosPerSecond));
}

TEST_CASE("the report gauges are cached: a scrape within the cache age does not recompute") {
  ReportSite site;
  const std::string base_11 = "botwarden_report_subscriber_base{period=\"2026-11-01 .. 2026-11-30 (UTC)\"} 11\n";
  CHECK(contains(site.request("/metrics", kLoopback).body(), base_11));
  mapping::Lease late;
  late.prefix = *Prefix::parse("100.64.9.9/32");
  late.start = at("2026-11-01T00:00:00Z");
  late.end = mapping::kOpenEnd;
  late.account = "late";
  late.source = "static";
  late.source_key = "late";
  site.db.upsert_lease(late);
  site.now += 59 * kMicrosPerSecond;
  CHECK(contains(site.request("/metrics", kLoopback).body(), base_11));
  site.now += 1 * kMicrosPerSecond;
  const auto fresh = site.request("/metrics", kLoopback).body();
  CHECK(contains(fresh, "botwarden_report_subscriber_base{period=\"2026-11-01 .. 2026-11-30 (UTC)\"} 12\n"));
  CHECK(contains(fresh, "botwarden_report_computed_timestamp_seconds " + std::to_string(site.now / kMicrosPerSecond) + "\n"));
}
