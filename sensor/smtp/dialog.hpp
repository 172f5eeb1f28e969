// The SMTP dialog state machine (RFC 5321): fed the two reassembled byte
// streams of one TCP connection, it pairs commands with replies and emits
// one SessionRecord per transaction, plus one for a session that ends
// without a transaction (when it carried any bytes). Mechanism only: judging the session is for
// sensor/detect. Message bodies and credentials are skipped, never kept.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "sensor/smtp/line_splitter.hpp"
#include "sensor/smtp/session_record.hpp"

namespace botwarden::smtp {

enum class SmtpState : std::uint8_t {
  connected,       // at the start: waiting for the server's greeting
  ready,           // after the greeting (or a first command when it was missed), after a
                   // transaction ends, after RSET: HELO/EHLO/MAIL expected
  in_transaction,  // after MAIL FROM is sent: RCPT TO and DATA/BDAT follow
  in_data,         // after 354 to DATA: client bytes are the body up to CRLF.CRLF
  in_bdat,         // after a BDAT command line: the next <size> client bytes are a chunk
  in_auth,         // after 334 to AUTH: client lines are SASL responses, skipped unread
  in_tls,          // after 220 to STARTTLS, or from the first byte on port 465: opaque
  after_gap,       // after a gap in either stream: pending commands forgotten
  quit,            // after 221 to QUIT, or the end of the connection: nothing more is parsed
};
const char* to_string(SmtpState s);

// Named anomalies (Zeek "weirds"); each is counted and listed on the record.
enum class Weird : std::uint8_t {
  truncated_line,          // a line longer than RFC 5321 §4.5.3.1.4/5 (512 octets with CRLF)
  excessive_pending_cmds,  // more than kMaxPendingCommands unanswered (RFC 2920 pipelining)
  unmatched_reply,         // a reply with no command waiting for it
  bad_reply_line,          // a server line that does not start with a 3-digit code
  bad_bdat_size,           // BDAT without a valid chunk size (RFC 3030 §2)
  excessive_rcpts,         // more than kMaxRcptPerRecord RCPT TO in one transaction
  content_gap,             // bytes missing from a stream
  data_after_quit,         // client bytes after 221 to QUIT
  count_,
};
inline constexpr std::size_t kWeirdCount = static_cast<std::size_t>(Weird::count_);
const char* to_string(Weird w);

inline constexpr std::size_t kMaxPendingCommands = 100;  // Zeek: max_pending_cmd_q_size
inline constexpr std::uint64_t kMaxBdatChunk = 1ULL << 40;

// Why the dialog ended (for `partial`): only a cut-off capture makes it partial.
enum class SessionEnd : std::uint8_t { closed, timeout, end_of_capture };

struct SessionContext {
  Micros ts = 0;
  std::string uid;
  IpAddress orig_h;
  std::uint16_t orig_p = 0;
  IpAddress resp_h;
  std::uint16_t resp_p = 0;
  bool subscriber_is_orig = true;
  Path path = Path::direct;
  bool implicit_tls = false;  // port 465 (RFC 8314): TLS from the first byte
  bool missed_start = false;  // the connection's SYN was not seen: the start may be missing
};

class SmtpSession {
 public:
  // Called with each finished record; the callee may add to it (e.g. nDPI's verdict).
  using Emit = std::function<void(SessionRecord&)>;
  SmtpSession(const SessionContext& ctx, Emit emit);

  void client_data(std::span<const std::uint8_t> bytes, Micros now);
  void server_data(std::span<const std::uint8_t> bytes, Micros now);
  void client_gap(std::uint64_t bytes);
  void server_gap(std::uint64_t bytes);
  // Ends the dialog, emitting what is left. Idempotent.
  void end(Micros now, SessionEnd why);

  SmtpState state() const { return state_; }
  bool ended() const { return ended_; }
  unsigned records_emitted() const { return records_emitted_; }
  std::uint64_t weird_count(Weird w) const { return weird_counts_[static_cast<std::size_t>(w)]; }

  // Reassembler consumers for each direction.
  struct ClientSide {
    SmtpSession* s;
    Micros now;
    void deliver(std::span<const std::uint8_t> b) { s->client_data(b, now); }
    void gap(std::uint64_t n) { s->client_gap(n); }
  };
  struct ServerSide {
    SmtpSession* s;
    Micros now;
    void deliver(std::span<const std::uint8_t> b) { s->server_data(b, now); }
    void gap(std::uint64_t n) { s->server_gap(n); }
  };

 private:
  enum class Command : std::uint8_t {
    helo, ehlo, mail, rcpt, data, data_end, bdat, bdat_last, rset, quit, auth, starttls, other
  };
  enum class BodyScan : std::uint8_t { line_start, mid_line, dot, dot_cr };

  void client_line(std::string_view line);
  void server_line(std::string_view line);
  void reply(unsigned code, std::string_view last_line);
  std::size_t scan_body(std::span<const std::uint8_t> bytes);
  void push(Command c);
  void weird(Weird w);
  void begin_transaction();
  void emit_transaction();
  void emit_record();
  void finish_session();
  void clear_pending() { pending_head_ = pending_size_ = 0; }

  Emit emit_;
  SmtpState state_ = SmtpState::connected;
  bool ended_ = false;
  SessionRecord record_;  // session fields plus the open transaction's
  bool in_txn_ = false;
  bool session_rejected_ = false;
  bool txn_rejected_ = false;
  unsigned rcpt_5xx_ = 0;
  unsigned transactions_ = 0;
  unsigned records_emitted_ = 0;
  bool greeting_seen_ = false;
  bool saw_bytes_ = false;  // any payload at all (a SYN flood leaves no records)
  bool reply_in_progress_ = false;  // inside a multi-line reply
  std::uint64_t bdat_remaining_ = 0;
  std::uint64_t body_bytes_ = 0;
  BodyScan body_scan_ = BodyScan::line_start;
  std::uint32_t weird_mask_ = 0;  // weirds in the current record's span
  LineSplitter client_lines_;
  LineSplitter server_lines_;
  std::array<Command, kMaxPendingCommands> pending_{};
  std::size_t pending_head_ = 0;
  std::size_t pending_size_ = 0;
  std::array<std::uint64_t, kWeirdCount> weird_counts_{};
};

}  // namespace botwarden::smtp
