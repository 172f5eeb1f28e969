// The report on a known November: every figure checked against the history
// in report_history.hpp, read back through the read-only SQLite source.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "notifier/report/month_gauges.hpp"
#include "notifier/report/report_config.hpp"
#include "notifier/report/report_format.hpp"
#include "notifier/report/sqlite_report_source.hpp"
#include "report_history.hpp"
#include "../notifier/temp_dir.hpp"

using namespace botwarden;
using namespace botwarden::report;
using botwarden::testing::at;

namespace {

struct Seeded {
  botwarden::testing::TempDir dir;
  std::string path = dir.file("botwarden.db");
  Seeded() {
    botwarden::testing::ReportHistory history(path);
    history.write();
  }
};

Report november(const std::string& path, const TimeZone& zone = TimeZone()) {
  SqliteReportSource source(path);
  const auto period = make_period("2026-11-01", "2026-11-30", std::nullopt, zone, at("2027-01-31T00:00:00Z"));
  return compute_report(source, period, zone, at("2027-01-31T00:00:00Z"));
}

std::int64_t detections_on(const Report& r, const std::string& date) {
  for (const auto& d : r.daily) {
    if (d.date == date) return d.detections;
  }
  FAIL("no day " << date);
  return -1;
}

}  // namespace

TEST_CASE("every figure of the November report matches the hand-worked history") {
  Seeded seeded;
  const auto r = november(seeded.path);

  CHECK(r.period.label == "2026-11-01 .. 2026-11-30 (UTC)");
  CHECK(r.subscriber_base == 11);  // a01..a10 and newbie; not gone
  CHECK(r.subscribers_detected == 8);
  CHECK(r.attributed == 6);
  CHECK(r.unattributed == 2);
  REQUIRE(r.infected_share);
  CHECK(*r.infected_share == doctest::Approx(6.0 / 11.0));
  CHECK(r.detected_by_detector == std::map<std::string, std::int64_t>{{"bad_helo", 5}, {"direct_to_mx", 2}, {"snowshoe", 2}});
  CHECK(r.exempt == 1);
  CHECK(r.notifiable == 5);
  CHECK(r.notified == 3);
  CHECK(r.notified_by_channel == std::map<std::string, std::int64_t>{{"email", 2}, {"sms", 1}});
  CHECK(*r.notified_share == doctest::Approx(0.6));
  CHECK(r.notified_within_24h == 2);
  CHECK(*r.notified_within_24h_share == doctest::Approx(0.4));
  CHECK(r.notice_failed == 1);

  CHECK(r.time_to_notify.count == 4);
  CHECK(r.time_to_notify.median_seconds == 7200);
  CHECK(r.time_to_notify.p90_seconds == 90000);
  CHECK(r.time_to_notify.histogram == std::array<std::int64_t, 8>{1, 1, 0, 2, 0, 0, 0, 0});

  CHECK(r.walled == 1);
  CHECK(r.acknowledged == 2);
  CHECK(r.remediated == 1);
  CHECK(*r.remediated_share == doctest::Approx(0.125));
  CHECK(r.time_to_remediate.count == 1);
  CHECK(r.time_to_remediate.median_seconds == 86400);
  CHECK(r.time_to_remediate.p90_seconds == 86400);
  CHECK(r.time_to_remediate.histogram == std::array<std::int64_t, 8>{0, 0, 0, 1, 0, 0, 0, 0});

  CHECK(r.resolved == 3);  // alice (monitoring), erin (monitoring), frank (operator)
  CHECK(r.reinfected_30d == 1);  // alice, 8 days after
  CHECK(r.reinfected_90d == 2);  // and erin, 46 days after
  CHECK(*r.reinfection_rate_30d == doctest::Approx(1.0 / 3.0));
  CHECK(*r.reinfection_rate_90d == doctest::Approx(2.0 / 3.0));
  CHECK(r.self_releases == 2);  // alice, bob (erin's was in October)
  CHECK(r.escalations == 1);

  CHECK(r.open_total == 7);
  CHECK(r.open_by_state == std::map<std::string, std::int64_t>{{"detected", 5}, {"notified", 1}, {"walled_garden", 0},
                                                              {"acknowledged", 0}, {"monitoring", 0}, {"reinfected", 0},
                                                              {"escalated", 1}});
  CHECK(r.open_by_age == std::array<std::int64_t, 4>{0, 2, 5, 0});

  REQUIRE(r.daily.size() == 30);
  CHECK(r.daily.front().date == "2026-11-01");
  CHECK(r.daily.back().date == "2026-11-30");
  std::int64_t detections = 0, notices = 0;
  for (const auto& d : r.daily) {
    detections += d.detections;
    notices += d.notices_sent;
  }
  CHECK(detections == 12);
  CHECK(notices == 4);
  CHECK(detections_on(r, "2026-11-05") == 2);
  CHECK(detections_on(r, "2026-11-28") == 1);
  CHECK(r.daily[1].notices_sent == 1);  // Nov 2, alice
}

