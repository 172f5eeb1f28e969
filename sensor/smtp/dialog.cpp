// SMTP dialog state machine: commands and replies paired through a bounded
// pipelining queue (RFC 2920), DATA/BDAT bodies counted and skipped, AUTH
// noted but never kept, STARTTLS and implicit TLS make the rest opaque.
#include "sensor/smtp/dialog.hpp"

#include <charconv>

#include "sensor/smtp/ascii.hpp"

namespace botwarden::smtp {

const char* to_string(SmtpState s) {
  switch (s) {
    case SmtpState::connected: return "connected";
    case SmtpState::ready: return "ready";
    case SmtpState::in_transaction: return "in_transaction";
    case SmtpState::in_data: return "in_data";
    case SmtpState::in_bdat: return "in_bdat";
    case SmtpState::in_auth: return "in_auth";
    case SmtpState::in_tls: return "in_tls";
    case SmtpState::after_gap: return "after_gap";
    case SmtpState::quit: return "quit";
  }
  return "unknown";
}

const char* to_string(Weird w) {
  switch (w) {
    case Weird::truncated_line: return "smtp_truncated_line";
    case Weird::excessive_pending_cmds: return "smtp_excessive_pending_cmds";
    case Weird::unmatched_reply: return "smtp_unmatched_reply";
    case Weird::bad_reply_line: return "smtp_bad_reply_line";
    case Weird::bad_bdat_size: return "smtp_bad_bdat_size";
    case Weird::excessive_rcpts: return "smtp_excessive_rcpts";
    case Weird::content_gap: return "smtp_content_gap";
    case Weird::data_after_quit: return "smtp_data_after_quit";
    case Weird::count_: break;
  }
  return "smtp_unknown";
}

namespace {

std::string bounded(std::string_view s, std::size_t max) {
  return std::string(s.substr(0, max));
}

}  // namespace

SmtpSession::SmtpSession(const SessionContext& ctx, Emit emit) : emit_(std::move(emit)) {
  record_.ts = ctx.ts;
  record_.last_ts = ctx.ts;
  record_.uid = ctx.uid;
  record_.orig_h = ctx.orig_h;
  record_.orig_p = ctx.orig_p;
  record_.resp_h = ctx.resp_h;
  record_.resp_p = ctx.resp_p;
  record_.subscriber_is_orig = ctx.subscriber_is_orig;
  record_.path = ctx.path;
  record_.partial = ctx.missed_start;
  if (ctx.implicit_tls) {
    state_ = SmtpState::in_tls;
    record_.tls = true;
  }
}

void SmtpSession::weird(Weird w) {
  ++weird_counts_[static_cast<std::size_t>(w)];
  weird_mask_ |= 1u << static_cast<unsigned>(w);
}

void SmtpSession::push(Command c) {
  if (pending_size_ >= kMaxPendingCommands) {
    weird(Weird::excessive_pending_cmds);
    return;
  }
  pending_[(pending_head_ + pending_size_) % kMaxPendingCommands] = c;
  ++pending_size_;
}

// ---- client -> server ------------------------------------------------------

void SmtpSession::client_data(std::span<const std::uint8_t> bytes, Micros now) {
  if (ended_ || bytes.empty()) return;
  saw_bytes_ = true;
  if (now > record_.last_ts) record_.last_ts = now;
  while (!bytes.empty()) {
    switch (state_) {
      case SmtpState::in_tls: return;
      case SmtpState::quit: weird(Weird::data_after_quit); return;
      case SmtpState::in_data: bytes = bytes.subspan(scan_body(bytes)); continue;
      case SmtpState::in_bdat: {
        const auto n = static_cast<std::size_t>(
            bdat_remaining_ < bytes.size() ? bdat_remaining_ : bytes.size());
        bdat_remaining_ -= n;
        record_.msg_bytes += n;
        bytes = bytes.subspan(n);
        if (bdat_remaining_ == 0) state_ = SmtpState::in_transaction;
        continue;
      }
      default: {
        const auto r = client_lines_.consume(bytes);
        bytes = bytes.subspan(r.consumed);
        if (r.complete) {
          if (client_lines_.truncated()) weird(Weird::truncated_line);
          client_line(client_lines_.line());
        }
      }
    }
  }
}

// Counts body bytes up to the end-of-data line "." (RFC 5321 §4.1.1.4);
// a bare LF around it is tolerated. Returns the bytes used.
std::size_t SmtpSession::scan_body(std::span<const std::uint8_t> bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::uint8_t b = bytes[i];
    switch (body_scan_) {
      case BodyScan::line_start:
        body_scan_ = b == '.' ? BodyScan::dot : (b == '\n' ? BodyScan::line_start : BodyScan::mid_line);
        break;
      case BodyScan::mid_line:
        if (b == '\n') body_scan_ = BodyScan::line_start;
        break;
      case BodyScan::dot:
        body_scan_ = b == '\r' ? BodyScan::dot_cr : (b == '\n' ? BodyScan::line_start : BodyScan::mid_line);
        if (b == '\n') {  // ".\n": end of data with a bare LF
          record_.msg_bytes += body_bytes_ + i + 1 - 2;
          body_bytes_ = 0;
          state_ = SmtpState::in_transaction;
          push(Command::data_end);
          return i + 1;
        }
        break;
      case BodyScan::dot_cr:
        if (b == '\n') {
          record_.msg_bytes += body_bytes_ + i + 1 - 3;
          body_bytes_ = 0;
          state_ = SmtpState::in_transaction;
          push(Command::data_end);
          return i + 1;
        }
        body_scan_ = BodyScan::mid_line;
        break;
    }
  }
  body_bytes_ += bytes.size();
  return bytes.size();
}

