// Sending one RFC 5322 message over SMTP with libcurl (STARTTLS, AUTH,
// timeouts), and classifying the outcome for the outbox: 5xx is permanent,
// everything else (no connection, timeouts, 4xx) is worth a retry.
#pragma once
#include <string>
#include <string_view>

namespace botwarden::notices {

struct SmtpSettings {
  std::string url = "smtp://127.0.0.1:25";  // smtp:// or smtps://; a path sets the EHLO name
  bool starttls = false;     // require STARTTLS (CURLUSESSL_ALL): never send in clear text
  bool tls_verify = true;    // verify the server certificate and host name
  std::string ca_file;       // PEM CA bundle to verify with (an internal CA); empty: the system's
  std::string username;      // AUTH when non-empty
  std::string password;
  long connect_timeout_seconds = 10;
  long timeout_seconds = 60;  // whole transaction
};

struct SendResult {
  enum class Outcome { sent, retry, failed };
  Outcome outcome = Outcome::retry;
  long smtp_code = 0;   // last SMTP reply code (CURLINFO_RESPONSE_CODE), 0 when none
  std::string detail;   // for the abuse desk: "550 from server: RCPT failed: 550", "couldn't connect ..."
};

// The outbox's rule: a 5xx reply is permanent; a 4xx, no reply at all, or a
// transport failure is transient.
SendResult::Outcome classify_smtp(bool curl_ok, long smtp_code);

class SmtpSender {
 public:
  explicit SmtpSender(SmtpSettings settings);
  // Sends `message` (CRLF line ends) from `mail_from` to one recipient.
  // Never throws for network or server failures: they are in the result.
  SendResult send(std::string_view mail_from, std::string_view rcpt_to, std::string_view message) const;
  const SmtpSettings& settings() const { return settings_; }

 private:
  SmtpSettings settings_;
};

}  // namespace botwarden::notices
