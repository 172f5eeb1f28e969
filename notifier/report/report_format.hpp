// A Report as JSON, CSV and Prometheus text. All three (and the HTML page in
// web/report) list the same figures, from figures() below.
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notifier/report/report.hpp"

namespace botwarden::report {

// One reported number: `name` as in docs/METRICS.md and the JSON (dotted
// for nested objects), optionally one label ("channel" = "email").
struct Figure {
  std::string name;
  std::string label_name;
  std::string label_value;
  std::optional<double> value;  // nullopt: undefined (a share of zero)
  bool is_share = false;        // a ratio 0..1
  std::string_view help;
};
std::vector<Figure> figures(const Report& report);

nlohmann::json to_json(const Report& report);
// "figure,label,value" lines (RFC 4180; labels quoted when needed); an
// undefined share is an empty value. Then "daily,<date>,detections|notices_sent".
std::string to_csv(const Report& report);
// Prometheus text exposition 0.0.4: one gauge per figure,
// botwarden_report_<name with . as _>, label period="<label>".
std::string to_prometheus(const Report& report);

// Shortest text that reads back as the same double ("0.25", "0.3333333333333333");
// whole numbers without an exponent ("1000000").
std::string format_number(double value);

}  // namespace botwarden::report
