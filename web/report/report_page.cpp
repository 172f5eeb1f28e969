// render_report_html: chart geometry in C++, markup in a mustache template
// (kainjow escapes every value by default).
#include "report_page.hpp"

#include <kainjow/mustache.hpp>

#include <algorithm>
#include <cstdio>

#include "notifier/report/report_format.hpp"

namespace botwarden::web {

namespace {

using kainjow::mustache::data;
using kainjow::mustache::mustache;
using report::format_number;

constexpr const char* kPage = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>botwarden bot metrics report {{label}}</title>
{{#console}}<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="stylesheet" href="/static/botwarden.css">
{{/console}}</head>
<body>
{{#console}}<header class="bar"><span>botwarden console</span>
<nav><a href="/console/incidents">Incidents</a> <a href="/console/report" aria-current="page">Report</a></nav>
<span>{{user}} ({{role}})</span>
<form method="post" action="/console/logout" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Log out</button></form>
</header>
<form method="get" action="/console/report" class="filters">
<label for="from">From</label> <input id="from" name="from" value="{{from}}" placeholder="2026-11-01" size="20">
<label for="to">To (last day)</label> <input id="to" name="to" value="{{to}}" placeholder="2026-11-30" size="20">
<label for="period">Period</label> <select id="period" name="period"><option value="">month, or from .. to</option>
{{#lengths}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/lengths}}</select>
<button type="submit">Show report</button>
</form>
<p class="downloads">The same report as <a href="{{json_link}}">JSON</a> or <a href="{{csv_link}}">CSV</a>.</p>
{{/console}}<h1>Bot metrics report</h1>
<p id="period" data-from="{{from}}" data-to="{{to}}">Period {{label}}; generated {{generated}}. Definitions: docs/METRICS.md (M3AAWG Bot Metrics, CSRIC III WG7).</p>
<h2>Headline (M3AAWG)</h2>
<p>Subscribers identified as infected: <strong data-figure="infected_share" data-value="{{infected_value}}">{{infected_text}}</strong> of a base of {{base}}.
Infected subscribers notified: <strong data-figure="notified_share" data-value="{{notified_value}}">{{notified_text}}</strong>.</p>

<h2>Detections and notices per day</h2>
<svg id="chart-daily" xmlns="http://www.w3.org/2000/svg" width="{{daily_width}}" height="240" viewBox="0 0 {{daily_width}} 240" role="img" aria-label="detections and notices per day">
<line x1="50" y1="200" x2="{{daily_axis_end}}" y2="200" stroke="#333"/>
<line x1="50" y1="20" x2="50" y2="200" stroke="#333"/>
<text x="45" y="24" text-anchor="end" font-size="11">{{daily_max}}</text>
<text x="45" y="204" text-anchor="end" font-size="11">0</text>
{{#daily}}<rect class="bar" data-series="detections" data-date="{{date}}" data-value="{{detections}}" x="{{dx}}" y="{{dy}}" width="{{w}}" height="{{dh}}" fill="#c0392b"><title>{{date}}: {{detections}} detections</title></rect>
<rect class="bar" data-series="notices_sent" data-date="{{date}}" data-value="{{notices}}" x="{{nx}}" y="{{ny}}" width="{{w}}" height="{{nh}}" fill="#2e86c1"><title>{{date}}: {{notices}} notices sent</title></rect>
{{#tick}}<text x="{{dx}}" y="216" font-size="10">{{date}}</text>{{/tick}}
{{/daily}}<rect x="60" y="226" width="10" height="10" fill="#c0392b"/><text x="74" y="235" font-size="11">detection events</text>
<rect x="180" y="226" width="10" height="10" fill="#2e86c1"/><text x="194" y="235" font-size="11">notices sent</text>
</svg>

<h2>Share notified, against the 99 % line</h2>
<svg id="chart-notified" xmlns="http://www.w3.org/2000/svg" width="760" height="110" viewBox="0 0 760 110" role="img" aria-label="notified share">
{{#shares}}<text x="5" y="{{ty}}" font-size="12">{{name}}</text>
<rect x="200" y="{{y}}" width="500" height="22" fill="#eee"/>
{{#defined}}<rect class="bar" data-series="{{series}}" data-value="{{value}}" x="200" y="{{y}}" width="{{w}}" height="22" fill="#27ae60"><title>{{name}}: {{text}}</title></rect>{{/defined}}
<text x="705" y="{{ty}}" font-size="12">{{text}}</text>
{{/shares}}<line class="target" data-series="target" data-value="{{target_value}}" x1="{{target_x}}" y1="5" x2="{{target_x}}" y2="80" stroke="#000" stroke-dasharray="4 3"><title>target: 99 %</title></line>
<text x="{{target_x}}" y="95" text-anchor="middle" font-size="11">99 %</text>
</svg>

{{#histograms}}<h2>{{title}}</h2>
<p>{{count}} incidents; median {{median}}, 90th percentile {{p90}}.</p>
<svg id="{{id}}" xmlns="http://www.w3.org/2000/svg" width="760" height="200" viewBox="0 0 760 200" role="img" aria-label="{{title}}">
<line x1="50" y1="160" x2="740" y2="160" stroke="#333"/>
<text x="45" y="24" text-anchor="end" font-size="11">{{max}}</text>
{{#buckets}}<rect class="bar" data-series="{{series}}" data-bucket="{{bucket}}" data-value="{{value}}" x="{{x}}" y="{{y}}" width="70" height="{{h}}" fill="#8e44ad"><title>{{bucket}}: {{value}}</title></rect>
<text x="{{x}}" y="176" font-size="11">{{bucket}}</text>
{{/buckets}}</svg>
{{/histograms}}
<h2>All figures</h2>
<table id="figures" border="1" cellpadding="4">
<thead><tr><th>figure</th><th>label</th><th>value</th><th>meaning</th></tr></thead>
<tbody>
{{#figures}}<tr data-figure="{{name}}" data-label="{{label}}"><td>{{name}}</td><td>{{label}}</td><td class="value" data-value="{{value}}">{{text}}</td><td>{{help}}</td></tr>
{{/figures}}</tbody>
</table>
</body>
</html>
)html";

// Percent-encodes a query value (RFC 3986 unreserved characters stay).
std::string query_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~' || c == ':') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string fixed(double v) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f", v);
  return out;
}

std::string percent(const std::optional<double>& v) {
  if (!v) return "n/a";
  char out[32];
  std::snprintf(out, sizeof out, "%.2f %%", *v * 100.0);
  return out;
}

std::string duration(const std::optional<std::int64_t>& seconds) {
  if (!seconds) return "n/a";
  const auto s = *seconds;
  char out[48];
  if (s < 3600) std::snprintf(out, sizeof out, "%lld min", static_cast<long long>(s / 60));
  else if (s < 2 * 86400) std::snprintf(out, sizeof out, "%.1f h", static_cast<double>(s) / 3600.0);
  else std::snprintf(out, sizeof out, "%.1f d", static_cast<double>(s) / 86400.0);
  return out;
}

data histogram(const std::string& id, const std::string& series, const std::string& title,
               const report::Distribution& d) {
  data h;
  h.set("id", id);
  h.set("title", title);
  h.set("count", std::to_string(d.count));
  h.set("median", duration(d.median_seconds));
  h.set("p90", duration(d.p90_seconds));
  const auto max = std::max<std::int64_t>(1, *std::max_element(d.histogram.begin(), d.histogram.end()));
  h.set("max", std::to_string(max));
  data buckets = data::type::list;
  for (std::size_t i = 0; i < d.histogram.size(); ++i) {
    const double height = 140.0 * static_cast<double>(d.histogram[i]) / static_cast<double>(max);
    data b;
    b.set("series", series);
    b.set("bucket", std::string(report::kDurationBucketLabels[i]));
    b.set("value", std::to_string(d.histogram[i]));
    b.set("x", fixed(60.0 + static_cast<double>(i) * 85.0));
    b.set("y", fixed(160.0 - height));
    b.set("h", fixed(height));
    buckets.push_back(b);
  }
  h.set("buckets", buckets);
  return h;
}

}  // namespace

std::string render_report_html(const report::Report& r, const ReportConsole* console) {
  data page;
  if (console) {
    data c;
    c.set("user", console->user);
    c.set("role", console->role);
    c.set("csrf", console->csrf);
    c.set("from", console->from);
    c.set("to", console->to);
    data lengths = data::type::list;
    for (const char* name : {"day", "week", "month"}) {
      data item;
      item.set("name", std::string(name));
      item.set("selected", console->length == name);
      lengths.push_back(item);
    }
    c.set("lengths", lengths);
    std::string query;
    for (const auto& [key, value] : {std::pair{"from", &console->from}, std::pair{"to", &console->to},
                                     std::pair{"period", &console->length}}) {
      if (!value->empty()) query += std::string(key) + "=" + query_escape(*value) + "&";
    }
    c.set("json_link", "/console/report?" + query + "format=json");
    c.set("csv_link", "/console/report?" + query + "format=csv");
    page.set("console", c);
  } else {
    page.set("console", false);
  }
  page.set("label", r.period.label);
  page.set("from", format_rfc3339(r.period.from));
  page.set("to", format_rfc3339(r.period.to));
  page.set("generated", format_rfc3339(r.generated_at));
  page.set("base", std::to_string(r.subscriber_base));
  page.set("infected_value", r.infected_share ? format_number(*r.infected_share) : "");
  page.set("infected_text", percent(r.infected_share));
  page.set("notified_value", r.notified_share ? format_number(*r.notified_share) : "");
  page.set("notified_text", percent(r.notified_share));

  // Daily trend: two bars a day, scaled to the largest count.
  const double plot_width = std::max(700.0, 12.0 * static_cast<double>(r.daily.size()));
  const double slot = plot_width / static_cast<double>(std::max<std::size_t>(1, r.daily.size()));
  std::int64_t max = 1;
  for (const auto& d : r.daily) max = std::max({max, d.detections, d.notices_sent});
  page.set("daily_width", fixed(plot_width + 60.0));
  page.set("daily_axis_end", fixed(plot_width + 50.0));
  page.set("daily_max", std::to_string(max));
  data daily = data::type::list;
  const std::size_t tick_every = std::max<std::size_t>(1, r.daily.size() / 6);
  for (std::size_t i = 0; i < r.daily.size(); ++i) {
    const auto& d = r.daily[i];
    const double x = 52.0 + slot * static_cast<double>(i);
    const double w = std::clamp(slot * 0.4, 1.0, 40.0);  // thin bars for long periods, not slabs for short ones
    const double dh = 180.0 * static_cast<double>(d.detections) / static_cast<double>(max);
    const double nh = 180.0 * static_cast<double>(d.notices_sent) / static_cast<double>(max);
    data day;
    day.set("date", d.date);
    day.set("detections", std::to_string(d.detections));
    day.set("notices", std::to_string(d.notices_sent));
    day.set("w", fixed(w));
    day.set("dx", fixed(x));
    day.set("dy", fixed(200.0 - dh));
    day.set("dh", fixed(dh));
    day.set("nx", fixed(x + w));
    day.set("ny", fixed(200.0 - nh));
    day.set("nh", fixed(nh));
    day.set("tick", i % tick_every == 0);
    daily.push_back(day);
  }
  page.set("daily", daily);

  data shares = data::type::list;
  const std::pair<const char*, const std::optional<double>*> share_rows[] = {
      {"notified_share", &r.notified_share}, {"notified_within_24h_share", &r.notified_within_24h_share}};
  double y = 10.0;
  for (const auto& [series, value] : share_rows) {
    data s;
    s.set("name", std::string(series));
    s.set("series", std::string(series));
    s.set("y", fixed(y));
    s.set("ty", fixed(y + 16.0));
    s.set("defined", value->has_value());
    s.set("value", *value ? format_number(**value) : "");
    s.set("w", fixed(500.0 * std::clamp(value->value_or(0.0), 0.0, 1.0)));
    s.set("text", percent(*value));
    shares.push_back(s);
    y += 34.0;
  }
  page.set("shares", shares);
  page.set("target_value", format_number(report::kNotifiedShareTarget));
  page.set("target_x", fixed(200.0 + 500.0 * report::kNotifiedShareTarget));

  data histograms = data::type::list;
  histograms.push_back(histogram("chart-time-to-notify", "time_to_notify", "Time from first detection to first notice",
                                 r.time_to_notify));
  histograms.push_back(histogram("chart-time-to-remediate", "time_to_remediate",
                                 "Time from first detection to remediation (release before a quiet monitoring period)",
                                 r.time_to_remediate));
  page.set("histograms", histograms);

  data rows = data::type::list;
  for (const auto& f : report::figures(r)) {
    data row;
    row.set("name", f.name);
    row.set("label", f.label_name.empty() ? std::string() : f.label_name + "=" + f.label_value);
    row.set("value", f.value ? format_number(*f.value) : "");
    row.set("text", f.is_share ? percent(f.value) : f.value ? format_number(*f.value) : "n/a");
    row.set("help", std::string(f.help));
    rows.push_back(row);
  }
  page.set("figures", rows);
  return mustache(kPage).render(page);
}

}  // namespace botwarden::web