TEST_CASE("a report counts what was known at the period's end") {
  Seeded seeded;
  SqliteReportSource source(seeded.path);
  const TimeZone utc;
  // The first half of November: alice's resolution (Nov 17) and her
  // re-detection are not in it yet; bob is reinfected, not yet escalated.
  const auto period = make_period("2026-11-01", "2026-11-12", std::nullopt, utc, at("2027-01-31T00:00:00Z"));
  const auto r = compute_report(source, period, utc, at("2027-01-31T00:00:00Z"));
  CHECK(r.subscribers_detected == 6);  // alice, bob, carol, 2 unattributed, dave (frank and grace come later)
  CHECK(r.remediated == 0);
  CHECK(r.resolved == 1);  // erin
  CHECK(r.escalations == 0);
  CHECK(r.open_by_state.at("reinfected") == 1);  // bob on Nov 12, before the escalation
  CHECK(r.open_by_state.at("monitoring") == 1);  // alice
}

TEST_CASE("local days follow the configured time zone") {
  Seeded seeded;
  const auto plus2 = TimeZone::load("+02:00");
  const auto r = november(seeded.path, plus2);
  CHECK(r.period.label == "2026-11-01 .. 2026-11-30 (+02:00)");
  CHECK(r.period.from == at("2026-10-31T22:00:00Z"));
  CHECK(r.period.to == at("2026-11-30T22:00:00Z"));
  CHECK(detections_on(r, "2026-11-28") == 0);  // grace's 23:30Z detection is on the 29th at +02:00
  CHECK(detections_on(r, "2026-11-29") == 1);
  const auto berlin = november(seeded.path, TimeZone::load("Europe/Berlin"));
  CHECK(berlin.period.from == at("2026-10-31T23:00:00Z"));
  CHECK(detections_on(berlin, "2026-11-29") == 1);
}

TEST_CASE("IANA zones switch offsets at daylight saving time") {
  const auto berlin = TimeZone::load("Europe/Berlin");
  CHECK(berlin.offset_at(at("2026-07-01T00:00:00Z")) == 7200);
  CHECK(berlin.offset_at(at("2026-12-01T00:00:00Z")) == 3600);
  // 2026-03-29: clocks go from 02:00 to 03:00; the day still begins at 00:00 +01:00.
  CHECK(berlin.start_of(*parse_date("2026-03-29")) == at("2026-03-28T23:00:00Z"));
  CHECK(berlin.start_of(*parse_date("2026-03-30")) == at("2026-03-29T22:00:00Z"));
  const auto ny = TimeZone::load("America/New_York");
  CHECK(ny.offset_at(at("2026-01-15T12:00:00Z")) == -5 * 3600);
}

