// CSRF tokens, passwords, sessions, login limits, forms and cookies.
#include "web/pages/security.hpp"
#include "web/server/http.hpp"

#include <sodium.h>

#include <charconv>
#include <stdexcept>

namespace botwarden::web {

namespace {
void ensure_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium: initialisation failed");
}
std::string to_hex(const unsigned char* data, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}
}  // namespace

std::string random_hex(std::size_t bytes) {
  ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return to_hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

FormTokens::FormTokens() {
  ensure_sodium();
  randombytes_buf(key_.data(), key_.size());
}

std::string FormTokens::mac(std::string_view binding, std::int64_t expiry) const {
  const std::string message = std::to_string(expiry) + "|" + std::string(binding);
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> out{};
  crypto_auth_hmacsha256(out.data(), reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                         key_.data());
  return to_hex(out.data(), out.size());
}

std::string FormTokens::issue(std::string_view binding, Micros now) const {
  const std::int64_t expiry = (now + kLifetime) / kMicrosPerSecond;
  return std::to_string(expiry) + "." + mac(binding, expiry);
}

bool FormTokens::verify(std::string_view token, std::string_view binding, Micros now) const {
  const auto dot = token.find('.');
  if (dot == std::string_view::npos || dot == 0 || token.size() > 128) return false;
  std::int64_t expiry = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + dot, expiry);
  if (ec != std::errc() || end != token.data() + dot) return false;
  if (expiry < now / kMicrosPerSecond) return false;
  return constant_time_equal(token.substr(dot + 1), mac(binding, expiry));
}

std::string hash_password(std::string_view password) {
  ensure_sodium();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw std::runtime_error("crypto_pwhash_str: out of memory");
  }
  return std::string(out.data());
}

bool verify_password(const std::string& hash, std::string_view password) {
  ensure_sodium();
  if (hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

Session SessionStore::create(const std::string& user, Role role, std::string csrf, Micros now) {
  Session s{random_hex(32), user, role, std::move(csrf), now, now};
  std::lock_guard lock(mutex_);
  // Drop expired sessions now and then so the map cannot grow without bound.
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const bool expired = now - it->second.last_seen > idle_timeout_ || now - it->second.created_at > max_age_;
    it = expired ? sessions_.erase(it) : std::next(it);
  }
  sessions_[s.id] = s;
  return s;
}

std::optional<Session> SessionStore::find(std::string_view id, Micros now) {
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return std::nullopt;
  if (now - it->second.last_seen > idle_timeout_ || now - it->second.created_at > max_age_) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  return it->second;
}

void SessionStore::remove(std::string_view id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(std::string(id));
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

bool LoginLimiter::blocked(const std::string& key, Micros now) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  if (now - it->second.window_start > window_) {
    entries_.erase(it);
    return false;
  }
  return it->second.failures >= allowed_;
}

void LoginLimiter::failed(const std::string& key, Micros now) {
  std::lock_guard lock(mutex_);
  // Bound the table: an attacker cycling names must not exhaust memory.
  if (entries_.size() > 100'000) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = now - it->second.window_start > window_ ? entries_.erase(it) : std::next(it);
    }
  }
  auto& e = entries_[key];
  if (e.failures == 0 || now - e.window_start > window_) e = Entry{0, now};
  ++e.failures;
}

void LoginLimiter::succeeded(const std::string& key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
}


// Written out rather than boost::urls::params_view: Boost 1.81's
// params_view(string_view, encoding_opts) reads past the end of a view
// whose last value is empty ("a=1&b="), i.e. into whatever follows the
// request target in memory (tests/unit/web/test_security.cpp).
std::optional<std::map<std::string, std::string, std::less<>>> parse_form(std::string_view body) {
  std::map<std::string, std::string, std::less<>> out;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const std::string_view item = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const auto key = percent_decode(item.substr(0, eq), true);
    const auto value = eq == std::string_view::npos ? std::optional<std::string>("") : percent_decode(item.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    out.emplace(*key, *value);
  }
  return out;
}

std::optional<std::string> cookie_value(const Request& request, std::string_view name) {
  const auto [first, last] = request.equal_range(beast_http::field::cookie);
  for (auto field = first; field != last; ++field) {
    std::string_view rest = field->value();
    while (!rest.empty()) {
      const auto semicolon = rest.find(';');
      std::string_view item = rest.substr(0, semicolon);
      rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      const auto eq = item.find('=');
      if (eq != std::string_view::npos && item.substr(0, eq) == name) return std::string(item.substr(eq + 1));
    }
  }
  return std::nullopt;
}

}  // namespace botwarden::web
