// libFuzzer target: the SMTP dialog with reassembly. The input is a list of
// segments: [flags][seq:2][len:1][bytes...]; flags bit 0 = from server,
// bit 1 = a gap instead of bytes. Records are formatted to JSON so the
// whole path from wire bytes to log line is exercised.
#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/smtp/dialog.hpp"
#include "sensor/smtp/reassembly.hpp"
#include "sensor/smtp/session_log.hpp"

using namespace botwarden;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  smtp::SessionContext ctx;
  ctx.uid = "Cfuzz";
  std::size_t bytes_out = 0;
  smtp::SmtpSession session(ctx, [&](smtp::SessionRecord& r) { bytes_out += smtp::format_session_json(r).size(); });
  smtp::StreamReassembler to_server(4096), to_client(4096);
  to_server.syn(0);
  to_client.syn(0);
  smtp::SmtpSession::ClientSide client{&session, 0};
  smtp::SmtpSession::ServerSide server{&session, 0};
  std::size_t i = 0;
  Micros t = 0;
  while (i + 4 <= size) {
    const std::uint8_t flags = data[i];
    const std::uint32_t seq = 1u + ((std::uint32_t{data[i + 1]} << 8) | data[i + 2]);
    std::size_t len = data[i + 3];
    i += 4;
    if (len > size - i) len = size - i;
    const std::span<const std::uint8_t> bytes(data + i, len);
    i += len;
    client.now = server.now = ++t;
    if (flags & 2) {
      if (flags & 1) session.server_gap(len); else session.client_gap(len);
    } else if (flags & 1) {
      to_client.segment(seq, bytes, server);
      to_server.acknowledged(seq, client);
    } else {
      to_server.segment(seq, bytes, client);
    }
  }
  to_server.flush(client);
  to_client.flush(server);
  session.end(t + 1, smtp::SessionEnd::end_of_capture);
  return bytes_out > (std::size_t{1} << 40) ? 1 : 0;
}
