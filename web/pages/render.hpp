// HTML rendering for every page: compiled-in mustache templates (mustache
// escapes every {{value}}; the templates use no unescaped tags), the page
// frame, the stylesheet, and the response headers all pages share
// (Cache-Control: no-store, a CSP without any script source).
#pragma once
#include <kainjow/mustache.hpp>

#include <string>
#include <string_view>

#include "web/server/http.hpp"

namespace botwarden::web {

using Data = kainjow::mustache::data;
using List = kainjow::mustache::data::type;

// No scripts at all; styles only from our own allow-listed static path.
inline constexpr std::string_view kPageContentSecurityPolicy =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'";
inline constexpr std::string_view kStylesheetPath = "/static/botwarden.css";

// Template names: "notice", "neutral", "message", "login", "incidents", "incident", "console_message".
// Renders the named body inside the page frame (lang attribute, viewport, title, stylesheet).
std::string render_page(std::string_view template_name, std::string_view language, std::string_view title,
                        const Data& data);

// text/html response with no-store, the page CSP and nosniff.
Response html_response(const Request& request, Status status, std::string html);
// The stylesheet (GET /static/botwarden.css), cacheable.
Response stylesheet_response(const Request& request);

// Strings of the walled-garden pages in `language` (en, de; anything else: en).
Data page_strings(std::string_view language);
// "en" or "de" for an account language or Accept-Language value.
std::string page_language(std::string_view tag);

}  // namespace botwarden::web