TEST_CASE("bad time zones and periods are refused word for word") {
  CHECK_THROWS_WITH(TimeZone::load("../etc/passwd"),
                    "time zone '../etc/passwd': expected UTC, an offset such as +01:00, or an IANA name such as "
                    "Europe/Berlin");
  CHECK_THROWS_WITH(TimeZone::load("Mars/Olympus"),
                    "time zone 'Mars/Olympus': no such zone (/usr/share/zoneinfo/Mars/Olympus cannot be read)");
  const TimeZone utc;
  const Micros now = at("2026-11-15T12:00:00Z");
  CHECK_THROWS_WITH(make_period("yesterday", "", std::nullopt, utc, now),
                    "--from: expected a date (2026-10-01) or an RFC 3339 time, got 'yesterday'");
  CHECK_THROWS_WITH(make_period("2026-11-01", "2026-02-30", std::nullopt, utc, now),
                    "--to: expected a date (2026-10-31) or an RFC 3339 time, got '2026-02-30'");
  CHECK_THROWS_WITH(make_period("2026-11-05", "2026-11-01", std::nullopt, utc, now), "--to must be after --from");
  CHECK_THROWS_WITH(make_period("", "2026-11-01", std::nullopt, utc, now), "--to needs --from");
  CHECK_THROWS_WITH(make_period("0001-01-01", "9999-12-31", std::nullopt, utc, now), "the period is longer than 3660 days");
}

TEST_CASE("periods: day, week, month, the current one, and RFC 3339 instants") {
  const TimeZone utc;
  const Micros now = at("2026-11-19T12:00:00Z");  // a Thursday
  const auto month = make_period("", "", std::nullopt, utc, now);
  CHECK(month.from == at("2026-11-01T00:00:00Z"));
  CHECK(month.to == at("2026-12-01T00:00:00Z"));
  const auto week = make_period("", "", PeriodLength::week, utc, now);
  CHECK(week.label == "2026-11-16 .. 2026-11-22 (UTC)");
  const auto day = make_period("2026-11-03", "", PeriodLength::day, utc, now);
  CHECK(day.to == at("2026-11-04T00:00:00Z"));
  const auto feb = make_period("2027-02-01", "", PeriodLength::month, utc, now);
  CHECK(feb.label == "2027-02-01 .. 2027-02-28 (UTC)");
  const auto from_31st = make_period("2027-01-31", "", std::nullopt, utc, now);  // a month from the 31st
  CHECK(from_31st.label == "2027-01-31 .. 2027-02-27 (UTC)");
  const auto from_15th = make_period("2026-11-15", "", PeriodLength::month, utc, now);
  CHECK(from_15th.label == "2026-11-15 .. 2026-12-14 (UTC)");
  const auto exact = make_period("2026-11-03T06:00:00Z", "2026-11-03T18:00:00+01:00", std::nullopt, utc, now);
  CHECK(exact.to - exact.from == 11 * botwarden::testing::kHour);
  CHECK(exact.label == "2026-11-03T06:00:00Z .. 2026-11-03T17:00:00Z");
}

TEST_CASE("an empty store gives zeros and undefined shares, not a division by zero") {
  botwarden::testing::TempDir dir;
  { store::SqliteStore create(dir.file("empty.db")); }
  const auto r = november(dir.file("empty.db"));
  CHECK(r.subscriber_base == 0);
  CHECK_FALSE(r.infected_share.has_value());
  CHECK_FALSE(r.time_to_notify.median_seconds.has_value());
  const auto j = to_json(r);
  CHECK(j["infected_share"].is_null());
  CHECK(j["daily"].size() == 30);
  CHECK(to_prometheus(r).find("botwarden_report_infected_share{") == std::string::npos);
}

TEST_CASE("the source opens read-only and names the file when it cannot") {
  botwarden::testing::TempDir dir;
  CHECK_THROWS_WITH(SqliteReportSource(dir.file("missing.db")),
                    (dir.file("missing.db") + ": cannot open database read-only: unable to open database file").c_str());
}

