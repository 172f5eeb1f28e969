// The report's figures for the current month as Prometheus gauges, for
// /metrics. A month's report over a large store takes a second or two, so
// the text is recomputed at most every `max_age`, not on every scrape.
//
//   report::MonthGauges gauges([path] { return std::make_unique<report::SqliteReportSource>(path); },
//                              zone, 300 * kMicrosPerSecond);
//   body += gauges.exposition(now);   // thread-safe
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "notifier/report/report.hpp"

namespace botwarden::report {

class MonthGauges {
 public:
  using SourceFactory = std::function<std::unique_ptr<ReportSource>()>;
  MonthGauges(SourceFactory open_source, TimeZone zone, Micros max_age);

  // botwarden_report_* gauges with period="<this month's label>" (the month
  // to date: a report counts what was recorded before now), then
  // botwarden_report_computed_timestamp_seconds; the text computed at most
  // `max_age` ago (a new month always recomputes).
  // Throws what the source throws (store::StoreError) when it cannot read.
  std::string exposition(Micros now);

 private:
  SourceFactory open_source_;
  TimeZone zone_;
  Micros max_age_;
  std::mutex mutex_;
  std::string text_;
  Micros computed_at_ = 0;
  Micros period_from_ = -1;
};

}  // namespace botwarden::report
