// RFC 5322 / MIME building blocks (see mime.hpp).
#include "mime.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <ctime>
#include <vector>

namespace botwarden::notices {
namespace {

constexpr std::size_t kMaxLine = 998;  // RFC 5322 §2.1.1, without CRLF
constexpr char kHex[] = "0123456789ABCDEF";

// Decodes one UTF-8 sequence at text[i]; returns its length, or 0 when invalid
// (overlong, surrogate, beyond U+10FFFF, truncated). Stores the code point.
std::size_t utf8_sequence(std::string_view text, std::size_t i, std::uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) { cp = b0; return 1; }
  std::size_t len = 0;
  std::uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1Fu; min = 0x80; }
  else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0Fu; min = 0x800; }
  else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07u; min = 0x10000; }
  else return 0;
  if (i + len > text.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool is_ascii_printable(std::string_view s) {
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b > 0x7E) return false;
  }
  return true;
}

std::string base64(std::string_view in) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                            (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += rest == 2 ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// RFC 2047 "B" encoded words of UTF-8, each at most 75 characters and never
// splitting a character (§5 rule 3).
std::vector<std::string> encoded_words(std::string_view utf8) {
  constexpr std::string_view prefix = "=?UTF-8?B?";
  constexpr std::size_t max_payload = 39;  // 39 bytes -> 52 base64 chars: "Subject: " + 64 <= 78
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < utf8.size()) {
    std::size_t end = i;
    while (end < utf8.size()) {
      std::uint32_t cp = 0;
      std::size_t len = utf8_sequence(utf8, end, cp);
      if (len == 0) len = 1;  // caller sanitised; never loop forever
      if (end + len - i > max_payload) break;
      end += len;
    }
    out.push_back(std::string(prefix) + base64(utf8.substr(i, end - i)) + "?=");
    i = end;
  }
  return out;
}

}  // namespace

std::string header_line(std::string_view name, std::string_view value) {
  if (name.empty()) throw MessageError("header name is empty");
  for (char c : name) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 33 || b > 126 || c == ':') throw MessageError("header name '" + std::string(name) + "' is not RFC 5322 ftext");
  }
  for (char c : value) {
    if (c == '\r' || c == '\n') throw MessageError("header " + std::string(name) + ": value contains CR or LF");
    const auto b = static_cast<unsigned char>(c);
    if (b == 0 || b > 0x7E) throw MessageError("header " + std::string(name) + ": value contains NUL or non-ASCII bytes");
  }
  // Folded values (CRLF SP inside) are only made by this file's encoders,
  // which never pass through here unfolded; check the unfolded line length.
  if (name.size() + 2 + value.size() > kMaxLine)
    throw MessageError("header " + std::string(name) + ": line longer than 998 characters");
  std::string line;
  line.reserve(name.size() + value.size() + 4);
  line.append(name).append(": ").append(value).append("\r\n");
  return line;
}

std::string header_line(std::string_view name, const std::vector<std::string>& parts) {
  if (parts.empty()) return header_line(name, std::string_view{});
  std::string out = header_line(name, parts.front());
  for (std::size_t i = 1; i < parts.size(); ++i) {
    // Checked with the same rules; a continuation line must not be blank.
    const std::string line = header_line(name, parts[i]);
    if (parts[i].empty()) throw MessageError("header " + std::string(name) + ": empty folded part");
    out.resize(out.size() - 2);
    out.append("\r\n ").append(line.substr(name.size() + 2));
  }
  return out;
}

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8_sequence(text, i, cp);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string text_safe(std::string_view text, std::size_t max_chars) {
  const std::string valid = sanitize_utf8(text);
  std::string out;
  out.reserve(valid.size());
  std::size_t i = 0;
  std::size_t chars = 0;
  while (i < valid.size()) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8_sequence(valid, i, cp);  // valid: len >= 1
    if (chars == max_chars) {
      out += "...";
      break;
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
      out += '?';
    } else {
      out.append(valid, i, len);
    }
    i += len;
    ++chars;
  }
  return out;
}

