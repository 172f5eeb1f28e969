// The report subcommand: period from the command line, figures from the
// store (read-only), output in the asked format.
#include "report_command.hpp"

#include <chrono>
#include <fstream>
#include <ostream>

#include "notifier/report/report_config.hpp"
#include "notifier/report/report_format.hpp"
#include "notifier/report/sqlite_report_source.hpp"
#include "web/report/report_page.hpp"

namespace botwarden::report {

namespace {
constexpr int kOk = 0, kFailed = 1, kUsage = 2;

}  // namespace

std::unique_ptr<ReportCommand> add_report_command(CLI::App& app) {
  auto c = std::make_unique<ReportCommand>();
  c->command = app.add_subcommand("report", "M3AAWG/CSRIC bot metrics for a period (docs/METRICS.md)");
  c->command->add_option("--from", c->from, "first day (2026-10-01, local in [report] timezone) or RFC 3339 time");
  c->command->add_option("--to", c->to, "last day, included (2026-10-31), or RFC 3339 time, excluded");
  c->command->add_option("--period", c->period, "length when --to is absent (default month)")
      ->check(CLI::IsMember({"day", "week", "month"}));
  c->command->add_option("--format", c->format, "json (default), csv, html or prometheus")
      ->check(CLI::IsMember({"json", "csv", "html", "prometheus"}));
  c->command->add_option("--out", c->out, "write to this file instead of standard output");
  return c;
}

int run_report_command(const ReportCommand& c, const std::string& config_path, const std::string& database,
                       std::ostream& out, std::ostream& err) {
  ReportConfig config;
  Period period;
  const Micros now = wall_clock_now();
  try {
    config = load_report_config(ConfigFile::load(config_path));
    period = make_period(c.from, c.to, parse_period_length(c.period), config.zone, now);
  } catch (const ConfigError& e) {
    err << "botwarden-notifier: " << e.what() << "\n";
    return kUsage;
  } catch (const PeriodError& e) {
    err << "botwarden-notifier: report: " << e.what() << "\n";
    return kUsage;
  }
  std::string text;
  try {
    SqliteReportSource source(database);
    const auto report = compute_report(source, period, config.zone, now);
    if (c.format == "csv") text = to_csv(report);
    else if (c.format == "html") text = web::render_report_html(report);
    else if (c.format == "prometheus") text = to_prometheus(report);
    else text = to_json(report).dump(2) + "\n";
  } catch (const std::exception& e) {
    err << "botwarden-notifier: report: " << e.what() << "\n";
    return kFailed;
  }
  if (c.out.empty()) {
    out << text;
    return out ? kOk : kFailed;
  }
  std::ofstream file(c.out, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    err << "botwarden-notifier: report: " << c.out << ": cannot write file\n";
    return kFailed;
  }
  return kOk;
}

}  // namespace botwarden::report
