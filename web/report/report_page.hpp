// The metrics report as one HTML page with charts drawn on the server as
// inline SVG (no script, no external assets): the page the ops console
// serves at /console/report and `botwarden-notifier report --format html`
// writes. Every drawn value carries data-value (and a <title>), every figure
// row data-figure, so tests read the page as a user's browser shows it.
#pragma once
#include <string>
#include <string_view>

#include "notifier/report/report.hpp"

namespace botwarden::web {

// What the ops console adds around the report at /console/report: its bar
// (user, role, the navigation, a logout form carrying the session's CSRF
// token), the stylesheet, a period form filled in with the query as given,
// and links to the same report as JSON and CSV. Every value is escaped.
struct ReportConsole {
  std::string user, role, csrf;
  std::string from, to, length;  // the query's from, to and period ("" when absent)
};

// The standalone page (`report --format html`), or the console's when
// `console` is given.
std::string render_report_html(const report::Report& report, const ReportConsole* console = nullptr);

}  // namespace botwarden::web
