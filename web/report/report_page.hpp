// The metrics report as one HTML page with charts drawn on the server as
// inline SVG (no script, no external assets): the page the ops console
// serves at /console/report and `botwarden-notifier report --format html`
// writes. Every drawn value carries data-value (and a <title>), every figure
// row data-figure, so tests read the page as a user's browser shows it.
#pragma once
#include <string>

#include "notifier/report/report.hpp"

namespace botwarden::web {

std::string render_report_html(const report::Report& report);

}  // namespace botwarden::web
