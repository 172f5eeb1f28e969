// The SMTP session record: what the SMTP stage hands to subscriber behaviour
// and writes to the session log (one record per transaction, or one for a
// session that ended without any). Envelope metadata only, never content.
// This is the interface between sensor/smtp and sensor/behaviour.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sensor/common/ip.hpp"
#include "sensor/common/time.hpp"

namespace botwarden::smtp {

// Where a session goes, judged from the server side (docs/ARCHITECTURE.md).
enum class Path : std::uint8_t {
  relay,       // to a configured ISP relay (smtp_relays), any port
  submission,  // to any other server on 587 or 465 (RFC 6409 / RFC 8314)
  direct,      // to any other server on 25 or another port: direct-to-MX
};
const char* to_string(Path p);

// Bounds on strings kept from the wire (RFC 5321 §4.5.3.1: 512-octet command
// lines; a HELO argument or address longer than this is truncated).
inline constexpr std::size_t kMaxFieldBytes = 256;
inline constexpr std::size_t kMaxRcptPerRecord = 100;
inline constexpr std::size_t kMaxReplyBytes = 256;

struct SessionRecord {
  Micros ts = 0;                // time of the session's first packet (Zeek `ts`)
  std::string uid;              // flow id, stable within one run ("C" + hex)
  IpAddress orig_h;             // client (the subscriber, normally)
  std::uint16_t orig_p = 0;
  IpAddress resp_h;             // server
  std::uint16_t resp_p = 0;
  bool subscriber_is_orig = true;  // false when the subscriber runs the server
  Path path = Path::direct;
  unsigned trans_depth = 0;     // 1-based transaction number; 0 = session without a transaction
  std::string helo;             // last HELO/EHLO argument, bounded, raw bytes
  bool ehlo = false;            // EHLO rather than HELO
  unsigned helo_count = 0;      // HELO/EHLO commands in the session so far
  std::string banner;           // first line of the server's 220 greeting, bounded
  std::string mailfrom;         // without angle brackets, as Zeek logs it
  std::vector<std::string> rcptto;  // accepted or not, without angle brackets
  unsigned rcpt_rejected = 0;   // RCPT answered with 4xx/5xx
  std::string last_reply;       // last server reply line ("550 5.7.1 ...")
  unsigned last_reply_code = 0;
  std::string reject_reply;     // first refusal in this record's span, bounded: the first 5xx
                                // line, else the first 4xx; blocklist texts are found here
  bool rejected = false;        // the server refused the session or transaction (5xx to
                                // HELO/MAIL/all RCPTs/DATA, or a 554 banner)
  unsigned replies_5xx = 0;     // 5xx replies in this record's span
  unsigned replies_4xx = 0;
  bool tls = false;             // STARTTLS accepted (rest opaque) or implicit TLS (465)
  bool auth = false;            // client sent AUTH (credentials are never kept)
  std::uint64_t msg_bytes = 0;  // DATA/BDAT body size, counted then discarded
  bool partial = false;         // a gap in the stream or the capture ended mid-session
  bool data_accepted = false;   // 250 after the end of DATA (a message went out)
  Micros last_ts = 0;           // time of the last packet that fed this record
  // Added by the sensor pipeline (issue #5):
  std::string ndpi;             // nDPI's verdict on the flow ("SMTP", "SMTPS", "Unknown", ...)
  std::vector<std::string> weirds;  // named anomalies in this record's span (smtp::Weird names)
};

}  // namespace botwarden::smtp
