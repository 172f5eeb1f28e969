// libFuzzer target: the notice's header and body encoders, fed what bots put
// on the wire (a HELO, a sender domain) and what an ISP types into config.
// Invariants: no input can add a header line or end the SMTP DATA phase:
// every header line is CRLF-terminated, at most 998 octets, and only the
// first starts without white space; quoted-printable lines are at most 76
// octets and never start with '.'; text_safe has no control characters.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "notifier/notices/mime.hpp"

using namespace botwarden::notices;

namespace {

void check_header(const std::string& h, std::string_view name) {
  if (h.size() < 2 || h.compare(h.size() - 2, 2, "\r\n") != 0) std::abort();
  if (h.compare(0, name.size() + 1, std::string(name) + ":") != 0) std::abort();
  std::size_t start = 0;
  bool first = true;
  while (start < h.size()) {
    const auto end = h.find("\r\n", start);
    if (end == std::string::npos) std::abort();
    const std::string_view line(h.data() + start, end - start);
    if (line.size() > 998) std::abort();
    for (const char c : line) {
      if (c == '\r' || c == '\n' || c == '\0') std::abort();
    }
    if (!first && (line.empty() || (line[0] != ' ' && line[0] != '\t'))) std::abort();
    first = false;
    start = end + 2;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Subject from wire text, as notice.cpp builds it.
  const std::string safe = text_safe(input, 200);
  for (const unsigned char c : safe) {
    if (c < 0x20 || c == 0x7f) std::abort();
  }
  try {
    check_header(header_line("Subject", encode_unstructured("Example ISP: " + safe)), "Subject");
  } catch (const MessageError&) {
    // refused is fine: never a malformed header
  }
  // Raw values must be refused, not passed through.
  try {
    check_header(header_line("X-Botwarden-Incident", input), "X-Botwarden-Incident");
  } catch (const MessageError&) {
  }
  // A display name from config or an account record.
  try {
    check_header(header_line("To", format_mailbox_parts("To", safe, "someone@isp.example")), "To");
  } catch (const MessageError&) {
  }
  // Body: quoted-printable of CRLF text.
  const std::string qp = quoted_printable(to_crlf(sanitize_utf8(input)));
  std::size_t start = 0;
  while (start < qp.size()) {
    auto end = qp.find("\r\n", start);
    if (end == std::string::npos) end = qp.size();
    const std::string_view line(qp.data() + start, end - start);
    if (line.size() > 76 || (!line.empty() && line[0] == '.')) std::abort();
    for (const char c : line) {
      if (c == '\r' || c == '\n') std::abort();
    }
    start = end + 2;
  }
  return 0;
}
