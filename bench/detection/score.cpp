// botwarden-detection-score: compares detection events with a scenario's
// labels (tools/linksim labels.json) and prints recall (overall and per bot
// kind), precision, false positives among benign subscribers by kind, and
// median time from a subscriber's first SMTP packet to detection, per
// detector and per kind. Exits 3 when a target is missed.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sensor/common/time.hpp"

namespace {

using nlohmann::json;
using botwarden::Micros;

struct Subscriber {
  std::string run;
  std::string key;
  std::string role;
  std::string kind;
  std::optional<Micros> first_smtp;
  std::size_t sessions = 0;
  std::map<std::string, Micros> first_event;  // detector -> earliest event ts
};

struct Targets {
  double recall = 0.99;
  double max_fp_rate = 0.001;
  double fast_seconds = 60;       // bot_bad_helo, bot_direct_mx
  double snowshoe_seconds = 900;  // bot_snowshoe
  std::size_t recall_min_sessions = 1;  // bots with fewer SMTP sessions are left out of the recall target
};

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string fmt_seconds(std::optional<double> s) {
  if (!s) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", *s);
  return buf;
}

std::string pct(double num, double den) {
  if (den == 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %%", 100.0 * num / den);
  return buf;
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

Micros time_of(const json& v, const std::string& where) {
  if (!v.is_string()) throw std::runtime_error(where + ": expected an RFC 3339 string");
  auto t = botwarden::parse_rfc3339(v.get<std::string>());
  if (!t) throw std::runtime_error(where + ": not an RFC 3339 timestamp: " + v.get<std::string>());
  return *t;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"botwarden-detection-score: detection quality of sensor events against scenario labels"};
  app.footer("Exit codes: 0 all targets met, 1 unreadable input, 2 bad command line, 3 a target missed.");
  std::vector<std::string> labels_paths;
  std::vector<std::string> events_paths;
  std::string json_out;
  Targets targets;
  app.add_option("--labels", labels_paths, "labels.json of a run (repeat; paired with --events in order)")->required();
  app.add_option("--events", events_paths, "events.jsonl of the same run (repeat)")->required();
  app.add_option("--min-recall", targets.recall, "target recall among bots that sent mail")->capture_default_str();
  app.add_option("--max-fp-rate", targets.max_fp_rate, "target false-positive rate among benign mail senders")
      ->capture_default_str();
  app.add_option("--max-median-seconds", targets.fast_seconds,
                 "target median time to detect for bot_bad_helo and bot_direct_mx")->capture_default_str();
  app.add_option("--max-snowshoe-median-seconds", targets.snowshoe_seconds,
                 "target median time to detect for bot_snowshoe")->capture_default_str();
  app.add_option("--recall-min-sessions", targets.recall_min_sessions,
                 "judge the recall target on bots with at least this many SMTP sessions "
                 "(a single session never flags by design)")->capture_default_str();
  app.add_option("--json", json_out, "also write the figures as JSON here");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (labels_paths.size() != events_paths.size()) {
    std::cerr << "botwarden-detection-score: " << labels_paths.size() << " --labels but " << events_paths.size()
              << " --events; give one of each per run\n";
    return 2;
  }

  std::vector<Subscriber> subs;
  std::uint64_t events_total = 0;
  std::uint64_t events_unmatched = 0;
  try {
    for (std::size_t run = 0; run < labels_paths.size(); ++run) {
      const json labels = read_json(labels_paths[run]);
      const std::string run_name = labels.value("scenario", "?") + "/" + std::to_string(labels.value("seed", 0));
      std::map<std::string, std::size_t> by_key;  // subscriber key or address -> index
      for (const auto& s : labels.at("subscribers")) {
        Subscriber sub;
        sub.run = run_name;
        sub.key = s.at("subscriber").get<std::string>();
        sub.role = s.at("role").get<std::string>();
        sub.kind = s.at("kind").get<std::string>();
        if (!s.at("first_smtp_ts").is_null()) {
          sub.first_smtp = time_of(s.at("first_smtp_ts"), labels_paths[run] + ": " + sub.key + ".first_smtp_ts");
        }
        sub.sessions = s.value("sessions", json::array()).size();
        subs.push_back(sub);
        by_key[sub.key] = subs.size() - 1;
        for (const auto& a : s.value("addresses", json::array())) by_key.emplace(a.get<std::string>(), subs.size() - 1);
      }
      std::ifstream in(events_paths[run]);
      if (!in) throw std::runtime_error(events_paths[run] + ": cannot open");
      std::string line;
      std::size_t line_no = 0;
      while (std::getline(in, line)) {
        ++line_no;
        if (line.empty()) continue;
        json e;
        try {
          e = json::parse(line);
        } catch (const json::exception& ex) {
          throw std::runtime_error(events_paths[run] + ":" + std::to_string(line_no) + ": " + ex.what());
        }
        ++events_total;
        auto it = by_key.find(e.at("subscriber").get<std::string>());
        if (it == by_key.end()) it = by_key.find(e.at("address").get<std::string>());
        if (it == by_key.end()) {
          ++events_unmatched;
          continue;
        }
        auto& sub = subs[it->second];
        const Micros ts = time_of(e.at("ts"), events_paths[run] + ":" + std::to_string(line_no) + ": ts");
        const std::string detector = e.at("detector").get<std::string>();
        auto [pos, inserted] = sub.first_event.emplace(detector, ts);
        if (!inserted) pos->second = std::min(pos->second, ts);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "botwarden-detection-score: " << e.what() << "\n";
    return 1;
  }

  // Aggregate.
  struct KindFigures {
    std::size_t total = 0;
    std::size_t flagged = 0;
    std::size_t repeat_total = 0;    // bots with at least recall_min_sessions sessions
    std::size_t repeat_flagged = 0;
    std::vector<double> ttd;  // first event of any detector
  };
  std::map<std::string, KindFigures> bots;
  std::map<std::string, KindFigures> benign;  // mail senders only
  std::map<std::string, std::vector<double>> ttd_by_detector;
  std::size_t benign_web_only_flagged = 0;
  std::size_t flagged_total = 0;
  std::size_t flagged_bots = 0;
  for (const auto& s : subs) {
    const bool flagged = !s.first_event.empty();
    flagged_total += flagged;
    if (s.role == "bot") {
      flagged_bots += flagged;
      if (!s.first_smtp) continue;  // a bot that never sent mail cannot be seen
      auto& k = bots[s.kind];
      ++k.total;
      const bool repeat = s.sessions >= targets.recall_min_sessions;
      k.repeat_total += repeat;
      k.repeat_flagged += repeat && flagged;
      if (flagged) {
        ++k.flagged;
        Micros first = INT64_MAX;
        for (const auto& [d, t] : s.first_event) {
          first = std::min(first, t);
          ttd_by_detector[d].push_back(static_cast<double>(t - *s.first_smtp) / 1e6);
        }
        k.ttd.push_back(static_cast<double>(first - *s.first_smtp) / 1e6);
      }
    } else if (!s.first_smtp) {
      benign_web_only_flagged += flagged;
    } else {
      auto& k = benign[s.kind];
      ++k.total;
      k.flagged += flagged;
    }
  }
  std::size_t bot_total = 0, bot_flagged = 0, benign_total = 0, benign_flagged = 0;
  std::size_t repeat_total = 0, repeat_flagged = 0;
  for (const auto& [k, f] : bots) {
    bot_total += f.total, bot_flagged += f.flagged;
    repeat_total += f.repeat_total, repeat_flagged += f.repeat_flagged;
  }
  for (const auto& [k, f] : benign) benign_total += f.total, benign_flagged += f.flagged;
  const double recall = bot_total ? static_cast<double>(bot_flagged) / static_cast<double>(bot_total) : 0;
  const double judged_recall =
      repeat_total ? static_cast<double>(repeat_flagged) / static_cast<double>(repeat_total) : 0;
  const double fp_rate = benign_total ? static_cast<double>(benign_flagged) / static_cast<double>(benign_total) : 0;
  const double precision = flagged_total ? static_cast<double>(flagged_bots) / static_cast<double>(flagged_total) : 1;

  std::printf("runs: %zu, subscribers: %zu, events: %llu (%llu matched no subscriber)\n", labels_paths.size(),
              subs.size(), static_cast<unsigned long long>(events_total),
              static_cast<unsigned long long>(events_unmatched));
  std::printf("\nrecall (bots that sent mail, flagged by any detector): %zu/%zu = %s\n", bot_flagged, bot_total,
              pct(static_cast<double>(bot_flagged), static_cast<double>(bot_total)).c_str());
  std::printf("  %-16s %9s %9s %9s %14s %18s\n", "kind", "bots", "flagged", "recall", "median ttd",
              ("recall >=" + std::to_string(targets.recall_min_sessions) + " sess").c_str());
  for (const auto& [kind, f] : bots) {
    std::printf("  %-16s %9zu %9zu %9s %14s %18s\n", kind.c_str(), f.total, f.flagged,
                pct(static_cast<double>(f.flagged), static_cast<double>(f.total)).c_str(),
                fmt_seconds(median(f.ttd)).c_str(),
                (pct(static_cast<double>(f.repeat_flagged), static_cast<double>(f.repeat_total)) + " of " +
                 std::to_string(f.repeat_total)).c_str());
  }
  std::printf("recall among bots with >= %zu SMTP sessions: %zu/%zu = %s\n", targets.recall_min_sessions,
              repeat_flagged, repeat_total,
              pct(static_cast<double>(repeat_flagged), static_cast<double>(repeat_total)).c_str());
  std::printf("\nprecision (flagged subscribers that are bots): %zu/%zu = %s\n", flagged_bots, flagged_total,
              pct(static_cast<double>(flagged_bots), static_cast<double>(flagged_total)).c_str());
  std::printf("\nfalse positives among benign mail senders: %zu/%zu = %s (web-only flagged: %zu)\n", benign_flagged,
              benign_total, pct(static_cast<double>(benign_flagged), static_cast<double>(benign_total)).c_str(),
              benign_web_only_flagged);
  std::printf("  %-16s %9s %9s %9s\n", "kind", "senders", "flagged", "rate");
  for (const auto& [kind, f] : benign) {
    std::printf("  %-16s %9zu %9zu %9s\n", kind.c_str(), f.total, f.flagged,
                pct(static_cast<double>(f.flagged), static_cast<double>(f.total)).c_str());
  }
  std::printf("\nmedian time from first SMTP packet to each detector's first event (bots):\n");
  for (const auto& [d, v] : ttd_by_detector) {
    std::printf("  %-14s %6zu bots  median %s\n", d.c_str(), v.size(), fmt_seconds(median(v)).c_str());
  }

  // Targets.
  std::vector<std::string> missed;
  char buf[200];
  if (judged_recall < targets.recall) {
    std::snprintf(buf, sizeof buf, "recall %.4f (bots with >= %zu sessions) below %.4f", judged_recall,
                  targets.recall_min_sessions, targets.recall);
    missed.emplace_back(buf);
  }
  if (fp_rate > targets.max_fp_rate) {
    std::snprintf(buf, sizeof buf, "false-positive rate %.4f above %.4f", fp_rate, targets.max_fp_rate);
    missed.emplace_back(buf);
  }
  if (benign_web_only_flagged > 0) missed.emplace_back("web-only subscribers flagged");
  for (const auto& [kind, limit] : {std::pair<std::string, double>{"bot_bad_helo", targets.fast_seconds},
                                    {"bot_direct_mx", targets.fast_seconds},
                                    {"bot_snowshoe", targets.snowshoe_seconds}}) {
    if (!bots.count(kind)) continue;
    const auto m = median(bots[kind].ttd);
    if (m && *m > limit) {
      std::snprintf(buf, sizeof buf, "%s median time to detect %.1f s above %.0f s", kind.c_str(), *m, limit);
      missed.emplace_back(buf);
    }
  }
  if (bot_total == 0) missed.emplace_back("no bot sent mail: nothing was measured");
  if (benign_total == 0) missed.emplace_back("no benign subscriber sent mail: nothing was measured");

  if (!json_out.empty()) {
    json j = {{"recall", recall}, {"judged_recall", judged_recall},
              {"recall_min_sessions", targets.recall_min_sessions}, {"precision", precision}, {"fp_rate", fp_rate},
              {"bots", bot_total}, {"benign_senders", benign_total}, {"missed", missed}};
    for (const auto& [kind, f] : bots) {
      j["by_kind"][kind] = {{"total", f.total}, {"flagged", f.flagged}};
      if (auto m = median(f.ttd)) j["by_kind"][kind]["median_ttd_seconds"] = *m;
    }
    for (const auto& [kind, f] : benign) j["benign_by_kind"][kind] = {{"total", f.total}, {"flagged", f.flagged}};
    for (const auto& [d, v] : ttd_by_detector) {
      if (auto m = median(v)) j["median_ttd_seconds_by_detector"][d] = *m;
    }
    std::ofstream(json_out) << j.dump(2) << "\n";
  }
  if (!missed.empty()) {
    std::printf("\nTARGETS MISSED:\n");
    for (const auto& m : missed) std::printf("  %s\n", m.c_str());
    return 3;
  }
  std::printf("\nall targets met\n");
  return 0;
}
