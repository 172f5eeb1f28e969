// `botwarden-notifier report`: options and run, so main.cpp only wires it.
//   botwarden-notifier report [--from DATE|RFC3339] [--to DATE|RFC3339]
//       [--period day|week|month] [--format json|csv|html|prometheus] [--out FILE]
// Dates are local days in [report] timezone; --to names the last day
// (included); an RFC 3339 --to is excluded. Without --from: the current
// period (default month). Exit codes: 0 written, 1 store or file error,
// 2 bad period or configuration.
#pragma once
#include <CLI/CLI.hpp>

#include <iosfwd>
#include <memory>
#include <string>

namespace botwarden::report {

struct ReportCommand {
  CLI::App* command = nullptr;
  std::string from, to, period, format = "json", out;
};

std::unique_ptr<ReportCommand> add_report_command(CLI::App& app);

// Reads [report] from `config_path`, opens `database` read-only, writes the
// report to --out (or `out`); messages go to `err`.
int run_report_command(const ReportCommand& command, const std::string& config_path, const std::string& database,
                       std::ostream& out, std::ostream& err);

}  // namespace botwarden::report
