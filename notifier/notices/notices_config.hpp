// The [notices] section of botwarden.toml: SMTP, sender identity, support
// contact, templates, retry/backoff and the per-account rate limit.
#pragma once
#include <string>

#include "notifier/notices/notice.hpp"
#include "notifier/notices/outbox.hpp"
#include "notifier/notices/smtp.hpp"
#include "sensor/common/config.hpp"

namespace botwarden::notices {

struct NoticesConfig {
  bool enabled = true;
  SmtpSettings smtp;
  NoticeSettings notice;
  OutboxSettings outbox;
  std::string templates_dir = "templates";  // relative to the config file
  double poll_seconds = 5.0;                // how often the worker looks for due notices
};

// Throws ConfigError (file:line: notices.key: message).
NoticesConfig load_notices_config(const ConfigFile& file);

}  // namespace botwarden::notices
