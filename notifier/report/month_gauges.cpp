// MonthGauges: the current month's report as Prometheus text, cached.
#include "month_gauges.hpp"

#include "notifier/report/report_format.hpp"

namespace botwarden::report {

MonthGauges::MonthGauges(SourceFactory open_source, TimeZone zone, Micros max_age)
    : open_source_(std::move(open_source)), zone_(std::move(zone)), max_age_(max_age) {}

std::string MonthGauges::exposition(Micros now) {
  std::lock_guard lock(mutex_);
  const auto period = make_period("", "", PeriodLength::month, zone_, now);
  if (period.from != period_from_ || now - computed_at_ >= max_age_ || now < computed_at_) {
    const auto source = open_source_();
    text_ = to_prometheus(compute_report(*source, period, zone_, now)) +
            "# HELP botwarden_report_computed_timestamp_seconds When the botwarden_report_* gauges were computed "
            "(Unix time; they are cached).\n"
            "# TYPE botwarden_report_computed_timestamp_seconds gauge\n"
            "botwarden_report_computed_timestamp_seconds " +
            std::to_string(now / kMicrosPerSecond) + "\n";
    computed_at_ = now;
    period_from_ = period.from;
  }
  return text_;
}

}  // namespace botwarden::report
