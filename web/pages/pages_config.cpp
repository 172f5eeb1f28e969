// Validation of the [pages] section.
#include "web/pages/pages_config.hpp"

#include <set>

namespace botwarden::web {

namespace {

constexpr std::size_t kMinApiTokenLength = 24;

bool is_https_url(std::string_view url) {
  if (!url.starts_with("https://") || url.size() <= 8 || url.size() > 2000) return false;
  for (const char c : url) {
    // No blanks, quotes, angle brackets or controls: the URL goes into an href attribute.
    if (c <= ' ' || c > '~' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\') return false;
  }
  return true;
}

std::string required_string(ConfigSection& s, std::string_view key, const std::string& what) {
  if (!s.has(key)) s.fail(key, "required: " + what);
  auto value = s.get_string(key, "");
  if (value.empty()) s.fail(key, "must not be empty: " + what);
  return value;
}

Role role_of(ConfigSection& s) {
  const auto text = s.get_choice("role", "viewer", {"viewer", "operator", "admin"});
  return *parse_role(text);
}

}  // namespace

std::string_view to_string(Role role) {
  switch (role) {
    case Role::viewer: return "viewer";
    case Role::operator_: return "operator";
    case Role::admin: return "admin";
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "viewer") return Role::viewer;
  if (text == "operator") return Role::operator_;
  if (text == "admin") return Role::admin;
  return std::nullopt;
}

const ConsoleUser* PagesConfig::find_user(std::string_view name) const {
  for (const auto& u : users) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

PagesConfig load_pages_config(const ConfigFile& file) {
  PagesConfig c;
  auto s = file.section("pages");
  c.isp_name = s.get_string("isp_name", c.isp_name);
  c.support_phone = s.get_string("support_phone", "");
  c.support_email = s.get_string("support_email", "");
  c.support_url = s.get_string("support_url", "");
  if (!c.support_url.empty() && !is_https_url(c.support_url)) {
    s.fail("support_url", "expected an https:// URL without blanks or quotes");
  }
  auto steps = s.subsection("cleanup_steps");
  for (const std::string language : {"en", "de", "fr", "nl"}) {
    if (!steps.has(language)) continue;
    auto list = steps.get_strings(language, {});
    if (list.empty()) steps.fail(language, "expected at least one step");
    c.cleanup_steps[language] = std::move(list);
  }
  steps.finish();
  for (auto& t : s.get_table_array("tools")) {
    ToolLink link;
    link.name = required_string(t, "name", "the tool's name as shown");
    link.url = required_string(t, "url", "an https:// link");
    if (!is_https_url(link.url)) t.fail("url", "expected an https:// URL without blanks or quotes");
    t.finish();
    c.tools.push_back(std::move(link));
  }
  std::set<std::string, std::less<>> names;
  for (auto& u : s.get_table_array("users")) {
    ConsoleUser user;
    user.name = required_string(u, "name", "the login name");
    if (!names.insert(user.name).second) u.fail("name", "'" + user.name + "' is given twice");
    user.role = role_of(u);
    user.password_hash = required_string(u, "password_hash", "an argon2id hash from botwarden-hash-password");
    if (!user.password_hash.starts_with("$argon2id$")) {
      u.fail("password_hash", "expected an argon2id hash (\"$argon2id$...\") from botwarden-hash-password");
    }
    u.finish();
    c.users.push_back(std::move(user));
  }
  for (auto& t : s.get_table_array("api_tokens")) {
    ApiToken token;
    token.name = required_string(t, "name", "who uses the token (the audit log names it)");
    token.role = role_of(t);
    token.token = required_string(t, "token", "the bearer token");
    if (token.token.size() < kMinApiTokenLength) {
      t.fail("token", "the token must be at least " + std::to_string(kMinApiTokenLength) + " characters");
    }
    for (const char ch : token.token) {
      if (ch <= ' ' || ch > '~') t.fail("token", "the token must be printable ASCII without blanks");
    }
    t.finish();
    c.api_tokens.push_back(std::move(token));
  }
  c.session_idle_minutes = s.get_int("session_idle_minutes", c.session_idle_minutes, 1, 24 * 60);
  c.session_max_hours = s.get_int("session_max_hours", c.session_max_hours, 1, 24 * 7);
  c.login_failures_allowed = s.get_int("login_failures_allowed", c.login_failures_allowed, 1, 1000);
  c.metrics_from = s.get_prefixes("metrics_from", c.metrics_from);
  s.finish();
  return c;
}

}  // namespace botwarden::web
