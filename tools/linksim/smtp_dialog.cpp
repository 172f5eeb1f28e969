// Server replies modelled on real MTAs (Postfix, Exim, Exchange, Sendmail and
// three big-provider styles), including their blocklist, HELO-check,
// greylisting and unknown-user rejections.
#include "tools/linksim/smtp_dialog.hpp"

#include <ctime>

namespace botwarden::linksim {
namespace {

std::string queue_id(Rng& rng) { return rng.text(10, "0123456789ABCDEF"); }

std::string b64(std::string_view in) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += table[(v >> k) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += i + 1 < in.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Bytes a TLS 1.2 AES-GCM record adds: header 5, explicit nonce 8, tag 16.
constexpr std::uint64_t kTlsOverhead = 29;

class Dialog {
 public:
  Dialog(FlowBuilder& flow, Rng& rng, SessionLabel& label) : flow_(flow), rng_(rng), label_(label) {}

  void client(const std::string& text, Micros think = 0) {
    const Micros delay = think + rng_.between(150, 1500);
    if (tls_) {
      flow_.write_generated(kToServer, text.size() + kTlsOverhead, delay);
    } else {
      flow_.write(kToServer, text, delay);
    }
  }
  // A reply of one or more lines (joined by CRLF, without the final CRLF).
  void server(const std::vector<std::string>& lines, Micros processing = 0) {
    std::string text;
    for (const auto& line : lines) {
      text += line;
      text += "\r\n";
      if (!tls_) label_.replies.push_back(line);
    }
    const Micros delay = processing + rng_.between(100, 3000);
    if (tls_) {
      flow_.write_generated(kToClient, text.size() + kTlsOverhead, delay);
    } else {
      flow_.write(kToClient, text, delay);
    }
  }
  void start_tls() {
    tls_ = true;
    label_.tls = true;
    flow_.flow().stream[0].tail = TailKind::tls_records;
    flow_.flow().stream[1].tail = TailKind::tls_records;
    // Client hello, server hello + certificate, client key exchange, server finished.
    const std::int64_t sizes[4][2] = {{250, 600}, {2800, 5200}, {80, 160}, {51, 260}};
    const std::int64_t delays[4][2] = {{200, 2000}, {500, 3000}, {300, 3000}, {200, 1000}};
    for (int i = 0; i < 4; ++i) {
      const auto size = static_cast<std::uint64_t>(rng_.between(sizes[i][0], sizes[i][1]));
      const Micros delay = rng_.between(delays[i][0], delays[i][1]);
      flow_.write_generated(i % 2 == 0 ? kToServer : kToClient, size, delay);
    }
  }
  bool tls() const { return tls_; }

 private:
  FlowBuilder& flow_;
  Rng& rng_;
  SessionLabel& label_;
  bool tls_ = false;
};

struct Replies {
  const Server& s;
  std::string ip;       // client address as the server prints it
  std::string date;
  Rng& rng;

  std::string gid() {
    std::string id = rng.text(6, kLowerDigits);
    return id + "." + std::to_string(rng.between(100, 999));
  }

  std::vector<std::string> banner() {
    switch (s.style) {
      case ServerStyle::postfix: return {"220 " + s.name + " ESMTP Postfix"};
      case ServerStyle::exim: return {"220 " + s.name + " ESMTP Exim 4.96 " + date};
      case ServerStyle::exchange:
      case ServerStyle::provider_m: return {"220 " + s.name + " Microsoft ESMTP MAIL Service ready at " + date};
      case ServerStyle::sendmail: return {"220 " + s.name + " ESMTP Sendmail 8.17.1/8.17.1; " + date};
      case ServerStyle::provider_g: return {"220 " + s.name + " ESMTP " + gid() + " - gsmtp"};
      case ServerStyle::provider_y: return {"220 " + s.name + " ESMTP ready"};
    }
    return {"220 " + s.name + " ESMTP"};
  }
  std::vector<std::string> blocked_banner() {
    if (s.style == ServerStyle::provider_y) {
      return {"553 5.7.1 [BL21] Connections will not be accepted from " + ip +
              ", because the ip is in Spamhaus's list; see https://postmaster." + s.domain + "/error-codes"};
    }
    return {"554 5.7.1 Service unavailable; Client host [" + ip + "] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/" + ip};
  }
  std::vector<std::string> ehlo(const std::string& helo, bool offer_starttls) {
    std::string first;
    switch (s.style) {
      case ServerStyle::exim: first = s.name + " Hello " + helo + " [" + ip + "]"; break;
      case ServerStyle::exchange:
      case ServerStyle::provider_m: first = s.name + " Hello [" + ip + "]"; break;
      case ServerStyle::sendmail: first = s.name + " Hello " + helo + " [" + ip + "], pleased to meet you"; break;
      case ServerStyle::provider_g: first = s.name + " at your service, [" + ip + "]"; break;
      default: first = s.name; break;
    }
    std::vector<std::string> keywords;
    if (s.pipelining) keywords.push_back("PIPELINING");
    keywords.push_back(s.style == ServerStyle::provider_g ? "SIZE 157286400" : "SIZE 52428800");
    if (s.style == ServerStyle::postfix) keywords.push_back("ETRN");
    if (offer_starttls) keywords.push_back("STARTTLS");
    if (s.auth) keywords.push_back("AUTH PLAIN LOGIN");
    keywords.push_back("ENHANCEDSTATUSCODES");
    keywords.push_back("8BITMIME");
    if (s.style != ServerStyle::sendmail) keywords.push_back("DSN");
    if (s.style == ServerStyle::provider_g || s.style == ServerStyle::postfix) keywords.push_back("SMTPUTF8");
    if (s.style == ServerStyle::provider_g || s.style == ServerStyle::exchange) keywords.push_back("CHUNKING");
    std::vector<std::string> lines{"250-" + first};
    for (std::size_t i = 0; i < keywords.size(); ++i) {
      lines.push_back((i + 1 == keywords.size() ? "250 " : "250-") + keywords[i]);
    }
    return lines;
  }
  std::vector<std::string> helo(const std::string& name) {
    if (s.style == ServerStyle::exim) return {"250 " + s.name + " Hello " + name + " [" + ip + "]"};
    return {"250 " + s.name};
  }
  std::vector<std::string> mail_ok(const std::string& from) {
    switch (s.style) {
      case ServerStyle::exim: return {"250 OK"};
      case ServerStyle::exchange:
      case ServerStyle::provider_m: return {"250 2.1.0 Sender OK"};
      case ServerStyle::sendmail: return {"250 2.1.0 <" + from + ">... Sender ok"};
      case ServerStyle::provider_g: return {"250 2.1.0 OK " + gid() + " - gsmtp"};
      default: return {"250 2.1.0 Ok"};
    }
  }
  std::vector<std::string> rcpt_ok(const std::string& rcpt) {
    switch (s.style) {
      case ServerStyle::exim: return {"250 Accepted"};
      case ServerStyle::exchange:
      case ServerStyle::provider_m: return {"250 2.1.5 Recipient OK"};
      case ServerStyle::sendmail: return {"250 2.1.5 <" + rcpt + ">... Recipient ok"};
      case ServerStyle::provider_g: return {"250 2.1.5 OK " + gid() + " - gsmtp"};
      default: return {"250 2.1.5 Ok"};
    }
  }
  std::vector<std::string> blocked_mail() {
    return {"550 5.7.1 Unfortunately, messages from [" + ip +
            "] weren't sent. Please contact your Internet service provider since part of their network is on our "
            "block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [" +
            s.name + "]"};
  }
  std::vector<std::string> blocked_rcpt() {
    switch (s.style) {
      case ServerStyle::exim: return {"550 Rejected because " + ip + " is in a black list at zen.spamhaus.org"};
      case ServerStyle::sendmail: return {"550 5.7.1 Rejected: " + ip + " listed at zen.spamhaus.org"};
      case ServerStyle::exchange:
        return {"550 5.7.1 Service unavailable; Client host [" + ip + "] blocked using zen.spamhaus.org"};
      case ServerStyle::provider_g:
        return {"550-5.7.1 [" + ip + "] The IP you're using to send mail is not authorized to",
                "550-5.7.1 send email directly to our servers. Please use the SMTP relay at your",
                "550 5.7.1 service provider instead. " + gid() + " - gsmtp"};
      default:
        return {"554 5.7.1 Service unavailable; Client host [" + ip + "] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/" + ip};
    }
  }
  std::vector<std::string> unknown_user(const std::string& rcpt) {
    switch (s.style) {
      case ServerStyle::exim: return {"550 Unrouteable address"};
      case ServerStyle::exchange:
      case ServerStyle::provider_m: return {"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"};
      case ServerStyle::sendmail: return {"550 5.1.1 <" + rcpt + ">... User unknown"};
      case ServerStyle::provider_g:
        return {"550-5.1.1 The email account that you tried to reach does not exist. Please try",
                "550-5.1.1 double-checking the recipient's email address for typos or",
                "550 5.1.1 unnecessary spaces. " + gid() + " - gsmtp"};
      default: return {"550 5.1.1 <" + rcpt + ">: Recipient address rejected: User unknown in virtual mailbox table"};
    }
  }
  std::vector<std::string> greylisted(const std::string& rcpt) {
    return {"450 4.2.0 <" + rcpt + ">: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/help/" +
            s.domain + ".html"};
  }
  std::vector<std::string> data_go() {
    switch (s.style) {
      case ServerStyle::exim: return {"354 Enter message, ending with \".\" on a line by itself"};
      case ServerStyle::exchange:
      case ServerStyle::provider_m: return {"354 Start mail input; end with <CRLF>.<CRLF>"};
      case ServerStyle::sendmail: return {"354 Enter mail, end with \".\" on a line by itself"};
      case ServerStyle::provider_g: return {"354  Go ahead " + gid() + " - gsmtp"};
      default: return {"354 End data with <CR><LF>.<CR><LF>"};
    }
  }
  std::vector<std::string> queued() {
    switch (s.style) {
      case ServerStyle::exim: {
        std::string id = "250 OK id=1t" + rng.text(4, kLowerDigits);
        id += "-000" + rng.text(3, kUpperDigits);
        id += "-" + rng.text(2, kUpperDigits);
        return {id};
      }
      case ServerStyle::exchange:
      case ServerStyle::provider_m: return {"250 2.6.0 <" + rng.text(16, kLowerDigits) + "@" + s.name + "> Queued mail for delivery"};
      case ServerStyle::sendmail: return {"250 2.0.0 " + rng.text(14, kUpperDigits) + " Message accepted for delivery"};
      case ServerStyle::provider_g: return {"250 2.0.0 OK  " + gid() + " - gsmtp"};
      default: return {"250 2.0.0 Ok: queued as " + queue_id(rng)};
    }
  }
  std::vector<std::string> rset() {
    if (s.style == ServerStyle::exim) return {"250 Reset OK"};
    if (s.style == ServerStyle::exchange || s.style == ServerStyle::provider_m) return {"250 2.0.0 Resetting"};
    return {"250 2.0.0 Ok"};
  }
  std::vector<std::string> quit() {
    switch (s.style) {
      case ServerStyle::exim: return {"221 " + s.name + " closing connection"};
      case ServerStyle::exchange:
      case ServerStyle::provider_m: return {"221 2.0.0 Service closing transmission channel"};
      case ServerStyle::sendmail: return {"221 2.0.0 " + s.name + " closing connection"};
      case ServerStyle::provider_g: return {"221 2.0.0 closing connection " + gid() + " - gsmtp"};
      default: return {"221 2.0.0 Bye"};
    }
  }
};

// Postfix reject_non_fqdn_helo_hostname / reject_invalid_helo_hostname /
// reject_unknown_helo_hostname, in that order; nullopt when the HELO passes.
std::optional<std::string> helo_rejection(const std::string& helo, bool unresolvable) {
  if (helo.empty() || helo.front() == '[') return std::nullopt;  // address literals pass these checks
  const bool numeric = helo.find_first_not_of("0123456789.") == std::string::npos;
  if (numeric) return "501 5.5.2 <" + helo + ">: Helo command rejected: Invalid name";
  if (helo.find('.') == std::string::npos) return "504 5.5.2 <" + helo + ">: Helo command rejected: need fully-qualified hostname";
  const auto ends_with = [&](std::string_view tail) {
    return helo.size() >= tail.size() && helo.compare(helo.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (unresolvable || ends_with(".local") || ends_with(".localdomain")) {
    return "450 4.7.1 <" + helo + ">: Helo command rejected: Host not found";
  }
  return std::nullopt;
}

std::string message_body(const Transaction& t, const std::string& sender_name, Micros now, Rng& rng) {
  std::string body;
  body += "From: \"" + sender_name + "\" <" + t.mailfrom + ">\r\n";
  body += "To: <" + (t.rcpts.empty() ? std::string("undisclosed") : t.rcpts.front()) + ">\r\n";
  body += "Subject: " + t.subject + "\r\n";
  body += "Date: " + rfc5322_date(now) + "\r\n";
  const auto at = t.mailfrom.find('@');
  body += "Message-ID: <" + rng.text(20, kLowerDigits) + "@" +
          (at == std::string::npos ? std::string("localhost") : t.mailfrom.substr(at + 1)) + ">\r\n";
  body += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n";
  static const std::vector<std::string> benign = {
      "Hi, see you on Thursday at the usual place.", "Please find the invoice details below.",
      "Thanks for your quick reply, that works for me.", "The meeting notes are attached to the shared folder.",
      "Could you send me the updated figures by Friday?", "Best regards and have a nice weekend."};
  static const std::vector<std::string> spam = {
      "Congratulations! You have been selected for an exclusive reward.", "Claim your prize now: limited time offer!!!",
      "Cheap meds, no prescription needed, discreet shipping.", "Your account will be suspended unless you verify today.",
      "Make $5000 a week from home, click the link below.", "Dear friend, I have a business proposal for you."};
  const auto lines = rng.between(2, 6);
  for (std::int64_t i = 0; i < lines; ++i) body += rng.pick(t.spam ? spam : benign) + "\r\n";
  if (rng.chance(0.2)) body += "..end of message (dot-stuffed line)\r\n";  // RFC 5321 §4.5.2: leading dot doubled
  body += "--\r\n" + sender_name + "\r\n.\r\n";
  return body;
}

}  // namespace

std::string rfc5322_date(Micros t) {
  const std::time_t secs = static_cast<std::time_t>(t / kMicrosPerSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

SessionOutcome run_smtp_session(FlowBuilder& flow, const Server& server, const SessionPlan& plan,
                                bool client_blocklisted, Rng& rng, GreylistSeen& greylist, SessionLabel& label) {
  SessionOutcome outcome;
  Dialog d(flow, rng, label);
  Replies r{server, flow.flow().client.to_string(), rfc5322_date(flow.now()), rng};
  flow.connect();

  if (plan.implicit_tls) {
    // RFC 8314 §3: everything, greeting included, inside TLS.
    d.start_tls();
    d.client("EHLO " + plan.helo + "\r\n");
    d.server(r.ehlo(plan.helo, false));
    if (plan.auth) {
      d.client("AUTH PLAIN " + b64(std::string(1, '\0') + "user" + std::string(1, '\0') + "secret") + "\r\n");
      d.server({"235 2.7.0 Authentication successful"});
    }
    for (const auto& t : plan.transactions) {
      std::string cmds = "MAIL FROM:<" + t.mailfrom + ">\r\n";
      for (const auto& rc : t.rcpts) cmds += "RCPT TO:<" + rc + ">\r\n";
      d.client(cmds + "DATA\r\n");
      d.server({"250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>"});
      const std::string body = message_body(t, plan.sender_name, flow.now(), rng);
      d.client(body, rng.between(1000, 20000));
      const auto queued = r.queued();
      d.server(queued, rng.between(5000, 200000));
      ++outcome.accepted_messages;
    }
    d.client("QUIT\r\n");
    d.server(r.quit());
    flow.close(kToClient, 200);
    return outcome;
  }

  const bool blocked = client_blocklisted && server.blocklist != BlocklistCheck::none;
  if (blocked && server.blocklist == BlocklistCheck::at_connect) {
    const auto blocked_banner = r.blocked_banner();
    d.server(blocked_banner, rng.between(1000, 300000));
    if (plan.quit) {
      d.client("QUIT\r\n");
      d.server(r.quit());
      flow.close(kToClient, 300);
    } else {
      flow.close(kToServer, rng.between(1000, 50000));
    }
    return outcome;
  }
  const auto banner = r.banner();
  d.server(banner, rng.between(1000, 300000));

  label.helo = plan.helo;
  d.client((plan.ehlo ? "EHLO " : "HELO ") + plan.helo + "\r\n");
  d.server(plan.ehlo ? r.ehlo(plan.helo, server.starttls) : r.helo(plan.helo));

  if (plan.ehlo && plan.starttls && server.starttls) {
    d.client("STARTTLS\r\n");
    d.server({server.style == ServerStyle::exim ? "220 TLS go ahead" : "220 2.0.0 Ready to start TLS"});
    d.start_tls();
    d.client("EHLO " + plan.helo + "\r\n");
    d.server(r.ehlo(plan.helo, false));
  }
  if (plan.ehlo && plan.auth && server.auth) {
    if (plan.auth_login) {
      // RFC 4954 §4: the 334 challenges and the base64 answers are not commands.
      d.client("AUTH LOGIN\r\n");
      d.server({"334 VXNlcm5hbWU6"});
      d.client(b64("user") + "\r\n", rng.between(100, 2000));
      d.server({"334 UGFzc3dvcmQ6"});
      d.client(b64("s3cret") + "\r\n", rng.between(100, 2000));
    } else {
      d.client("AUTH PLAIN " + b64(std::string(1, '\0') + "user" + std::string(1, '\0') + "s3cret") + "\r\n");
    }
    d.server({"235 2.7.0 Authentication successful"}, rng.between(2000, 40000));
  }
  const bool chunking = server.style == ServerStyle::provider_g || server.style == ServerStyle::exchange;
  const bool use_bdat = plan.ehlo && plan.bdat && chunking;

  const auto helo_reject = server.helo_checks ? helo_rejection(plan.helo, plan.helo_unresolvable) : std::nullopt;
  const std::string client_ip = flow.flow().client.to_string();
  for (std::size_t ti = 0; ti < plan.transactions.size(); ++ti) {
    const Transaction& t = plan.transactions[ti];
    const bool visible = !d.tls();
    if (visible) {
      label.mailfrom.push_back(t.mailfrom);
      label.rcptto.emplace_back();
    }
    const bool mail_refused = blocked && server.blocklist == BlocklistCheck::at_mail;
    const auto mail_reply = mail_refused ? r.blocked_mail() : r.mail_ok(t.mailfrom);
    std::vector<std::vector<std::string>> rcpt_replies;
    std::vector<std::string> accepted;
    for (const auto& rc : t.rcpts) {
      std::vector<std::string> reply;
      if (mail_refused) {
        reply = {"503 5.5.1 Error: need MAIL command"};
      } else if (blocked && server.blocklist == BlocklistCheck::at_rcpt) {
        reply = r.blocked_rcpt();
      } else if (helo_reject) {
        reply = {*helo_reject};
      } else if (server.greylisting && !greylist.contains(client_ip + "|" + t.mailfrom + "|" + rc)) {
        greylist.insert(client_ip + "|" + t.mailfrom + "|" + rc);
        reply = r.greylisted(rc);
        outcome.greylisted.emplace_back(t.mailfrom, rc);
      } else if (rng.chance(t.spam ? server.unknown_user_rate * 4 : server.unknown_user_rate)) {
        reply = r.unknown_user(rc);
      } else {
        reply = r.rcpt_ok(rc);
        accepted.push_back(rc);
      }
      rcpt_replies.push_back(reply);
    }
    const std::vector<std::string> data_reply =
        mail_refused ? std::vector<std::string>{"503 5.5.1 Error: need RCPT command"}
        : accepted.empty() ? std::vector<std::string>{"554 5.5.1 Error: no valid recipients"}
                           : r.data_go();
    const Micros think = rng.between(500, 5000);
    bool data_open = false;   // DATA got 354: the message follows
    bool chunk_sent = false;  // BDAT LAST carried the message
    if (use_bdat) {
      // RFC 3030: MAIL and RCPTs (pipelined when offered), then one BDAT LAST chunk
      // holding the message as is (no dot-stuffing, no final dot).
      const bool pipelined = plan.pipelining && server.pipelining;
      std::string group = "MAIL FROM:<" + t.mailfrom + "> SIZE=" + std::to_string(rng.between(900, 4000)) + "\r\n";
      if (pipelined) {
        for (const auto& rc : t.rcpts) group += "RCPT TO:<" + rc + ">\r\n";
        d.client(group, think);
        std::vector<std::string> all = mail_reply;
        for (const auto& rr : rcpt_replies) all.insert(all.end(), rr.begin(), rr.end());
        d.server(all);
      } else {
        d.client(group, think);
        d.server(mail_reply);
        for (std::size_t k = 0; k < t.rcpts.size() && !mail_refused; ++k) {
          d.client("RCPT TO:<" + t.rcpts[k] + ">\r\n");
          d.server(rcpt_replies[k]);
        }
      }
      if (visible && !(mail_refused && !pipelined)) {
        for (const auto& rc : t.rcpts) label.rcptto.back().push_back(rc);
      }
      if (!accepted.empty()) {
        std::string message = message_body(t, plan.sender_name, flow.now(), rng);
        message.resize(message.size() - 3);  // the final ".\r\n"
        for (std::size_t at = 0; (at = message.find("\r\n..", at)) != std::string::npos; at += 3) message.erase(at + 2, 1);
        d.client("BDAT " + std::to_string(message.size()) + " LAST\r\n" + message, rng.between(1000, 20000));
        const auto queued = r.queued();
        d.server(queued, rng.between(5000, 300000));
        ++outcome.accepted_messages;
        chunk_sent = true;
      }
    } else if (plan.ehlo && plan.pipelining && server.pipelining) {
      // RFC 2920 §3.1: MAIL, RCPTs and DATA in one write, replies in one write.
      std::string cmds = "MAIL FROM:<" + t.mailfrom + ">" + (plan.ehlo ? " SIZE=" + std::to_string(rng.between(900, 4000)) : "") + "\r\n";
      for (const auto& rc : t.rcpts) {
        cmds += "RCPT TO:<" + rc + ">\r\n";
        if (visible) label.rcptto.back().push_back(rc);
      }
      cmds += "DATA\r\n";
      d.client(cmds, think);
      std::vector<std::string> all = mail_reply;
      for (const auto& rr : rcpt_replies) all.insert(all.end(), rr.begin(), rr.end());
      all.insert(all.end(), data_reply.begin(), data_reply.end());
      d.server(all);
      data_open = data_reply.front().starts_with("354");
    } else {
      d.client("MAIL FROM:<" + t.mailfrom + ">\r\n", think);
      d.server(mail_reply);
      if (!mail_refused) {
        for (std::size_t k = 0; k < t.rcpts.size(); ++k) {
          d.client("RCPT TO:<" + t.rcpts[k] + ">\r\n");
          if (visible) label.rcptto.back().push_back(t.rcpts[k]);
          d.server(rcpt_replies[k]);
        }
        if (!accepted.empty()) {
          d.client("DATA\r\n");
          d.server(data_reply);
          data_open = true;
        }
      }
    }
    if (data_open) {
      const std::string body = message_body(t, plan.sender_name, flow.now(), rng);
      d.client(body, rng.between(1000, 20000));
      const auto queued = r.queued();
      d.server(queued, rng.between(5000, 300000));
      ++outcome.accepted_messages;
    }
    const bool refused = !data_open && !chunk_sent;
    if (refused && plan.stop_after_rejection) break;
    if (ti + 1 < plan.transactions.size() && (plan.rset_between || refused)) {
      d.client("RSET\r\n");
      d.server(r.rset());
    }
  }

  if (plan.quit) {
    d.client("QUIT\r\n", rng.between(200, 3000));
    d.server(r.quit());
    flow.close(kToClient, 300);  // RFC 5321 §4.1.1.10: the server closes after 221
  } else if (rng.chance(0.5)) {
    flow.close(kToServer, rng.between(1000, 100000));
  } else {
    flow.reset(kToServer, rng.between(1000, 100000));
  }
  return outcome;
}

}  // namespace botwarden::linksim
