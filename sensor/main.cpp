// botwarden-sensor: wiring only (CLI -> config -> pipeline).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

#include "botwarden/version.hpp"
#include "sensor/common/log.hpp"
#include "sensor/config/sensor_config.hpp"

int main(int argc, char** argv) {
  CLI::App app{"botwarden-sensor: finds spam bots on ISP subscriber links"};
  app.footer(
      "Exit codes: 0 success, 1 runtime error (capture or I/O), 2 bad command line or configuration.");
  app.set_version_flag("--version", std::string("botwarden-sensor ") + botwarden::kVersion);
  std::string config_path = "configs/botwarden.toml";
  app.add_option("-c,--config", config_path, "configuration file (TOML)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    const auto file = botwarden::ConfigFile::load(config_path);
    const auto cfg = botwarden::load_sensor_config(file);
    botwarden::setup_logging("sensor", cfg.log_level);
    spdlog::info("configuration {} valid: {} subscriber prefixes, {} relays", config_path,
                 cfg.subscriber_prefixes.size(), cfg.smtp_relays.size());
  } catch (const botwarden::ConfigError& e) {
    std::cerr << "botwarden-sensor: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
