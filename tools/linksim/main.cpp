// botwarden-linksim: wiring only (CLI -> scenario -> generate -> summary).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "botwarden/version.hpp"
#include "sensor/common/config.hpp"
#include "tools/linksim/generator.hpp"
#include "tools/linksim/scenario.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "botwarden-linksim: writes a labelled capture of a simulated ISP access link.\n"
      "Output in DIR: capture.pcap, labels.json, accounts.csv, kea-leases4.csv, radius-detail,\n"
      "ipv6-delegations.csv (formats: docs/LINKSIM.md). Same scenario and seed give identical files.\n"
      "Exit codes: 0 done, 1 output error, 2 bad command line or scenario file."};
  std::string scenario_path, out_dir;
  std::uint64_t seed = 0;
  app.add_option("--scenario", scenario_path, "Scenario TOML file (configs/scenarios/*.toml)")->required();
  auto* seed_option = app.add_option("--seed", seed, "Random seed (default: the scenario's seed)");
  app.add_option("--out", out_dir, "Output folder (created if missing)")->required();
  app.set_version_flag("--version", std::string("botwarden-linksim ") + botwarden::kVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  botwarden::linksim::Scenario scenario;
  try {
    scenario = botwarden::linksim::load_scenario(botwarden::ConfigFile::load(scenario_path));
  } catch (const botwarden::ConfigError& e) {
    std::cerr << "botwarden-linksim: " << e.what() << "\n";
    return 2;
  }
  if (!*seed_option) seed = scenario.seed;
  try {
    const auto started = std::chrono::steady_clock::now();
    const auto s = botwarden::linksim::generate(scenario, seed, out_dir);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("%s: seed %llu, %llu subscribers, %llu smtp sessions, %llu flows, %llu packets (%llu smtp), "
                "%llu bytes in %.2f s (%.0f packets/s)\n",
                scenario.name.c_str(), static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(s.subscribers), static_cast<unsigned long long>(s.smtp_sessions),
                static_cast<unsigned long long>(s.flows), static_cast<unsigned long long>(s.packets),
                static_cast<unsigned long long>(s.smtp_packets), static_cast<unsigned long long>(s.pcap_bytes), secs,
                secs > 0 ? static_cast<double>(s.packets) / secs : 0.0);
  } catch (const std::exception& e) {
    std::cerr << "botwarden-linksim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
