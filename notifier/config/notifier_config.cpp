// Validation of the [notifier] section.
#include "notifier_config.hpp"

#include <fstream>
#include <set>

namespace botwarden {

namespace {
constexpr std::size_t kMinTokenLength = 16;

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

SensorCredentialConfig load_sensor(ConfigSection& s) {
  SensorCredentialConfig c;
  if (!s.has("name")) s.fail("name", "required: the sensor's name, as in its events");
  c.name = s.get_string("name", "");
  if (c.name.empty() || c.name.size() > 64 || c.name.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != std::string::npos) {
    s.fail("name", "expected 1 to 64 characters of A-Z a-z 0-9 . _ -");
  }
  const bool inline_token = s.has("token");
  const bool file_token = s.has("token_file");
  if (inline_token == file_token) s.fail(inline_token ? "token" : "name", "give exactly one of token and token_file");
  const char* key = inline_token ? "token" : "token_file";
  if (inline_token) {
    c.token = s.get_string("token", "");
  } else {
    const auto path = s.get_existing_file("token_file", "");
    std::ifstream in(path);
    std::getline(in, c.token);
    if (!in && !in.eof()) s.fail(key, "cannot read " + path);
    c.token = trim(c.token);
  }
  if (c.token.size() < kMinTokenLength) {
    s.fail(key, "the token must be at least " + std::to_string(kMinTokenLength) + " characters");
  }
  for (const char ch : c.token) {
    if (ch <= ' ' || ch > '~') s.fail(key, "the token must be printable ASCII without blanks");
  }
  s.finish();
  return c;
}
}  // namespace

NotifierConfig load_notifier_config(const ConfigFile& file) {
  NotifierConfig c;
  auto s = file.section("notifier");
  c.database = s.get_path("database", c.database);
  c.log_level = s.get_choice("log_level", c.log_level, {"trace", "debug", "info", "warn", "error", "off"});

  auto& p = c.policy;
  p.channels = s.get_strings("channels", p.channels);
  if (p.channels.empty()) s.fail("channels", "expected at least one channel");
  for (const auto& channel : p.channels) {
    if (channel != "email") s.fail("channels", "unknown channel \"" + channel + "\" (known: email)");
  }
  p.walled_garden_after_hours = s.get_int("walled_garden_after_hours", p.walled_garden_after_hours, 1, 24 * 365);
  p.acknowledge_grace_hours = s.get_int("acknowledge_grace_hours", p.acknowledge_grace_hours, 0, 24 * 7);
  p.monitoring_days = s.get_int("monitoring_days", p.monitoring_days, 1, 365);
  p.self_release_limit = s.get_int("self_release_limit", p.self_release_limit, 0, 100);
  p.exempt_accounts = s.get_strings("exempt_accounts", p.exempt_accounts);

  c.retention_days = s.get_int("retention_days", c.retention_days, 1, 3650);
  c.body_limit_bytes = s.get_int("body_limit_bytes", c.body_limit_bytes, 1024, 64 << 20);
  c.max_events_per_batch = s.get_int("max_events_per_batch", c.max_events_per_batch, 1, 100000);
  c.tick_interval_seconds = s.get_int("tick_interval_seconds", c.tick_interval_seconds, 1, 86400);
  c.busy_timeout_ms = s.get_int("busy_timeout_ms", c.busy_timeout_ms, 0, 600000);

  std::set<std::string> names, tokens;
  auto sensors = s.get_table_array("sensors");
  for (auto& entry : sensors) {
    auto sensor = load_sensor(entry);
    if (!names.insert(sensor.name).second) entry.fail("name", "sensor \"" + sensor.name + "\" is listed twice");
    if (!tokens.insert(sensor.token).second) entry.fail("name", "two sensors share one token");
    c.sensors.push_back(std::move(sensor));
  }
  s.finish();
  return c;
}

}  // namespace botwarden
