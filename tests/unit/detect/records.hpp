// Builders for SMTP session records as the SMTP stage produces them.
#pragma once
#include <string>
#include <vector>

#include "sensor/common/ip.hpp"
#include "sensor/smtp/session_record.hpp"

namespace botwarden::testing {

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }

inline constexpr Micros kT0 = 1'764'000'000LL * kMicrosPerSecond;  // 2025-11-24T16:00:00Z

// A session from `client` to `server` on port 25 (direct path) lasting `length`.
inline smtp::SessionRecord direct_session(const char* client, const std::string& server, Micros at, Micros length) {
  smtp::SessionRecord r;
  r.ts = at;
  r.last_ts = at + length;
  r.uid = "Ctest";
  r.orig_h = ip(client);
  r.orig_p = 40000;
  r.resp_h = *IpAddress::parse(server);
  r.resp_p = 25;
  r.path = smtp::Path::direct;
  return r;
}

// One delivered message from `client` to `server` on port 25 (direct path).
inline smtp::SessionRecord delivery(const char* client, const std::string& server, const std::string& helo,
                                    Micros at, const std::string& mailfrom = "alice@smithplumbing.com",
                                    const std::string& rcpt = "bob@example.org") {
  auto r = direct_session(client, server, at, 500'000);
  r.trans_depth = 1;
  r.helo = helo;
  r.ehlo = true;
  r.helo_count = 1;
  r.banner = "220 mx." + server + ".example.net ESMTP Postfix";
  for (auto& c : r.banner) {
    if (c == ':') c = '-';
  }
  r.mailfrom = mailfrom;
  r.rcptto = {rcpt};
  r.last_reply = "250 2.0.0 Ok: queued as 4F1C2";
  r.last_reply_code = 250;
  r.msg_bytes = 4200;
  r.data_accepted = true;
  return r;
}

// The same, refused by a blocklisting receiver naming the client's address.
inline smtp::SessionRecord blocklisted(const char* client, const std::string& server, const std::string& helo,
                                       Micros at) {
  auto r = delivery(client, server, helo, at);
  r.data_accepted = false;
  r.rejected = true;
  r.replies_5xx = 1;
  r.rcpt_rejected = 1;
  r.last_reply_code = 221;
  r.reject_reply = std::string("554 5.7.1 Service unavailable; Client host [") + client +
                   "] blocked using zen.spamhaus.org";
  r.last_reply = "221 2.0.0 Bye";
  r.msg_bytes = 0;
  return r;
}

// A connection refused at the banner (RFC 5321 §3.1: 554 instead of 220) by
// a receiver naming a blocklist and the client's address; the client said
// nothing, as the SMTP stage records it.
inline smtp::SessionRecord banner_refusal(const char* client, const std::string& server, Micros at,
                                          const std::string& text = "") {
  auto r = direct_session(client, server, at, 200'000);
  r.last_reply = text.empty() ? std::string("554 5.7.1 Service unavailable; Client host [") + client +
                                    "] blocked using zen.spamhaus.org"
                              : text;
  r.banner = r.last_reply.substr(4);
  r.last_reply_code = 554;
  r.reject_reply = r.last_reply;
  r.rejected = true;
  r.replies_5xx = 1;
  return r;
}

// A mail client submitting through the ISP relay or a submission port.
inline smtp::SessionRecord submission(const char* client, const std::string& helo, Micros at,
                                      smtp::Path path = smtp::Path::relay) {
  smtp::SessionRecord r = delivery(client, path == smtp::Path::relay ? "198.51.100.25" : "203.0.113.80",
                                   helo, at, "john@gmail.com", "mum@example.org");
  r.path = path;
  r.resp_p = path == smtp::Path::relay ? 25 : 587;
  r.banner = path == smtp::Path::relay ? "220 smtp.isp.example ESMTP" : "220 smtp.gmail.com ESMTP";
  r.auth = true;
  r.tls = true;
  return r;
}

// Distinct outside MX addresses: 203.0.113.x then 198.18.x.y.
inline std::string mx(unsigned n) {
  if (n < 250) return "203.0.113." + std::to_string(n + 1);
  return "198.18." + std::to_string((n / 250) % 250) + "." + std::to_string(n % 250 + 1);
}

}  // namespace botwarden::testing