TEST_CASE("JSON, CSV and Prometheus carry the same figures") {
  Seeded seeded;
  const auto r = november(seeded.path);
  const auto j = to_json(r);
  CHECK(j["period"]["from"] == "2026-11-01T00:00:00Z");
  CHECK(j["period"]["to"] == "2026-12-01T00:00:00Z");
  CHECK(j["subscriber_base"] == 11);
  CHECK(j["notified_share"] == 0.6);
  CHECK(j["notified_by_channel"]["sms"] == 1);
  CHECK(j["time_to_notify"]["histogram"]["1d-3d"] == 2);
  CHECK(j["open_incidents"]["by_age"]["7d-30d"] == 5);
  CHECK(j["daily"][27] == nlohmann::json{{"date", "2026-11-28"}, {"detections", 1}, {"notices_sent", 0}});

  const auto csv = to_csv(r);
  CHECK(csv.rfind("figure,label,value\r\nsubscriber_base,,11\r\n", 0) == 0);
  CHECK(csv.find("\r\ninfected_share,,0.5454545454545454\r\n") != std::string::npos);
  CHECK(csv.find("\r\nnotified_by_channel,channel=email,2\r\n") != std::string::npos);
  CHECK(csv.find("\r\ndaily.detections,date=2026-11-05,2\r\n") != std::string::npos);

  const auto prom = to_prometheus(r);
  CHECK(prom.find("# TYPE botwarden_report_notified_share gauge\n"
                  "botwarden_report_notified_share{period=\"2026-11-01 .. 2026-11-30 (UTC)\"} 0.6\n") !=
        std::string::npos);
  CHECK(prom.find("botwarden_report_open_incidents_by_state{period=\"2026-11-01 .. 2026-11-30 (UTC)\",state=\"escalated\"} 1\n") !=
        std::string::npos);
  // Every figure is in all three.
  for (const auto& f : figures(r)) {
    CAPTURE(f.name);
    CHECK(csv.find("\r\n" + f.name + ",") != std::string::npos);
    CHECK(prom.find("# TYPE botwarden_report_" + [&] {
      std::string n = f.name;
      for (auto& c : n) c = c == '.' ? '_' : c;
      return n;
    }() + " gauge") != std::string::npos);
  }
}

TEST_CASE("[report] timezone is read from the configuration, errors name file, line and key") {
  const auto ok = load_report_config(ConfigFile::parse("[report]\ntimezone = \"+05:30\"\n", "botwarden.toml"));
  CHECK(ok.zone.name() == "+05:30");
  CHECK(ok.zone.offset_at(0) == 5 * 3600 + 30 * 60);
  CHECK(load_report_config(ConfigFile::parse("", "botwarden.toml")).zone.name() == "UTC");
  CHECK_THROWS_WITH(load_report_config(ConfigFile::parse("[report]\n\ntimezone = \"Mars/Olympus\"\n", "botwarden.toml")),
                    "botwarden.toml:3: report.timezone: time zone 'Mars/Olympus': no such zone "
                    "(/usr/share/zoneinfo/Mars/Olympus cannot be read)");
  CHECK_THROWS_WITH(load_report_config(ConfigFile::parse("[report]\ntimezon = \"UTC\"\n", "botwarden.toml")),
                    "botwarden.toml:2: report.timezon: unknown key");
  CHECK(ok.metrics_cache_seconds == 60);
  CHECK(load_report_config(ConfigFile::parse("[report]\nmetrics_cache_seconds = 0\n", "botwarden.toml"))
            .metrics_cache_seconds == 0);
  CHECK_THROWS_WITH(load_report_config(ConfigFile::parse("[report]\nmetrics_cache_seconds = -5\n", "botwarden.toml")),
                    "botwarden.toml:2: report.metrics_cache_seconds: -5 is out of range 0..86400");
  // The shipped configuration reads cleanly.
  const auto shipped = load_report_config(ConfigFile::load(std::string(BOTWARDEN_SOURCE_DIR) + "/configs/botwarden.toml"));
  CHECK(shipped.zone.name() == "UTC");
  CHECK(shipped.metrics_cache_seconds == 60);
}

