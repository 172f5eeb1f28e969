// The notice outbox worker. Notices are composed and written to the store
// first (queued); send_due() claims due ones (status sending, with a claim
// that expires), sends each over SMTP and marks it sent, failed or retry.
//
// Delivery is AT-LEAST-ONCE: a crash after the server accepted DATA but
// before mark_notice_sent leaves the claim to expire, and the notice is sent
// again, byte for byte, with the same Message-ID so the receiving side can
// drop the copy. The window is one store update wide. The alternative
// (at-most-once: mark before sending) would silently lose notices instead.
// A notice is never dropped: it stays queued until sent or failed.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "notifier/notices/notice.hpp"
#include "notifier/notices/smtp.hpp"
#include "notifier/store/store.hpp"

namespace botwarden::notices {

struct OutboxSettings {
  std::string channel = "email";
  std::size_t batch_size = 20;                      // notices claimed per run
  Micros claim_timeout = 300 * kMicrosPerSecond;    // > the SMTP timeout: a dead sender's claim expires
  std::int64_t max_attempts = 8;                    // then failed
  Micros backoff_initial = 60 * kMicrosPerSecond;   // doubled per attempt ...
  Micros backoff_max = 6 * 3600 * kMicrosPerSecond; // ... up to this
  Micros rate_limit_period = 24 * 3600 * kMicrosPerSecond;  // one notice per account and stage per period
};

struct EnqueueResult {
  enum class Kind { queued, already_queued, rate_limited, not_notifiable, unsendable };
  Kind kind = Kind::not_notifiable;
  std::optional<store::NoticeId> id;  // queued (and unsendable: recorded as failed)
  std::string reason;
};
std::string_view to_string(EnqueueResult::Kind kind);

struct RunResult {
  std::int64_t sent = 0;
  std::int64_t retried = 0;
  std::int64_t failed = 0;
};

struct PlanResult {
  std::int64_t queued = 0;
  std::int64_t rate_limited = 0;
  std::int64_t unsendable = 0;
};

// The stage of notice an incident's state calls for: detected -> "first",
// reinfected -> "reinfected", walled_garden -> "walled"; nullopt for others.
std::optional<std::string> stage_for(incident::State state);

class Outbox {
 public:
  using SentCallback = std::function<void(store::IncidentId, Micros)>;

  Outbox(store::Store& store, const TemplateCatalog& templates, NoticeSettings notice, OutboxSettings settings);

  // Composes the notice of `stage` for one incident and queues it. Exempt
  // and unattributed incidents, and accounts without an email address, are
  // not notifiable. A notice that cannot be composed (invalid address) is
  // recorded as failed so the abuse desk sees it.
  EnqueueResult enqueue(const store::IncidentRecord& incident, std::string_view stage, Micros now);
  // Queues every notice the open incidents' states call for (idempotent).
  PlanResult enqueue_due(Micros now);
  // Claims due notices, sends them, records each outcome; `on_sent` runs
  // after a notice is marked sent (the incident manager's notice_sent).
  RunResult send_due(const SmtpSender& sender, Micros now, const SentCallback& on_sent = {});

  // Delay before attempt `attempts + 1`: initial * 2^(attempts-1), capped.
  Micros backoff(std::int64_t attempts) const;
  const OutboxSettings& settings() const { return settings_; }

 private:
  bool rate_limited(const std::string& account, std::string_view stage, store::IncidentId except, Micros now);
  NoticeData notice_data(const store::IncidentRecord& incident, const mapping::Account& account, std::string_view stage);

  store::Store& store_;
  const TemplateCatalog& templates_;
  NoticeSettings notice_;
  OutboxSettings settings_;
};

struct OutboxRound {
  PlanResult plan;
  RunResult run;
};
// One round of the worker at `now`: enqueue_due, then send_due.
OutboxRound run_outbox_round(Outbox& outbox, const SmtpSender& sender, Micros now,
                             const Outbox::SentCallback& on_sent = {});
// Rounds every `poll_seconds` (wall clock) until `stop` is requested; errors
// are logged and the next round tries again. For `botwarden-notifier serve`.
void run_outbox_loop(Outbox& outbox, const SmtpSender& sender, double poll_seconds,
                     const Outbox::SentCallback& on_sent, std::stop_token stop);

}  // namespace botwarden::notices