void SmtpSession::begin_transaction() {
  if (in_txn_) emit_transaction();
  in_txn_ = true;
  record_.trans_depth = ++transactions_;
}

void SmtpSession::client_line(std::string_view line) {
  if (state_ == SmtpState::in_auth) return;  // a SASL response: never parsed, never kept
  if (state_ == SmtpState::connected || state_ == SmtpState::after_gap) state_ = SmtpState::ready;
  const auto space = line.find(' ');
  const std::string_view verb = line.substr(0, space);
  const std::string_view arg = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);

  if (equals_nocase(verb, "EHLO") || equals_nocase(verb, "HELO")) {
    // RFC 5321 §4.1.1.1: the argument is the client's domain or address literal.
    record_.ehlo = equals_nocase(verb, "EHLO");
    record_.helo = bounded(trim_spaces(arg), kMaxFieldBytes);
    ++record_.helo_count;
    push(record_.ehlo ? Command::ehlo : Command::helo);
  } else if (equals_nocase(verb, "MAIL") && starts_with_nocase(arg, "FROM:")) {
    begin_transaction();
    record_.mailfrom = bounded(path_argument(arg.substr(5)), kMaxFieldBytes);
    state_ = SmtpState::in_transaction;
    push(Command::mail);
  } else if (equals_nocase(verb, "RCPT") && starts_with_nocase(arg, "TO:")) {
    if (!in_txn_) begin_transaction();  // its MAIL was missed (a gap) or never sent
    if (record_.rcptto.size() < kMaxRcptPerRecord) {
      record_.rcptto.push_back(bounded(path_argument(arg.substr(3)), kMaxFieldBytes));
    } else {
      weird(Weird::excessive_rcpts);
    }
    push(Command::rcpt);
  } else if (equals_nocase(verb, "DATA")) {
    push(Command::data);
  } else if (equals_nocase(verb, "BDAT")) {
    // RFC 3030 §2: "BDAT" SP chunk-size [SP "LAST"]; the chunk follows at once.
    const std::string_view a = trim_spaces(arg);
    const auto size_end = a.find(' ');
    const std::string_view size_text = a.substr(0, size_end);
    std::uint64_t size = 0;
    const auto [p, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size);
    if (ec != std::errc{} || p != size_text.data() + size_text.size() || size_text.empty() ||
        size > kMaxBdatChunk) {
      weird(Weird::bad_bdat_size);
      push(Command::other);
      return;
    }
    const bool last = size_end != std::string_view::npos &&
                      equals_nocase(trim_spaces(a.substr(size_end)), "LAST");
    push(last ? Command::bdat_last : Command::bdat);
    bdat_remaining_ = size;
    state_ = size > 0 ? SmtpState::in_bdat : SmtpState::in_transaction;
  } else if (equals_nocase(verb, "RSET")) {
    if (in_txn_) emit_transaction();
    state_ = SmtpState::ready;
    push(Command::rset);
  } else if (equals_nocase(verb, "QUIT")) {
    push(Command::quit);
  } else if (equals_nocase(verb, "AUTH")) {
    record_.auth = true;  // RFC 4954: the mechanism and any initial response are not kept
    push(Command::auth);
  } else if (equals_nocase(verb, "STARTTLS")) {
    push(Command::starttls);
  } else {
    push(Command::other);  // NOOP, VRFY, HELP, unknown verbs: all get one reply
  }
}

