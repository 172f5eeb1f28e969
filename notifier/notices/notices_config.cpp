// Validation of the [notices] section (see notices_config.hpp).
#include "notices_config.hpp"

#include <fstream>
#include <sstream>

#include "notifier/notices/mime.hpp"

namespace botwarden::notices {
namespace {

std::string get_address(ConfigSection& s, std::string_view key, std::string fallback) {
  std::string v = s.get_string(key, std::move(fallback));
  if (!is_valid_address(v)) s.fail(key, "'" + v + "' is not an email address (local@domain, printable ASCII)");
  return v;
}

std::string get_url(ConfigSection& s, std::string_view key, std::string fallback) {
  std::string v = s.get_string(key, std::move(fallback));
  if (v.rfind("https://", 0) != 0 && v.rfind("http://", 0) != 0) s.fail(key, "'" + v + "' is not an http(s) URL");
  for (char c : v)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F)
      s.fail(key, "URL contains spaces, control characters or non-ASCII");
  return v;
}

}  // namespace

NoticesConfig load_notices_config(const ConfigFile& file) {
  NoticesConfig c;
  auto s = file.section("notices");
  c.enabled = s.get_bool("enabled", c.enabled);
  c.smtp.url = s.get_string("smtp_url", "smtp://127.0.0.1:25");
  if (c.smtp.url.rfind("smtp://", 0) != 0 && c.smtp.url.rfind("smtps://", 0) != 0)
    s.fail("smtp_url", "'" + c.smtp.url + "' must start with smtp:// or smtps://");
  c.smtp.starttls = s.get_bool("starttls", c.smtp.starttls);
  c.smtp.tls_verify = s.get_bool("tls_verify", c.smtp.tls_verify);
  c.smtp.ca_file = s.get_existing_file("ca_file", "");
  c.smtp.username = s.get_string("username", "");
  const std::string password_file = s.get_existing_file("password_file", "");
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    std::ostringstream ss;
    ss << in.rdbuf();
    c.smtp.password = ss.str();
    while (!c.smtp.password.empty() && (c.smtp.password.back() == '\n' || c.smtp.password.back() == '\r'))
      c.smtp.password.pop_back();
  }
  if (!c.smtp.username.empty() && password_file.empty())
    s.fail("username", "AUTH needs password_file too (the password is never written in this file)");
  c.smtp.connect_timeout_seconds = static_cast<long>(s.get_int("connect_timeout_seconds", 10, 1, 300));
  c.smtp.timeout_seconds = static_cast<long>(s.get_int("timeout_seconds", 60, 1, 3600));

  c.notice.from_address = get_address(s, "from", c.notice.from_address);
  c.notice.from_name = s.get_string("from_name", c.notice.from_name);
  c.notice.reply_to = get_address(s, "reply_to", c.notice.reply_to);
  c.notice.isp_name = s.get_string("isp_name", c.notice.isp_name);
  c.notice.cleanup_base_url = get_url(s, "cleanup_base_url", c.notice.cleanup_base_url);
  c.notice.verify_url = get_url(s, "verify_url", c.notice.verify_url);
  c.notice.support_url = get_url(s, "support_url", c.notice.support_url);
  c.notice.support_phone = s.get_string("support_phone", c.notice.support_phone);
  c.notice.message_id_domain = s.get_string("message_id_domain", "");
  if (!c.notice.message_id_domain.empty() && !is_valid_address("x@" + c.notice.message_id_domain))
    s.fail("message_id_domain", "'" + c.notice.message_id_domain + "' is not a domain name");
  c.templates_dir = s.get_path("templates_dir", c.templates_dir);

  c.poll_seconds = s.get_double("poll_seconds", c.poll_seconds, 0.1, 3600);
  c.outbox.batch_size = static_cast<std::size_t>(s.get_int("batch_size", 20, 1, 10000));
  c.outbox.max_attempts = s.get_int("max_attempts", c.outbox.max_attempts, 1, 100);
  c.outbox.backoff_initial = s.get_int("backoff_initial_seconds", 60, 1, 86400) * kMicrosPerSecond;
  c.outbox.backoff_max = s.get_int("backoff_max_seconds", 6 * 3600, 1, 7 * 86400) * kMicrosPerSecond;
  if (c.outbox.backoff_max < c.outbox.backoff_initial)
    s.fail("backoff_max_seconds", "must be at least backoff_initial_seconds");
  c.outbox.rate_limit_period = s.get_int("rate_limit_hours", 24, 0, 24 * 365) * 3600 * kMicrosPerSecond;
  // A claim must outlive one SMTP transaction, or a slow send is claimed twice.
  c.outbox.claim_timeout = (c.smtp.connect_timeout_seconds + c.smtp.timeout_seconds + 30) * kMicrosPerSecond;
  s.finish();
  return c;
}

}  // namespace botwarden::notices
