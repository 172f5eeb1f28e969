// Output hygiene for every page: HTML escaping, and a check that a header
// value cannot split a response (CR/LF injection, RFC 9110 §5.5).
#pragma once
#include <string>
#include <string_view>

namespace botwarden::web {

// Escapes & < > " ' for HTML text and attribute values (double- or single-quoted).
std::string html_escape(std::string_view text);

// True when `value` may be sent as a header field value: no CR, LF or NUL,
// no other control characters except horizontal tab (RFC 9110 §5.5 field-value).
bool is_safe_header_value(std::string_view value);

// Returns `value` unchanged, or throws std::invalid_argument naming `field`
// when it is not is_safe_header_value.
std::string checked_header_value(std::string_view field, std::string_view value);

}  // namespace botwarden::web
