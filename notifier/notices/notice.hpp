// Composing one remediation notice: NoticeData (what the incident says) +
// NoticeSettings (who the ISP is) + templates -> an RFC 5322 message,
// multipart/alternative text/plain + text/html, UTF-8, quoted-printable.
// Values from the wire (HELO, destinations) only ever reach the bodies,
// escaped; never a header. The notice never asks for credentials (RFC 6561 §7).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "sensor/common/time.hpp"
#include "templates.hpp"

namespace botwarden::notices {

struct NoticeData {
  std::string account_id;
  std::string account_name;      // display name; may be empty
  std::string email;             // recipient addr-spec
  std::string language = "en";   // the account's language (fallback en)
  std::string incident_code;     // short human-checkable code, "BW-7K3Q-9XPD"
  std::string stage = "first";   // incident stage: first, reminder, walled, ...
  Micros first_detection = 0;
  Micros last_detection = 0;
  std::int64_t sessions = 0;      // SMTP sessions seen
  std::int64_t messages = 0;      // mail transactions seen
  std::int64_t destinations = 0;  // distinct destination servers
  std::vector<std::string> detectors;  // "bad_helo", "direct_to_mx", "snowshoe"
  // ONE example from the wire: a HELO name, else a destination. Untrusted.
  std::string example_helo;
  std::string example_destination;
  std::string cleanup_token;     // [A-Za-z0-9_-]{1,128}
};

struct NoticeSettings {
  std::string isp_name = "Example ISP";
  std::string from_address = "abuse@isp.example";
  std::string from_name = "Example ISP security team";
  std::string reply_to = "abuse@isp.example";       // the abuse desk
  std::string cleanup_base_url = "https://garden.isp.example";  // + /cleanup/{token}
  std::string verify_url = "https://www.isp.example/security/verify";  // where a code can be checked
  std::string support_phone = "+1 555 0100";
  std::string support_url = "https://www.isp.example/support";
  std::string message_id_domain;  // empty: the domain of from_address
};

struct ComposedNotice {
  std::string message_id;  // "<hex@domain>", stable across retries
  std::string recipient;   // envelope RCPT TO
  std::string language;    // language of the templates used
  std::string subject;     // decoded subject, for the ops console
  std::string message;     // the full RFC 5322 message, CRLF line ends
};

// Throws MessageError for an invalid recipient, sender, token or code, and
// TemplateError never (templates are checked when loaded).
ComposedNotice compose_notice(const TemplateCatalog& templates, const NoticeSettings& settings,
                              const NoticeData& data, Micros now);

// The human-checkable incident code, "BW-" + the incident id in Crockford
// base32 (at least 4 characters) + "-" + 4 check characters derived from the
// incident's secret token: "BW-000Z-9XPD". Someone holding a notice can quote
// it; the ISP's site verifies it with parse_incident_code + find_incident.
std::string incident_code(std::int64_t incident_id, std::string_view token);
struct ParsedIncidentCode {
  std::int64_t incident_id = 0;
  std::string check;  // compare with incident_code(id, token)
};
// Accepts lower case and the Crockford look-alikes (O->0, I/L->1); nullopt
// when it is not a code.
std::optional<ParsedIncidentCode> parse_incident_code(std::string_view code);

// The template data compose_notice renders (exposed for template previews).
kainjow::mustache::data template_data(const NoticeSettings& settings, const NoticeData& data,
                                      const std::string& language);

}  // namespace botwarden::notices
