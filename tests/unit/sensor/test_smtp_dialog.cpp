// SMTP dialog: records from scripted dialogs, fed whole and byte by byte.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sensor/smtp/dialog.hpp"
#include "sensor/smtp/session_log.hpp"

using namespace botwarden;
using namespace botwarden::smtp;

namespace {

struct Step {
  bool client;
  std::string bytes;
};

smtp::SessionContext context(std::uint16_t port = 25) {
  SessionContext ctx;
  ctx.ts = 1764096000'000000;
  ctx.uid = "Ctest";
  ctx.orig_h = *IpAddress::parse("100.64.1.10");
  ctx.orig_p = 40000;
  ctx.resp_h = *IpAddress::parse("203.0.113.5");
  ctx.resp_p = port;
  ctx.implicit_tls = port == 465;
  return ctx;
}

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Runs a dialog; chunk = 0 feeds each step whole, else in pieces of `chunk` bytes.
std::vector<SessionRecord> run(const std::vector<Step>& steps, std::size_t chunk = 0,
                               std::uint16_t port = 25) {
  std::vector<SessionRecord> out;
  SmtpSession s(context(port), [&](SessionRecord& r) { out.push_back(r); });
  Micros t = 1764096000'000000;
  for (const auto& step : steps) {
    t += 10'000;
    std::string_view rest = step.bytes;
    while (!rest.empty()) {
      const auto n = chunk == 0 ? rest.size() : std::min(chunk, rest.size());
      if (step.client) s.client_data(bytes_of(rest.substr(0, n)), t);
      else s.server_data(bytes_of(rest.substr(0, n)), t);
      rest.remove_prefix(n);
    }
  }
  s.end(t + 10'000, SessionEnd::closed);
  return out;
}

std::vector<std::string> json(const std::vector<SessionRecord>& records) {
  std::vector<std::string> lines;
  for (const auto& r : records) lines.push_back(format_session_json(r));
  return lines;
}

const std::vector<Step> kPipelined = {
    {false, "220 mx.example.net ESMTP\r\n"},
    {true, "EHLO pc1.example.org\r\n"},
    {false, "250-mx.example.net\r\n250-PIPELINING\r\n250 CHUNKING\r\n"},
    {true, "MAIL FROM:<a@example.org> SIZE=10\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n"},
    {false, "250 ok\r\n250 ok\r\n550 5.1.1 unknown\r\n354 go\r\n"},
    {true, "Subject: x\r\n\r\nline\r\n.\r\n"},
    {false, "250 queued\r\n"},
    {true, "MAIL FROM:<second@example.org>\r\nRCPT TO:<d@example.net>\r\nBDAT 7 LAST\r\nabc\r\n.\r"},
    {false, "250 ok\r\n250 ok\r\n250 done\r\n"},
    {true, "QUIT\r\n"},
    {false, "221 bye\r\n"},
};

}  // namespace

TEST_CASE("a pipelined dialog gives one record per transaction") {
  const auto records = run(kPipelined);
  REQUIRE(records.size() == 2);
  const auto& a = records[0];
  CHECK(a.trans_depth == 1);
  CHECK(a.helo == "pc1.example.org");
  CHECK(a.ehlo);
  CHECK(a.banner == "mx.example.net ESMTP");
  CHECK(a.mailfrom == "a@example.org");
  CHECK(a.rcptto == std::vector<std::string>{"b@example.net", "c@example.net"});
  CHECK(a.rcpt_rejected == 1);
  CHECK(a.msg_bytes == 20);  // "Subject: x\r\n\r\nline\r\n" (12 + 2 + 6) without ".\r\n"
  CHECK(a.data_accepted);
  CHECK_FALSE(a.rejected);
  CHECK(a.last_reply == "250 queued");
  CHECK(a.replies_5xx == 1);
  const auto& b = records[1];
  CHECK(b.trans_depth == 2);
  CHECK(b.mailfrom == "second@example.org");
  CHECK(b.msg_bytes == 7);  // the BDAT chunk, even though it looks like an end of data
  CHECK(b.data_accepted);
  CHECK(b.last_reply == "250 done");
  CHECK(b.replies_5xx == 0);
}

TEST_CASE("byte by byte, in odd chunks and all at once give the same records") {
  const auto whole = json(run(kPipelined));
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
    CAPTURE(chunk);
    CHECK(json(run(kPipelined, chunk)) == whole);
  }
}

