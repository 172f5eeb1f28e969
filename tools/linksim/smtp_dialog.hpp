// One SMTP session on a FlowBuilder: the client follows a SessionPlan, the
// server answers as its style and policy dictate (RFC 5321 replies,
// RFC 2920 pipelining, RFC 3207 STARTTLS, RFC 8314 implicit TLS). What is
// visible in clear on the wire is recorded in a SessionLabel.
#pragma once
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tools/linksim/flow.hpp"
#include "tools/linksim/world.hpp"

namespace botwarden::linksim {

struct Transaction {
  std::string mailfrom;              // address without angle brackets ("" = null sender)
  std::vector<std::string> rcpts;
  std::string subject;
  bool spam = false;
};

struct SessionPlan {
  std::string helo;
  bool ehlo = true;
  bool starttls = false;             // use STARTTLS when offered
  bool implicit_tls = false;         // port 465: TLS from the first byte
  bool auth = false;                 // AUTH when offered: PLAIN, or LOGIN with 334 challenges
  bool auth_login = false;
  bool bdat = false;                 // BDAT (RFC 3030) instead of DATA when CHUNKING is offered
  bool pipelining = true;            // pipeline when offered
  bool helo_unresolvable = false;    // a receiver checking HELO names finds no such host
  std::vector<Transaction> transactions;
  bool rset_between = false;
  bool quit = true;                  // false: drop the connection without QUIT
  bool stop_after_rejection = false; // bots: give up after the first refused transaction
  std::string sender_name;           // display name in From:
};

struct SessionLabel {
  Micros ts = 0;
  IpAddress client, server;
  std::uint16_t client_port = 0, server_port = 0;
  bool tls = false;
  std::optional<std::string> helo;
  std::vector<std::string> mailfrom;
  std::vector<std::vector<std::string>> rcptto;
  std::vector<std::string> replies;
  std::uint32_t flow = 0;
  bool impaired = false;             // an impairment hit this session's packets
};

// Greylisting memory per (client, sender, recipient) triplet.
using GreylistSeen = std::set<std::string>;

struct SessionOutcome {
  std::vector<std::pair<std::string, std::string>> greylisted;  // (mailfrom, rcpt) to retry later
  unsigned accepted_messages = 0;
};

SessionOutcome run_smtp_session(FlowBuilder& flow, const Server& server, const SessionPlan& plan,
                                bool client_blocklisted, Rng& rng, GreylistSeen& greylist, SessionLabel& label);

// RFC 5322 date ("Wed, 25 Nov 2026 12:00:01 +0000").
std::string rfc5322_date(Micros t);

}  // namespace botwarden::linksim
