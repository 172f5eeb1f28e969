// ASCII helpers for SMTP verbs and addresses: one tested case-insensitive
// compare (SMTP verbs are case-insensitive, RFC 5321 §2.4), no locale.
#pragma once
#include <cstddef>
#include <string_view>

namespace botwarden::smtp {

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// True when `text` begins with `prefix`, ignoring ASCII case.
constexpr bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (ascii_lower(text[i]) != ascii_lower(prefix[i])) return false;
  }
  return true;
}

constexpr bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && starts_with_nocase(a, b);
}

constexpr std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The address of "FROM:<a@b> SIZE=1" / "TO: <a@b>" after the keyword:
// inside angle brackets when present, else up to the first space.
constexpr std::string_view path_argument(std::string_view after_keyword) {
  std::string_view s = trim_spaces(after_keyword);
  if (!s.empty() && s.front() == '<') {
    s.remove_prefix(1);
    const auto close = s.find('>');
    return close == std::string_view::npos ? s : s.substr(0, close);
  }
  const auto space = s.find(' ');
  return space == std::string_view::npos ? s : s.substr(0, space);
}

}  // namespace botwarden::smtp