void SmtpSession::client_gap(std::uint64_t bytes) {
  if (ended_) return;
  saw_bytes_ = true;
  weird(Weird::content_gap);
  record_.partial = true;
  switch (state_) {
    case SmtpState::in_tls:
    case SmtpState::quit: return;
    case SmtpState::in_data:  // lost body bytes: still counted, the end marker is looked for anew
      body_bytes_ += bytes;
      body_scan_ = BodyScan::mid_line;
      return;
    case SmtpState::in_bdat:
      if (bytes < bdat_remaining_) {
        bdat_remaining_ -= bytes;
        record_.msg_bytes += bytes;
        return;
      }
      record_.msg_bytes += bdat_remaining_;
      bdat_remaining_ = 0;
      break;
    default: break;
  }
  client_lines_.reset();
  clear_pending();
  state_ = SmtpState::after_gap;
}

// ---- server -> client ------------------------------------------------------

void SmtpSession::server_data(std::span<const std::uint8_t> bytes, Micros now) {
  if (ended_ || bytes.empty()) return;
  saw_bytes_ = true;
  if (now > record_.last_ts) record_.last_ts = now;
  while (!bytes.empty() && state_ != SmtpState::in_tls && !ended_) {
    const auto r = server_lines_.consume(bytes);
    bytes = bytes.subspan(r.consumed);
    if (r.complete) {
      if (server_lines_.truncated()) weird(Weird::truncated_line);
      server_line(server_lines_.line());
    }
  }
}