TEST_CASE("after STARTTLS is accepted the rest is opaque") {
  const auto records = run({
      {false, "220 mx\r\n"},
      {true, "EHLO pc\r\n"},
      {false, "250 STARTTLS\r\n"},
      {true, "STARTTLS\r\n"},
      {false, "220 go ahead\r\n"},
      {true, "MAIL FROM:<hidden@example.org>\r\nRCPT TO:<x@y>\r\n"},
      {false, "250 ok\r\n"},
  });
  REQUIRE(records.size() == 1);
  CHECK(records[0].tls);
  CHECK(records[0].trans_depth == 0);
  CHECK(records[0].mailfrom.empty());
  CHECK(records[0].last_reply == "220 go ahead");
}

TEST_CASE("STARTTLS refused keeps the dialog in clear") {
  const auto records = run({
      {false, "220 mx\r\n"},
      {true, "STARTTLS\r\n"},
      {false, "454 TLS not available\r\n"},
      {true, "MAIL FROM:<a@b>\r\n"},
      {false, "250 ok\r\n"},
  });
  REQUIRE(records.size() == 1);
  CHECK_FALSE(records[0].tls);
  CHECK(records[0].mailfrom == "a@b");
  CHECK(records[0].replies_4xx == 1);
}

TEST_CASE("port 465 is TLS from the first byte") {
  const auto records = run({{true, "EHLO x\r\n"}, {false, "250 ok\r\n"}}, 0, 465);
  REQUIRE(records.size() == 1);
  CHECK(records[0].tls);
  CHECK(records[0].helo.empty());
}

TEST_CASE("AUTH is noted and its credentials never kept") {
  const std::vector<Step> steps = {
      {false, "220 mx\r\n"},
      {true, "EHLO pc\r\n"},
      {false, "250 AUTH PLAIN LOGIN\r\n"},
      {true, "AUTH LOGIN\r\n"},
      {false, "334 VXNlcm5hbWU6\r\n"},
      {true, "c2VjcmV0LXVzZXI=\r\n"},
      {false, "334 UGFzc3dvcmQ6\r\n"},
      {true, "MAIL FROM:<looks-like-a-command>\r\n"},  // a SASL response, not a command
      {false, "535 5.7.8 bad credentials\r\n"},
      {true, "AUTH PLAIN AGh1bnRlcjIAaHVudGVyMg==\r\n"},
      {false, "235 ok\r\n"},
  };
  for (std::size_t chunk : {0u, 1u}) {
    const auto records = run(steps, chunk);
    REQUIRE(records.size() == 1);
    CHECK(records[0].auth);
    CHECK(records[0].mailfrom.empty());
    CHECK(records[0].trans_depth == 0);
    const auto line = format_session_json(records[0]);
    CHECK(line.find("c2VjcmV0") == std::string::npos);
    CHECK(line.find("AGh1bnRlcjIA") == std::string::npos);
    CHECK(line.find("looks-like") == std::string::npos);
    CHECK(records[0].last_reply == "235 ok");
  }
}

TEST_CASE("an overlong command is truncated at 510 bytes and flagged") {
  const std::string helo(700, 'h');
  const auto records = run({{false, "220 mx\r\n"}, {true, "HELO " + helo + "\r\n"}, {false, "250 ok\r\n"},
                            {true, "MAIL FROM:<a@b>\r\n"}, {false, "250 ok\r\n"}});
  REQUIRE(records.size() == 1);
  CHECK(records[0].helo == std::string(kMaxFieldBytes, 'h'));
  CHECK(records[0].weirds == std::vector<std::string>{"smtp_truncated_line"});
  CHECK(records[0].mailfrom == "a@b");  // the next command is parsed normally
}

TEST_CASE("bare LF ends lines and the body") {
  const auto records = run({{false, "220 mx\n"}, {true, "HELO pc\n"}, {false, "250 ok\n"},
                            {true, "MAIL FROM:<a@b>\nRCPT TO:<c@d>\nDATA\n"},
                            {false, "250 ok\n250 ok\n354 go\n"}, {true, "x\n.\n"}, {false, "250 queued\n"}});
  REQUIRE(records.size() == 1);
  CHECK(records[0].helo == "pc");
  CHECK(records[0].msg_bytes == 2);
  CHECK(records[0].data_accepted);
}

