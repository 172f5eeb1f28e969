// The web side's security mechanisms: signed, expiring form tokens (CSRF),
// argon2id password checks, console sessions, login rate limiting, and the
// parsing of forms and cookies. All secrets come from libsodium's CSPRNG.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sensor/common/time.hpp"
#include "web/pages/pages_config.hpp"
#include "web/server/http.hpp"

namespace botwarden::web {

// `bytes` random bytes as lowercase hex.
std::string random_hex(std::size_t bytes);
bool constant_time_equal(std::string_view a, std::string_view b);

// CSRF tokens "<expiry seconds>.<HMAC-SHA256 hex>" over a binding string
// (e.g. "ack|42|192.0.2.7" or "session|<id>"): a token is only good for the
// incident, address or session it was issued for, and only until it expires.
// The key is random per process: a restart invalidates open forms.
class FormTokens {
 public:
  FormTokens();
  std::string issue(std::string_view binding, Micros now) const;
  bool verify(std::string_view token, std::string_view binding, Micros now) const;
  static constexpr Micros kLifetime = 2LL * 3600 * kMicrosPerSecond;

 private:
  std::string mac(std::string_view binding, std::int64_t expiry) const;
  std::array<unsigned char, 32> key_{};
};

// libsodium crypto_pwhash_str (argon2id, interactive limits); the string
// carries its own parameters.
std::string hash_password(std::string_view password);
bool verify_password(const std::string& hash, std::string_view password);

struct Session {
  std::string id;    // 32 random bytes, hex: the cookie value
  std::string user;
  Role role = Role::viewer;
  std::string csrf;  // per-session form token (also HMAC-bound to the id)
  Micros created_at = 0;
  Micros last_seen = 0;
};

// In-memory console sessions (a restart logs everyone out). Thread-safe.
class SessionStore {
 public:
  SessionStore(Micros idle_timeout, Micros max_age) : idle_timeout_(idle_timeout), max_age_(max_age) {}
  Session create(const std::string& user, Role role, std::string csrf, Micros now);
  // The live session with this id (and marks it used), or nullopt when
  // unknown, idle too long or too old (then it is removed).
  std::optional<Session> find(std::string_view id, Micros now);
  void remove(std::string_view id);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;
  Micros idle_timeout_;
  Micros max_age_;
};

// Failed logins per key (client address, login name) in a sliding window.
class LoginLimiter {
 public:
  LoginLimiter(std::int64_t failures_allowed, Micros window) : allowed_(failures_allowed), window_(window) {}
  bool blocked(const std::string& key, Micros now);
  void failed(const std::string& key, Micros now);
  void succeeded(const std::string& key);

 private:
  struct Entry {
    std::int64_t failures = 0;
    Micros window_start = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::int64_t allowed_;
  Micros window_;
};

// application/x-www-form-urlencoded (also a query string): name -> value,
// the first occurrence of a name wins. nullopt when malformed.
std::optional<std::map<std::string, std::string, std::less<>>> parse_form(std::string_view body);
// The value of cookie `name` in the request's Cookie header(s).
std::optional<std::string> cookie_value(const Request& request, std::string_view name);

}  // namespace botwarden::web