void SmtpSession::server_line(std::string_view line) {
  // RFC 5321 §4.2: Reply-code [ SP / "-" text ]; "-" continues a multi-line reply.
  const bool digits = line.size() >= 3 && line[0] >= '1' && line[0] <= '5' && line[1] >= '0' &&
                      line[1] <= '9' && line[2] >= '0' && line[2] <= '9';
  if (!digits || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
    weird(Weird::bad_reply_line);
    return;
  }
  const unsigned code = static_cast<unsigned>((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
  if (!greeting_seen_ && !reply_in_progress_ && record_.banner.empty() &&
      (state_ == SmtpState::connected || pending_size_ == 0)) {
    record_.banner = bounded(line.size() > 4 ? line.substr(4) : std::string_view{}, kMaxReplyBytes);
  }
  if (line.size() > 3 && line[3] == '-') {
    reply_in_progress_ = true;
    return;
  }
  reply_in_progress_ = false;
  reply(code, line);
}

void SmtpSession::reply(unsigned code, std::string_view last_line) {
  record_.last_reply = bounded(last_line, kMaxReplyBytes);
  record_.last_reply_code = code;
  if (code >= 500) ++record_.replies_5xx;
  else if (code >= 400) ++record_.replies_4xx;
  if (code >= 400 && (record_.reject_reply.empty() || (code >= 500 && record_.reject_reply[0] == '4'))) {
    record_.reject_reply = bounded(last_line, kMaxReplyBytes);  // for the detectors' blocklist match
  }

  if (!greeting_seen_ && (state_ == SmtpState::connected || pending_size_ == 0)) {
    greeting_seen_ = true;  // RFC 5321 §4.3.1: 220 greeting, or 554 to refuse the session
    if (code == 554) session_rejected_ = true;
    if (state_ == SmtpState::connected) state_ = SmtpState::ready;
    return;
  }
  greeting_seen_ = true;  // a reply to a command: any greeting was missed
  if (pending_size_ == 0) {
    weird(Weird::unmatched_reply);
    return;
  }
  const Command cmd = pending_[pending_head_];
  if (cmd == Command::auth && code == 334) {  // SASL challenge: the AUTH stays pending
    state_ = SmtpState::in_auth;
    return;
  }
  pending_head_ = (pending_head_ + 1) % kMaxPendingCommands;
  --pending_size_;

  switch (cmd) {
    case Command::helo:
    case Command::ehlo:
      if (code >= 500) session_rejected_ = true;
      break;
    case Command::mail:
      if (code >= 500) txn_rejected_ = true;
      break;
    case Command::rcpt:
      if (code >= 400) ++record_.rcpt_rejected;
      if (code >= 500) ++rcpt_5xx_;
      break;
    case Command::data:
      if (code == 354) {
        state_ = SmtpState::in_data;
        body_scan_ = BodyScan::line_start;
        body_bytes_ = 0;
      } else if (code >= 500) {
        txn_rejected_ = true;
      }
      break;
    case Command::bdat:
      if (code >= 500) txn_rejected_ = true;
      break;
    case Command::data_end:
    case Command::bdat_last:
      if (code >= 200 && code < 300) record_.data_accepted = true;
      if (code >= 500) txn_rejected_ = true;
      if (in_txn_) emit_transaction();
      if (state_ == SmtpState::in_transaction) state_ = SmtpState::ready;
      break;
    case Command::auth:
      if (state_ == SmtpState::in_auth) state_ = SmtpState::ready;
      break;
    case Command::starttls:
      if (code == 220) {  // RFC 3207 §4: the TLS handshake starts; the rest is opaque
        record_.tls = true;
        state_ = SmtpState::in_tls;
      }
      break;
    case Command::quit:
      if (code == 221) {
        state_ = SmtpState::quit;
        finish_session();
      }
      break;
    case Command::rset:
    case Command::other: break;
  }
}

void SmtpSession::server_gap(std::uint64_t) {
  if (ended_) return;
  saw_bytes_ = true;
  weird(Weird::content_gap);
  record_.partial = true;
  if (state_ == SmtpState::in_tls || state_ == SmtpState::quit) return;
  server_lines_.reset();
  reply_in_progress_ = false;
  clear_pending();
  if (state_ != SmtpState::in_data && state_ != SmtpState::in_bdat) state_ = SmtpState::after_gap;
}

// ---- records ---------------------------------------------------------------

void SmtpSession::emit_record() {
  SessionRecord out = record_;
  out.rejected = session_rejected_ || txn_rejected_ ||
                 (!out.rcptto.empty() && rcpt_5xx_ >= out.rcptto.size());
  for (std::size_t w = 0; w < kWeirdCount; ++w) {
    if (weird_mask_ & (1u << w)) out.weirds.emplace_back(to_string(static_cast<Weird>(w)));
  }
  ++records_emitted_;
  if (emit_) emit_(out);
  // The next record's span starts here.
  weird_mask_ = 0;
  record_.replies_4xx = record_.replies_5xx = 0;
  record_.reject_reply.clear();
  record_.partial = false;
}

void SmtpSession::emit_transaction() {
  emit_record();
  in_txn_ = false;
  txn_rejected_ = false;
  rcpt_5xx_ = 0;
  record_.trans_depth = 0;
  record_.mailfrom.clear();
  record_.rcptto.clear();
  record_.rcpt_rejected = 0;
  record_.msg_bytes = 0;
  record_.data_accepted = false;
}

void SmtpSession::finish_session() {
  if (ended_) return;
  ended_ = true;
  if (in_txn_) {
    emit_transaction();
  } else if (records_emitted_ == 0 && saw_bytes_) {
    emit_record();  // a session without any transaction (a bare handshake gives none)
  }
}

void SmtpSession::end(Micros now, SessionEnd why) {
  if (ended_) return;
  if (now > record_.last_ts) record_.last_ts = now;
  if (state_ == SmtpState::in_data || state_ == SmtpState::in_bdat) {
    record_.msg_bytes += body_bytes_;  // the body so far
    body_bytes_ = 0;
  }
  if (why != SessionEnd::closed && state_ != SmtpState::quit) record_.partial = true;
  finish_session();
}

}  // namespace botwarden::smtp