TEST_CASE("the current month's gauges for /metrics are recomputed after max_age, and at a new month") {
  Seeded seeded;
  MonthGauges gauges([&] { return std::make_unique<SqliteReportSource>(seeded.path); }, TimeZone(),
                     300 * kMicrosPerSecond);
  const Micros now = at("2026-11-20T12:00:00Z");
  const std::string base_11 = "botwarden_report_subscriber_base{period=\"2026-11-01 .. 2026-11-30 (UTC)\"} 11\n";
  CHECK(gauges.exposition(now).find(base_11) != std::string::npos);
  {
    store::SqliteStore db(seeded.path);
    mapping::Lease l;
    l.prefix = *Prefix::parse("100.64.9.9/32");
    l.start = at("2026-11-01T00:00:00Z");
    l.end = mapping::kOpenEnd;
    l.account = "late";
    l.source = "static";
    l.source_key = "late";
    db.upsert_lease(l);
  }
  CHECK(gauges.exposition(now + 299 * kMicrosPerSecond).find(base_11) != std::string::npos);  // cached
  CHECK(gauges.exposition(now + 300 * kMicrosPerSecond)
            .find("botwarden_report_subscriber_base{period=\"2026-11-01 .. 2026-11-30 (UTC)\"} 12\n") != std::string::npos);
  CHECK(gauges.exposition(at("2026-12-01T00:00:10Z"))
            .find("botwarden_report_subscriber_base{period=\"2026-12-01 .. 2026-12-31 (UTC)\"} ") != std::string::npos);
}

TEST_CASE("broken zoneinfo files are refused, at every truncation") {
  botwarden::testing::TempDir dir;
  const auto zoneinfo = dir.file("");
  std::filesystem::create_directories(dir.file("Bad"));
  const auto write = [&](const std::string& bytes) {
    std::ofstream out(dir.file("Bad/Zone"), std::ios::binary | std::ios::trunc);
    out << bytes;
  };
  write("hello");
  CHECK_THROWS_WITH(TimeZone::load("Bad/Zone", zoneinfo),
                    ("time zone 'Bad/Zone': " + zoneinfo + "/Bad/Zone: not a TZif file").c_str());
  std::ifstream in("/usr/share/zoneinfo/Europe/Berlin", std::ios::binary);
  std::string berlin(1 << 16, '\0');
  in.read(berlin.data(), static_cast<std::streamsize>(berlin.size()));
  berlin.resize(static_cast<std::size_t>(in.gcount()));
  REQUIRE(berlin.size() > 100);
  // Every cut before the POSIX TZ footer ("\nCET-1CEST,M3.5.0,M10.5.0/3\n", not read) is refused.
  const auto footer = berlin.rfind('\n', berlin.size() - 2);
  REQUIRE(footer != std::string::npos);
  for (std::size_t n = 0; n < footer; n += 7) {
    CAPTURE(n);
    write(berlin.substr(0, n));
    CHECK_THROWS_AS(TimeZone::load("Bad/Zone", zoneinfo), TimeZoneError);
  }
  write(berlin.substr(0, footer));  // the data without the footer is enough
  CHECK(TimeZone::load("Bad/Zone", zoneinfo).offset_at(at("2026-07-01T00:00:00Z")) == 7200);
}

TEST_CASE("numbers print as people read them and read back exactly") {
  CHECK(format_number(1000000) == "1000000");  // not to_chars' shortest "1e+06"
  CHECK(format_number(0) == "0");
  CHECK(format_number(-0.0) == "0");
  CHECK(format_number(9007199254740991.0) == "9007199254740991");
  CHECK(format_number(0.25) == "0.25");
  CHECK(format_number(1.0 / 3.0) == "0.3333333333333333");
  CHECK(format_number(0.014153) == "0.014153");
  CHECK(format_number(1e300) == "1e+300");
}
