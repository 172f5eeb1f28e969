// Report -> JSON / CSV / Prometheus text, all from one list of figures.
#include "report_format.hpp"

#include <charconv>
#include <cmath>

namespace botwarden::report {

namespace {

std::optional<double> count(std::int64_t v) { return static_cast<double>(v); }
std::optional<double> seconds(const std::optional<std::int64_t>& v) {
  return v ? std::optional(static_cast<double>(*v)) : std::nullopt;
}

void add_distribution(std::vector<Figure>& out, const std::string& name, const Distribution& d,
                      std::string_view what) {
  out.push_back({name + ".count", "", "", count(d.count), false, what});
  out.push_back({name + ".median_seconds", "", "", seconds(d.median_seconds), false, "median (nearest rank), seconds"});
  out.push_back({name + ".p90_seconds", "", "", seconds(d.p90_seconds), false, "90th percentile (nearest rank), seconds"});
  for (std::size_t i = 0; i < d.histogram.size(); ++i) {
    out.push_back({name + ".histogram", "bucket", std::string(kDurationBucketLabels[i]), count(d.histogram[i]), false,
                   "incidents per duration bucket"});
  }
}

nlohmann::json share_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }
nlohmann::json seconds_json(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json distribution_json(const Distribution& d) {
  nlohmann::json histogram = nlohmann::json::object();
  for (std::size_t i = 0; i < d.histogram.size(); ++i) histogram[std::string(kDurationBucketLabels[i])] = d.histogram[i];
  return {{"count", d.count},
          {"median_seconds", seconds_json(d.median_seconds)},
          {"p90_seconds", seconds_json(d.p90_seconds)},
          {"histogram", histogram}};
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Prometheus label value escaping: backslash, double quote, line feed.
std::string label_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// Label names must match [a-zA-Z_][a-zA-Z0-9_]*; metric names likewise with ':'.
std::string metric_name(std::string_view figure) {
  std::string out = "botwarden_report_";
  for (const char c : figure) out += (c == '.' ? '_' : c);
  return out;
}

}  // namespace

std::string format_number(double value) {
  // A count of a million is "1000000", not to_chars' shorter "1e+06" (CSV
  // and the page are read by people; 2^53 keeps every such value exact).
  if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
    return std::to_string(static_cast<std::int64_t>(value));
  }
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::string("NaN");
}

std::vector<Figure> figures(const Report& r) {
  std::vector<Figure> out;
  const auto add = [&](std::string name, std::optional<double> v, std::string_view help, bool is_share = false) {
    out.push_back({std::move(name), "", "", v, is_share, help});
  };
  add("subscriber_base", count(r.subscriber_base), "accounts holding a lease that overlaps the period");
  add("subscribers_detected", count(r.subscribers_detected), "subscribers with a detection in the period");
  add("attributed", count(r.attributed), "detected subscribers mapped to an account");
  add("unattributed", count(r.unattributed), "detected addresses/prefixes no lease mapped to an account");
  add("infected_share", r.infected_share, "attributed / subscriber_base (M3AAWG: share of subscribers infected)", true);
  for (const auto& [detector, n] : r.detected_by_detector) {
    out.push_back({"detected_by_detector", "detector", detector, count(n), false, "detected subscribers per detector"});
  }
  add("exempt", count(r.exempt), "detected subscribers exempt from notices");
  add("notifiable", count(r.notifiable), "attributed, not exempt detected subscribers");
  add("notified", count(r.notified), "detected subscribers sent at least one notice");
  for (const auto& [channel, n] : r.notified_by_channel) {
    out.push_back({"notified_by_channel", "channel", channel, count(n), false, "notified subscribers per channel"});
  }
  add("notified_share", r.notified_share, "notified / notifiable (M3AAWG: share of infected notified)", true);
  add("notified_within_24h", count(r.notified_within_24h), "subscribers notified within 24 h of first detection");
  add("notified_within_24h_share", r.notified_within_24h_share, "notified_within_24h / notifiable", true);
  add("notice_failed", count(r.notice_failed), "subscribers whose notices failed and none was sent");
  add_distribution(out, "time_to_notify", r.time_to_notify, "incidents notified (first detection to first notice)");
  add("walled", count(r.walled), "detected subscribers put in the walled garden");
  add("acknowledged", count(r.acknowledged), "detected subscribers released (self or operator)");
  add("remediated", count(r.remediated), "detected subscribers resolved after a quiet monitoring period");
  add("remediated_share", r.remediated_share, "remediated / subscribers_detected", true);
  add_distribution(out, "time_to_remediate", r.time_to_remediate, "incidents remediated (first detection to release)");
  add("resolved", count(r.resolved), "subscribers with an incident resolved in the period");
  add("reinfected_30d", count(r.reinfected_30d), "of resolved: re-detected within 30 days of resolution");
  add("reinfected_90d", count(r.reinfected_90d), "of resolved: re-detected within 90 days of resolution");
  add("reinfection_rate_30d", r.reinfection_rate_30d, "reinfected_30d / resolved", true);
  add("reinfection_rate_90d", r.reinfection_rate_90d, "reinfected_90d / resolved", true);
  add("self_releases", count(r.self_releases), "subscriber self-releases in the period");
  add("escalations", count(r.escalations), "incidents escalated to an operator in the period");
  add("open_incidents.total", count(r.open_total), "incidents open at the end of the period");
  for (const auto& [state, n] : r.open_by_state) {
    out.push_back({"open_incidents.by_state", "state", state, count(n), false, "open incidents per state"});
  }
  for (std::size_t i = 0; i < r.open_by_age.size(); ++i) {
    out.push_back({"open_incidents.by_age", "age", std::string(kAgeBucketLabels[i]), count(r.open_by_age[i]), false,
                   "open incidents per age (since opened)"});
  }
  return out;
}

nlohmann::json to_json(const Report& r) {
  nlohmann::json j;
  j["period"] = {{"from", format_rfc3339(r.period.from)},
                 {"to", format_rfc3339(r.period.to)},
                 {"label", r.period.label},
                 {"timezone", r.timezone}};
  j["generated_at"] = format_rfc3339(r.generated_at);
  j["subscriber_base"] = r.subscriber_base;
  j["subscribers_detected"] = r.subscribers_detected;
  j["attributed"] = r.attributed;
  j["unattributed"] = r.unattributed;
  j["infected_share"] = share_json(r.infected_share);
  j["detected_by_detector"] = r.detected_by_detector;
  j["exempt"] = r.exempt;
  j["notifiable"] = r.notifiable;
  j["notified"] = r.notified;
  j["notified_by_channel"] = r.notified_by_channel;
  j["notified_share"] = share_json(r.notified_share);
  j["notified_within_24h"] = r.notified_within_24h;
  j["notified_within_24h_share"] = share_json(r.notified_within_24h_share);
  j["notice_failed"] = r.notice_failed;
  j["time_to_notify"] = distribution_json(r.time_to_notify);
  j["walled"] = r.walled;
  j["acknowledged"] = r.acknowledged;
  j["remediated"] = r.remediated;
  j["remediated_share"] = share_json(r.remediated_share);
  j["time_to_remediate"] = distribution_json(r.time_to_remediate);
  j["resolved"] = r.resolved;
  j["reinfected_30d"] = r.reinfected_30d;
  j["reinfected_90d"] = r.reinfected_90d;
  j["reinfection_rate_30d"] = share_json(r.reinfection_rate_30d);
  j["reinfection_rate_90d"] = share_json(r.reinfection_rate_90d);
  j["self_releases"] = r.self_releases;
  j["escalations"] = r.escalations;
  nlohmann::json by_age = nlohmann::json::object();
  for (std::size_t i = 0; i < r.open_by_age.size(); ++i) by_age[std::string(kAgeBucketLabels[i])] = r.open_by_age[i];
  j["open_incidents"] = {{"total", r.open_total}, {"by_state", r.open_by_state}, {"by_age", by_age}};
  j["daily"] = nlohmann::json::array();
  for (const auto& d : r.daily) {
    j["daily"].push_back({{"date", d.date}, {"detections", d.detections}, {"notices_sent", d.notices_sent}});
  }
  return j;
}

std::string to_csv(const Report& r) {
  std::string out = "figure,label,value\r\n";
  for (const auto& f : figures(r)) {
    out += csv_field(f.name) + ",";
    if (!f.label_name.empty()) out += csv_field(f.label_name + "=" + f.label_value);
    out += ",";
    if (f.value) out += format_number(*f.value);
    out += "\r\n";
  }
  for (const auto& d : r.daily) {
    out += "daily.detections,date=" + d.date + "," + std::to_string(d.detections) + "\r\n";
    out += "daily.notices_sent,date=" + d.date + "," + std::to_string(d.notices_sent) + "\r\n";
  }
  return out;
}

std::string to_prometheus(const Report& r) {
  std::string out;
  std::string last_name;
  const std::string period = "period=\"" + label_escape(r.period.label) + "\"";
  for (const auto& f : figures(r)) {
    const auto name = metric_name(f.name);
    if (name != last_name) {
      out += "# HELP " + name + " " + std::string(f.help) + " (docs/METRICS.md)\n";
      out += "# TYPE " + name + " gauge\n";
      last_name = name;
    }
    if (!f.value) continue;  // undefined share: no sample
    out += name + "{" + period;
    if (!f.label_name.empty()) out += "," + f.label_name + "=\"" + label_escape(f.label_value) + "\"";
    out += "} " + format_number(*f.value) + "\n";
  }
  return out;
}

}  // namespace botwarden::report
