// Building RFC 5322 / MIME messages: header lines that cannot be injected
// into, RFC 2047 encoded words, quoted-printable bodies, dates, message ids.
// Every header value passes through header_line(), which rejects CR and LF.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/common/time.hpp"

namespace botwarden::notices {

class MessageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "Name: value\r\n". Throws MessageError when the name is not RFC 5322
// ftext, or the value holds CR, LF, NUL or non-ASCII bytes (encode first),
// or the line would pass 998 characters (RFC 5322 §2.1.1).
std::string header_line(std::string_view name, std::string_view value);
// A folded header: each part checked as above, joined by CRLF SP (RFC 5322
// §2.2.3), so folding can only ever happen where this code puts it.
std::string header_line(std::string_view name, const std::vector<std::string>& parts);

// Replaces invalid UTF-8 with U+FFFD so a body labelled UTF-8 is UTF-8.
std::string sanitize_utf8(std::string_view text);
// For the plain-text part and headers: valid UTF-8, control characters
// (C0 incl. CR/LF/TAB, DEL, C1) replaced by '?', at most `max_chars` code
// points (the rest cut and marked with "...").
std::string text_safe(std::string_view text, std::size_t max_chars = 256);

// An unstructured header value (Subject): one part as is when printable
// ASCII and short, else RFC 2047 "B" encoded words of UTF-8 (each at most 75
// characters, never splitting a character), one part per folded line.
// Input with control characters is rejected (use text_safe first).
std::vector<std::string> encode_unstructured(std::string_view text);

// True for an addr-spec we are willing to put into To/From/Reply-To and the
// SMTP envelope: printable ASCII, one '@', no specials, at most 254 chars.
bool is_valid_address(std::string_view address);
// `"Display Name" <addr>` (display name quoted or RFC 2047 encoded) or bare
// `addr`. Throws MessageError for an invalid address.
std::string format_mailbox(std::string_view display_name, std::string_view address);
// The same as header_line parts: one part when "Name: " + it fits in 78
// characters, else one part per encoded word and one for "<addr>", so the
// header folds between them (RFC 5322 §2.1.1, §2.2.3).
std::vector<std::string> format_mailbox_parts(std::string_view header_name, std::string_view display_name,
                                              std::string_view address);
// The domain part of an address ("isp.example" for "abuse@isp.example").
std::string_view address_domain(std::string_view address);

// RFC 5322 §3.3 date-time in UTC: "Wed, 25 Nov 2026 18:50:00 +0000".
std::string format_rfc5322_date(Micros t);

// Quoted-printable (RFC 2045 §6.7) of text whose line breaks are CRLF:
// encoded lines are at most 76 characters; a '.' that starts a line is
// encoded too, so no line can end an SMTP DATA phase.
std::string quoted_printable(std::string_view text);

// Converts LF or CR LF or lone CR line ends to CRLF.
std::string to_crlf(std::string_view text);

// Hex of `bytes` random bytes from libsodium's CSPRNG.
std::string random_hex(std::size_t bytes);
// "<hex@domain>".
std::string make_message_id(std::string_view domain);

}  // namespace botwarden::notices
