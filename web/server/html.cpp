// HTML escaping and header-value checks.
#include "web/server/html.hpp"

#include <stdexcept>

namespace botwarden::web {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

bool is_safe_header_value(std::string_view value) {
  for (const char c : value) {
    const auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && b != '\t') || b == 0x7F) return false;
  }
  return true;
}

std::string checked_header_value(std::string_view field, std::string_view value) {
  if (!is_safe_header_value(value)) {
    throw std::invalid_argument("header " + std::string(field) + ": value contains a control character (CR, LF or NUL)");
  }
  return std::string(value);
}

}  // namespace botwarden::web
