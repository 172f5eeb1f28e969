// SMTP sending via libcurl (see smtp.hpp). libcurl does the dialog, dot
// stuffing (RFC 5321 §4.5.2), STARTTLS and AUTH; we only feed it the message.
#include "smtp.hpp"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <mutex>

namespace botwarden::notices {
namespace {

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_callback(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t room = size * count;
  const std::size_t n = std::min(room, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

SendResult::Outcome classify_smtp(bool curl_ok, long smtp_code) {
  if (curl_ok) return SendResult::Outcome::sent;
  if (smtp_code >= 500 && smtp_code <= 599) return SendResult::Outcome::failed;  // RFC 5321 §4.2.1: permanent
  return SendResult::Outcome::retry;  // 4xx (transient), or no reply: connection, TLS, timeout
}

SmtpSender::SmtpSender(SmtpSettings settings) : settings_(std::move(settings)) { global_init(); }

SendResult SmtpSender::send(std::string_view mail_from, std::string_view rcpt_to, std::string_view message) const {
  SendResult result;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    result.detail = "libcurl could not create a handle";
    return result;
  }
  CURL* c = curl.get();
  const std::string from = "<" + std::string(mail_from) + ">";
  const std::string rcpt = "<" + std::string(rcpt_to) + ">";
  std::unique_ptr<curl_slist, SlistDeleter> rcpts(curl_slist_append(nullptr, rcpt.c_str()));
  Upload upload{message, 0};
  char error[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(c, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");  // no other scheme from a config typo
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_callback);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, settings_.connect_timeout_seconds);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, settings_.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  if (settings_.starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!settings_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, settings_.ca_file.c_str());
  if (!settings_.tls_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!settings_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, settings_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.password.c_str());
  }

  const CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  result.smtp_code = code;
  result.outcome = classify_smtp(rc == CURLE_OK, code);
  if (rc != CURLE_OK) {
    const std::string what = error[0] != '\0' ? error : curl_easy_strerror(rc);
    result.detail = code != 0 ? std::to_string(code) + " from server: " + what : what;
  } else {
    result.detail = std::to_string(code) + " accepted";
  }
  return result;
}

}  // namespace botwarden::notices
