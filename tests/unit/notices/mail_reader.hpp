// Test helper: reads back what compose_notice produced, independently of the
// code under test: header block (unfolded), RFC 2047 words, MIME parts, QP.
#pragma once
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mail_reader {

struct Header {
  std::string name;
  std::string value;  // unfolded
};

struct Message {
  std::vector<Header> headers;
  std::string body;
};

inline Message split(std::string_view raw) {
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string_view::npos) throw std::runtime_error("no end of header block");
  Message m;
  m.body = std::string(raw.substr(end + 4));
  std::string_view block = raw.substr(0, end + 2);
  while (!block.empty()) {
    const auto eol = block.find("\r\n");
    if (eol == std::string_view::npos) throw std::runtime_error("header line without CRLF");
    const std::string_view line = block.substr(0, eol);
    block.remove_prefix(eol + 2);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (m.headers.empty()) throw std::runtime_error("continuation before first header");
      m.headers.back().value += std::string(line);  // unfolding: remove the CRLF only
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) throw std::runtime_error("header line without colon: " + std::string(line));
    Header h{std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))};
    if (!h.value.empty() && h.value[0] == ' ') h.value.erase(0, 1);
    m.headers.push_back(h);
  }
  return m;
}

inline std::vector<std::string> names(const Message& m) {
  std::vector<std::string> out;
  for (const auto& h : m.headers) out.push_back(h.name);
  return out;
}

inline std::string value(const Message& m, std::string_view name) {
  for (const auto& h : m.headers)
    if (h.name == name) return h.value;
  throw std::runtime_error("no header " + std::string(name));
}

inline int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  throw std::runtime_error("bad hex");
}

inline std::string decode_qp(std::string_view qp) {
  std::string out;
  for (std::size_t i = 0; i < qp.size(); ++i) {
    if (qp[i] != '=') {
      out += qp[i];
      continue;
    }
    if (qp.substr(i + 1, 2) == "\r\n") {
      i += 2;
      continue;
    }
    if (i + 2 >= qp.size()) throw std::runtime_error("truncated QP escape");
    out += static_cast<char>(hexval(qp[i + 1]) * 16 + hexval(qp[i + 2]));
    i += 2;
  }
  return out;
}

inline std::string decode_base64(std::string_view in) {
  static const std::string table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned int buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const auto v = table.find(c);
    if (v == std::string::npos) throw std::runtime_error("bad base64");
    buf = (buf << 6) | static_cast<unsigned int>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xFF);
    }
  }
  return out;
}

// Decodes "=?UTF-8?B?...?=" words; whitespace between adjacent words dropped.
inline std::string decode_words(std::string_view v) {
  std::string out;
  std::size_t i = 0;
  bool last_was_word = false;
  while (i < v.size()) {
    if (v.substr(i, 10) == "=?UTF-8?B?") {
      const auto end = v.find("?=", i + 10);
      if (end == std::string_view::npos) throw std::runtime_error("unterminated encoded word");
      if (last_was_word) {
        while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
      }
      out += decode_base64(v.substr(i + 10, end - i - 10));
      i = end + 2;
      last_was_word = true;
    } else {
      if (v[i] != ' ' && v[i] != '\t') last_was_word = false;
      out += v[i++];
    }
  }
  return out;
}

struct Part {
  Message message;
  std::string decoded;
};

// Splits a multipart body by its boundary; decodes quoted-printable parts.
inline std::vector<Part> parts(const Message& m) {
  const std::string type = value(m, "Content-Type");
  const auto b = type.find("boundary=\"");
  if (b == std::string::npos) throw std::runtime_error("no boundary");
  const std::string boundary = type.substr(b + 10, type.find('"', b + 10) - b - 10);
  const std::string delim = "\r\n--" + boundary;
  std::vector<Part> out;
  std::size_t pos = m.body.find(delim);
  if (pos == std::string::npos) throw std::runtime_error("no first boundary");
  while (true) {
    pos += delim.size();
    if (m.body.compare(pos, 4, "--\r\n") == 0) break;
    if (m.body.compare(pos, 2, "\r\n") != 0) throw std::runtime_error("boundary line not followed by CRLF");
    pos += 2;
    const auto next = m.body.find(delim, pos);
    if (next == std::string::npos) throw std::runtime_error("no closing boundary");
    Part p;
    p.message = split(m.body.substr(pos, next - pos));
    p.decoded = decode_qp(p.message.body);
    out.push_back(p);
    pos = next;
  }
  return out;
}

}  // namespace mail_reader
