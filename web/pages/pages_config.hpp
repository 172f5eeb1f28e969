// The [pages] section of botwarden.toml: what the walled-garden page says
// (cleanup steps, tool links, support contact), who may use the ops console
// and the JSON ops API, and who may read /metrics. Every key with its
// default is documented in configs/botwarden.toml and docs/WEB.md.
//
// (The brief named [[web.users]]; [web] belongs to the server core, whose
// reader rejects keys it does not know, so the console's keys live here.)
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/common/config.hpp"

namespace botwarden::web {

// viewer: read; operator: release, escalate, resend_notice; admin: every action.
enum class Role : std::uint8_t { viewer, operator_, admin };
std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view text);

struct ConsoleUser {
  std::string name;           // shown in the audit log as the actor
  Role role = Role::viewer;
  std::string password_hash;  // libsodium crypto_pwhash_str (argon2id): "$argon2id$v=19$..."
};

struct ApiToken {
  std::string name;  // the actor in the audit log
  Role role = Role::viewer;
  std::string token;  // at least 24 printable characters, sent as "Authorization: Bearer <token>"
};

struct ToolLink {
  std::string name;
  std::string url;  // https:// only: the allow-list of links the walled-garden page shows
};

struct PagesConfig {
  std::string isp_name = "Your Internet provider";
  std::string support_phone;
  std::string support_email;
  std::string support_url;                                 // https:// only
  std::map<std::string, std::vector<std::string>> cleanup_steps;  // language -> steps; built-in text when absent
  std::vector<ToolLink> tools;
  std::vector<ConsoleUser> users;
  std::vector<ApiToken> api_tokens;
  std::int64_t session_idle_minutes = 30;                  // console session ends after this long unused
  std::int64_t session_max_hours = 8;                      // and this long after login in any case
  std::int64_t login_failures_allowed = 5;                 // per client address and per name in 15 minutes
  std::vector<Prefix> metrics_from{*Prefix::parse("127.0.0.0/8"), *Prefix::parse("::1/128")};

  const ConsoleUser* find_user(std::string_view name) const;
};

// Reads [pages]; throws ConfigError naming file, line and key.
PagesConfig load_pages_config(const ConfigFile& file);

}  // namespace botwarden::web