std::vector<std::string> encode_unstructured(std::string_view text) {
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) throw MessageError("header value contains control characters");
  }
  const std::string valid = sanitize_utf8(text);
  // "Subject: " + value must fit in the recommended 78 (RFC 5322 §2.1.1).
  if (is_ascii_printable(valid) && valid.size() <= 68 && valid.find("=?") == std::string::npos) return {valid};
  return encoded_words(valid);
}

bool is_valid_address(std::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  const auto at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
  if (address.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : address) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7F) return false;
    if (std::string_view("<>()[]\\,;:\"").find(c) != std::string_view::npos) return false;
  }
  const auto domain = address.substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos) return false;
  return true;
}

std::vector<std::string> format_mailbox_parts(std::string_view header_name, std::string_view display_name,
                                              std::string_view address) {
  if (!is_valid_address(address)) throw MessageError("invalid email address '" + text_safe(address, 64) + "'");
  if (display_name.empty()) return {std::string(address)};
  const std::string name = text_safe(display_name, 64);
  std::vector<std::string> parts;
  if (is_ascii_printable(name) && name.find("=?") == std::string::npos) {
    std::string quoted = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    parts.push_back(std::move(quoted));
  } else {
    parts = encoded_words(name);
  }
  parts.push_back("<" + std::string(address) + ">");
  std::size_t one_line = header_name.size() + 2;
  for (const auto& p : parts) one_line += p.size() + 1;
  if (one_line - 1 <= 78) {
    std::string joined;
    for (const auto& p : parts) joined += (joined.empty() ? "" : " ") + p;
    return {joined};
  }
  return parts;
}

std::string format_mailbox(std::string_view display_name, std::string_view address) {
  std::string joined;
  for (const auto& p : format_mailbox_parts("", display_name, address)) joined += (joined.empty() ? "" : " ") + p;
  return joined;
}

std::string_view address_domain(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

std::string format_rfc5322_date(Micros t) {
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t secs = static_cast<std::time_t>(t / kMicrosPerSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days.at(static_cast<std::size_t>(tm.tm_wday)),
                tm.tm_mday, months.at(static_cast<std::size_t>(tm.tm_mon)), tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string quoted_printable(std::string_view text) {
  constexpr std::size_t kMaxEncoded = 76;  // RFC 2045 §6.7 rule 5
  std::string out;
  out.reserve(text.size() * 11 / 10 + 16);
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find("\r\n", start);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    std::size_t col = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto b = static_cast<unsigned char>(line[i]);
      const bool at_end = i + 1 == line.size();
      bool literal = (b >= 33 && b <= 126 && b != '=') || ((b == ' ' || b == '\t') && !at_end);
      if (b == '.' && col == 0) literal = false;  // no line may start with '.' (SMTP end of data)
      const std::size_t width = literal ? 1 : 3;
      // Keep room for the soft break '=' unless this is the line's last char.
      if (col + width > (at_end ? kMaxEncoded : kMaxEncoded - 1)) {
        out += "=\r\n";
        col = 0;
        if (b == '.') literal = false;
      }
      if (literal) {
        out += static_cast<char>(b);
        col += 1;
      } else {
        out += '=';
        out += kHex[b >> 4];
        out += kHex[b & 15];
        col += 3;
      }
    }
    if (last) break;
    out += "\r\n";
    start = end + 2;
  }
  return out;
}

std::string random_hex(std::size_t bytes) {
  if (sodium_init() < 0) throw MessageError("libsodium could not be initialised");
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char b : buf) {
    out += "0123456789abcdef"[b >> 4];
    out += "0123456789abcdef"[b & 15];
  }
  return out;
}

std::string make_message_id(std::string_view domain) {
  return "<" + random_hex(16) + "@" + std::string(domain) + ">";
}

}  // namespace botwarden::notices
