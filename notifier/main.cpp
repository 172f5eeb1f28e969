// botwarden-notifier: wiring only (CLI -> config -> pipeline).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

#include "botwarden/version.hpp"
#include "sensor/common/log.hpp"
#include "notifier/config/notifier_config.hpp"

int main(int argc, char** argv) {
  CLI::App app{"botwarden-notifier: incidents, notices, walled garden and web for botwarden"};
  app.footer(
      "Exit codes: 0 success, 1 runtime error (store, network or I/O), 2 bad command line or configuration.");
  app.set_version_flag("--version", std::string("botwarden-notifier ") + botwarden::kVersion);
  std::string config_path = "configs/botwarden.toml";
  app.add_option("-c,--config", config_path, "configuration file (TOML)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    const auto file = botwarden::ConfigFile::load(config_path);
    const auto cfg = botwarden::load_notifier_config(file);
    botwarden::setup_logging("notifier", cfg.log_level);
    spdlog::info("configuration {} valid: database {}", config_path, cfg.database);
  } catch (const botwarden::ConfigError& e) {
    std::cerr << "botwarden-notifier: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