TEST_CASE("a session without a transaction gives one record, a 554 greeting makes it rejected") {
  const auto records = run({{false, "554 5.7.1 go away\r\n"}, {true, "QUIT\r\n"}, {false, "221 bye\r\n"}});
  REQUIRE(records.size() == 1);
  CHECK(records[0].trans_depth == 0);
  CHECK(records[0].rejected);
  CHECK(records[0].banner == "5.7.1 go away");
}

TEST_CASE("all recipients refused makes the transaction rejected") {
  const auto records = run({{false, "220 mx\r\n"}, {true, "MAIL FROM:<a@b>\r\n"}, {false, "250 ok\r\n"},
                            {true, "RCPT TO:<x@y>\r\n"}, {false, "550 no\r\n"}, {true, "RCPT TO:<z@y>\r\n"},
                            {false, "550 no\r\n"}});
  REQUIRE(records.size() == 1);
  CHECK(records[0].rejected);
  CHECK(records[0].rcpt_rejected == 2);
}

TEST_CASE("RSET ends a transaction; the next MAIL starts another") {
  const auto records = run({{false, "220 mx\r\n"}, {true, "MAIL FROM:<a@b>\r\n"}, {false, "250 ok\r\n"},
                            {true, "RSET\r\n"}, {false, "250 ok\r\n"}, {true, "MAIL FROM:<c@d>\r\n"},
                            {false, "250 ok\r\n"}});
  REQUIRE(records.size() == 2);
  CHECK(records[0].mailfrom == "a@b");
  CHECK(records[1].mailfrom == "c@d");
  CHECK(records[1].trans_depth == 2);
}

TEST_CASE("the pending command queue is bounded") {
  std::string flood;
  for (std::size_t i = 0; i < kMaxPendingCommands + 50; ++i) flood += "NOOP\r\n";
  std::vector<SessionRecord> out;
  SmtpSession s(context(), [&](SessionRecord& r) { out.push_back(r); });
  s.server_data(bytes_of("220 mx\r\n"), 1);
  s.client_data(bytes_of(flood), 2);
  CHECK(s.weird_count(Weird::excessive_pending_cmds) == 50);
  s.end(3, SessionEnd::end_of_capture);
  REQUIRE(out.size() == 1);
  CHECK(out[0].partial);
}

TEST_CASE("a gap inside DATA still counts the body and ends at the dot") {
  std::vector<SessionRecord> out;
  SmtpSession s(context(), [&](SessionRecord& r) { out.push_back(r); });
  s.server_data(bytes_of("220 mx\r\n"), 1);
  s.client_data(bytes_of("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"), 2);
  s.server_data(bytes_of("250 ok\r\n250 ok\r\n354 go\r\n"), 3);
  s.client_data(bytes_of("0123456789"), 4);
  s.client_gap(100);
  s.client_data(bytes_of("abc\r\n.\r\n"), 5);
  s.server_data(bytes_of("250 queued\r\n"), 6);
  REQUIRE(out.size() == 1);
  CHECK(out[0].msg_bytes == 115);
  CHECK(out[0].partial);
  CHECK(out[0].data_accepted);
  CHECK(out[0].weirds == std::vector<std::string>{"smtp_content_gap"});
}

TEST_CASE("the end of capture mid-dialog makes the record partial; QUIT does not") {
  auto records = run({{false, "220 mx\r\n"}, {true, "QUIT\r\n"}, {false, "221 bye\r\n"}});
  REQUIRE(records.size() == 1);
  CHECK_FALSE(records[0].partial);
  std::vector<SessionRecord> out;
  SmtpSession s(context(), [&](SessionRecord& r) { out.push_back(r); });
  s.server_data(bytes_of("220 mx\r\n"), 1);
  s.client_data(bytes_of("MAIL FROM:<a@b>\r\n"), 2);
  s.end(3, SessionEnd::end_of_capture);
  s.end(4, SessionEnd::end_of_capture);  // idempotent
  REQUIRE(out.size() == 1);
  CHECK(out[0].partial);
  CHECK(out[0].mailfrom == "a@b");
}

TEST_CASE("BDAT with a bad size is a named weird") {
  std::vector<SessionRecord> out;
  SmtpSession s(context(), [&](SessionRecord& r) { out.push_back(r); });
  s.server_data(bytes_of("220 mx\r\n"), 1);
  s.client_data(bytes_of("BDAT 99999999999999999999999\r\nBDAT x\r\n"), 2);
  CHECK(s.weird_count(Weird::bad_bdat_size) == 2);
}
