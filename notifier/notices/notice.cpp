// Notice composition (see notice.hpp).
#include "notice.hpp"

#include "locale.hpp"
#include "mime.hpp"

namespace botwarden::notices {
namespace {

using kainjow::mustache::data;

bool is_token(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

bool is_incident_code(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

bool is_stage_name(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  return true;
}

std::string one_line(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

std::string incident_code(std::int64_t incident_id, std::string_view token) {
  std::string id;
  auto v = static_cast<std::uint64_t>(incident_id < 0 ? 0 : incident_id);
  do {
    id.insert(id.begin(), kCrockford[v % 32]);
    v /= 32;
  } while (v != 0);
  while (id.size() < 4) id.insert(id.begin(), '0');
  // Check: 20 bits of FNV-1a over the token (secret, random): not guessable
  // from the id alone, stable for the incident.
  std::uint32_t h = 2166136261u;
  for (char c : token) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  std::string check;
  for (int i = 0; i < 4; ++i) {
    check += kCrockford[h % 32];
    h /= 32;
  }
  return "BW-" + id + "-" + check;
}

std::optional<ParsedIncidentCode> parse_incident_code(std::string_view code) {
  const auto normal = [](char c) -> char {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'O') return '0';
    if (c == 'I' || c == 'L') return '1';
    return c;
  };
  std::string s;
  for (char c : code) s += normal(c);
  if (s.size() < 12 || s.rfind("BW-", 0) != 0) return std::nullopt;
  const auto dash = s.rfind('-');
  if (dash <= 3 || s.size() - dash - 1 != 4) return std::nullopt;
  ParsedIncidentCode out;
  const std::string_view id = std::string_view(s).substr(3, dash - 3);
  if (id.size() > 12) return std::nullopt;
  for (char c : id) {
    const auto digit = kCrockford.find(c);
    if (digit == std::string_view::npos) return std::nullopt;
    out.incident_id = out.incident_id * 32 + static_cast<std::int64_t>(digit);
  }
  out.check = s.substr(dash + 1);
  for (char c : out.check)
    if (kCrockford.find(c) == std::string_view::npos) return std::nullopt;
  return out;
}

data template_data(const NoticeSettings& settings, const NoticeData& d, const std::string& language) {
  if (!is_token(d.cleanup_token)) throw MessageError("cleanup token must be 1-128 of A-Z a-z 0-9 - _");
  if (!is_incident_code(d.incident_code)) throw MessageError("incident code must be 1-32 of A-Z 0-9 -");
  data v;
  v.set("isp_name", text_safe(settings.isp_name, 128));
  v.set("account_name", text_safe(d.account_name, 64));
  v.set("has_account_name", !d.account_name.empty());
  v.set("incident_code", d.incident_code);
  v.set("stage", text_safe(d.stage, 32));
  if (is_stage_name(d.stage)) v.set("stage_" + d.stage, true);  // {{#stage_walled}}...{{/stage_walled}}
  v.set("first_detection", format_plain_time(d.first_detection, language));
  v.set("last_detection", format_plain_time(d.last_detection, language));
  v.set("sessions", std::to_string(d.sessions));
  v.set("messages", std::to_string(d.messages));
  v.set("destinations", std::to_string(d.destinations));
  for (const auto& detector : d.detectors) {
    if (detector == "bad_helo" || detector == "direct_to_mx" || detector == "snowshoe")
      v.set("detector_" + detector, true);
  }
  // One example only, cut to 100 characters, control characters replaced.
  if (!d.example_helo.empty()) {
    v.set("example_helo", text_safe(d.example_helo, 100));
    v.set("has_example_helo", true);
  } else if (!d.example_destination.empty()) {
    v.set("example_destination", text_safe(d.example_destination, 100));
    v.set("has_example_destination", true);
  }
  std::string base = settings.cleanup_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  v.set("cleanup_url", base + "/cleanup/" + d.cleanup_token);
  v.set("verify_url", text_safe(settings.verify_url, 256));
  v.set("support_phone", text_safe(settings.support_phone, 64));
  v.set("support_url", text_safe(settings.support_url, 256));
  v.set("language", language);
  return v;
}

ComposedNotice compose_notice(const TemplateCatalog& templates, const NoticeSettings& settings,
                              const NoticeData& d, Micros now) {
  const TemplateSet& set = templates.for_language(d.language);
  const RenderedNotice rendered = TemplateCatalog::render(set, template_data(settings, d, set.language));

  ComposedNotice out;
  out.recipient = d.email;
  out.language = set.language;
  out.subject = text_safe(one_line(rendered.subject), 200);
  const std::string domain =
      settings.message_id_domain.empty() ? std::string(address_domain(settings.from_address)) : settings.message_id_domain;
  out.message_id = make_message_id(domain);
  const std::string boundary = "=_bw_" + random_hex(16);  // "=_" never occurs in quoted-printable

  std::string& m = out.message;
  m += header_line("Date", format_rfc5322_date(now));
  m += header_line("Message-ID", out.message_id);
  m += header_line("From", format_mailbox_parts("From", settings.from_name, settings.from_address));
  m += header_line("To", format_mailbox_parts("To", d.account_name, d.email));
  m += header_line("Reply-To", format_mailbox({}, settings.reply_to));
  m += header_line("Subject", encode_unstructured(out.subject));
  m += header_line("Auto-Submitted", "auto-generated");  // RFC 3834 §5
  m += header_line("Content-Language", set.language);
  m += header_line("MIME-Version", "1.0");
  m += header_line("Content-Type", std::vector<std::string>{"multipart/alternative;", "boundary=\"" + boundary + "\""});
  m += "\r\n";
  m += "This is a message in MIME format: a plain-text and an HTML version.\r\n";
  const auto part = [&](std::string_view type, const std::string& body) {
    m += "\r\n--" + boundary + "\r\n";
    m += header_line("Content-Type", std::string(type) + "; charset=UTF-8");
    m += header_line("Content-Transfer-Encoding", "quoted-printable");
    m += "\r\n";
    m += quoted_printable(to_crlf(sanitize_utf8(body)));
  };
  part("text/plain", rendered.text);
  part("text/html", rendered.html);
  m += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace botwarden::notices
