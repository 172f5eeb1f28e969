// The outbox worker (see outbox.hpp).
#include "outbox.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "notifier/notices/mime.hpp"

namespace botwarden::notices {
namespace {

std::int64_t json_count(const nlohmann::json& evidence, const char* key) {
  const auto it = evidence.find(key);
  if (it == evidence.end() || !it->is_number_integer()) return 0;
  return std::max<std::int64_t>(0, it->get<std::int64_t>());
}

std::string first_string(const nlohmann::json& evidence, const char* key) {
  const auto it = evidence.find(key);
  if (it == evidence.end() || !it->is_array()) return {};
  for (const auto& v : *it)
    if (v.is_string() && !v.get_ref<const std::string&>().empty()) return v.get<std::string>();
  return {};
}

}  // namespace

std::string_view to_string(EnqueueResult::Kind kind) {
  switch (kind) {
    case EnqueueResult::Kind::queued: return "queued";
    case EnqueueResult::Kind::already_queued: return "already_queued";
    case EnqueueResult::Kind::rate_limited: return "rate_limited";
    case EnqueueResult::Kind::not_notifiable: return "not_notifiable";
    case EnqueueResult::Kind::unsendable: return "unsendable";
  }
  return "unknown";
}

std::optional<std::string> stage_for(incident::State state) {
  switch (state) {
    case incident::State::detected: return "first";
    case incident::State::reinfected: return "reinfected";
    case incident::State::walled_garden: return "walled";
    default: return std::nullopt;
  }
}

Outbox::Outbox(store::Store& store, const TemplateCatalog& templates, NoticeSettings notice, OutboxSettings settings)
    : store_(store), templates_(templates), notice_(std::move(notice)), settings_(std::move(settings)) {}

Micros Outbox::backoff(std::int64_t attempts) const {
  Micros delay = settings_.backoff_initial;
  for (std::int64_t i = 1; i < attempts && delay < settings_.backoff_max; ++i) delay *= 2;
  return std::min(delay, settings_.backoff_max);
}

bool Outbox::rate_limited(const std::string& account, std::string_view stage, store::IncidentId except, Micros now) {
  store::IncidentFilter filter;
  filter.account = account;
  filter.limit = 100;
  for (const auto& other : store_.list_incidents(filter)) {
    if (other.id == except) continue;
    store::NoticeFilter nf;
    nf.incident_id = other.id;
    for (const auto& n : store_.list_notices(nf)) {
      if (n.channel == settings_.channel && n.stage == stage && n.status != store::NoticeStatus::failed &&
          now - n.created_at < settings_.rate_limit_period)
        return true;
    }
  }
  return false;
}

NoticeData Outbox::notice_data(const store::IncidentRecord& incident, const mapping::Account& account,
                               std::string_view stage) {
  NoticeData d;
  d.account_id = account.id;
  d.account_name = account.name;
  d.email = account.email;
  d.language = account.language;
  d.incident_code = incident_code(incident.id, incident.token);
  d.stage = std::string(stage);
  d.first_detection = incident.first_detection;
  d.last_detection = incident.last_detection;
  d.detectors = incident.detectors;
  d.cleanup_token = incident.token;
  // Counts: the largest window seen (windows of different detectors overlap,
  // so a sum would count sessions twice). Examples: the first HELO, else the
  // first destination, from the wire (escaped when rendered).
  for (const auto& event : store_.events_of_incident(incident.id, 200)) {
    const auto json = nlohmann::json::parse(event.json, nullptr, false);
    if (json.is_discarded() || !json.is_object()) continue;
    const auto ev = json.find("evidence");
    if (ev == json.end() || !ev->is_object()) continue;
    d.sessions = std::max(d.sessions, json_count(*ev, "sessions"));
    d.messages = std::max(d.messages, json_count(*ev, "transactions"));
    d.destinations = std::max(d.destinations, json_count(*ev, "distinct_destinations"));
    if (d.example_helo.empty()) d.example_helo = first_string(*ev, "sample_helos");
    if (d.example_destination.empty()) d.example_destination = first_string(*ev, "sample_destinations");
  }
  return d;
}

EnqueueResult Outbox::enqueue(const store::IncidentRecord& incident, std::string_view stage, Micros now) {
  if (incident.exempt) return {EnqueueResult::Kind::not_notifiable, {}, "incident is exempt"};
  if (!incident.account) return {EnqueueResult::Kind::not_notifiable, {}, "incident has no account (unattributed)"};
  const auto account = store_.find_account(*incident.account);
  if (!account) return {EnqueueResult::Kind::not_notifiable, {}, "account " + *incident.account + " is unknown"};
  if (account->exempt) return {EnqueueResult::Kind::not_notifiable, {}, "account " + account->id + " is exempt"};
  if (account->email.empty())
    return {EnqueueResult::Kind::not_notifiable, {}, "account " + account->id + " has no email address"};
  // Checked before composing: the worker asks every round for every open incident.
  store::NoticeFilter existing;
  existing.incident_id = incident.id;
  for (const auto& n : store_.list_notices(existing))
    if (n.channel == settings_.channel && n.stage == stage)
      return {EnqueueResult::Kind::already_queued, {}, "a '" + std::string(stage) + "' notice exists for this incident"};
  if (rate_limited(account->id, stage, incident.id, now))
    return {EnqueueResult::Kind::rate_limited, {},
            "account " + account->id + " had a '" + std::string(stage) + "' notice within the rate-limit period"};

  store::NoticeRecord record;
  record.incident_id = incident.id;
  record.account = account->id;
  record.channel = settings_.channel;
  record.stage = std::string(stage);
  record.to = account->email;
  record.created_at = now;
  record.next_attempt_at = now;
  std::string compose_error;
  try {
    const ComposedNotice composed = compose_notice(templates_, notice_, notice_data(incident, *account, stage), now);
    record.language = composed.language;
    record.subject = composed.subject;
    record.body = composed.message;  // the whole RFC 5322 message: retries send the same bytes
  } catch (const MessageError& e) {
    compose_error = e.what();
    record.language = account->language;
    record.subject = "(not composed)";
  }
  const auto id = store_.enqueue_notice(record);
  if (!id) return {EnqueueResult::Kind::already_queued, {}, "a '" + std::string(stage) + "' notice exists for this incident"};
  if (!compose_error.empty()) {
    store_.mark_notice_failed(*id, "cannot compose: " + compose_error, now);
    return {EnqueueResult::Kind::unsendable, id, compose_error};
  }
  return {EnqueueResult::Kind::queued, id, {}};
}

PlanResult Outbox::enqueue_due(Micros now) {
  PlanResult plan;
  store::IncidentFilter filter;
  filter.open_only = true;
  filter.limit = 100000;
  for (const auto& incident : store_.list_incidents(filter)) {
    const auto stage = stage_for(incident.state);
    if (!stage || incident.exempt || !incident.account) continue;
    const auto r = enqueue(incident, *stage, now);
    if (r.kind == EnqueueResult::Kind::queued) ++plan.queued;
    if (r.kind == EnqueueResult::Kind::rate_limited) ++plan.rate_limited;
    if (r.kind == EnqueueResult::Kind::unsendable) {
      ++plan.unsendable;
      spdlog::warn("notice for incident {} ({}) cannot be composed: {}", incident.id, *stage, r.reason);
    }
  }
  return plan;
}

RunResult Outbox::send_due(const SmtpSender& sender, Micros now, const SentCallback& on_sent) {
  RunResult run;
  const auto claimed = store_.claim_due_notices(now, settings_.batch_size, settings_.claim_timeout);
  for (const auto& n : claimed) {
    if (n.channel != settings_.channel) {
      store_.mark_notice_failed(n.id, "no sender for channel '" + n.channel + "'", now);
      ++run.failed;
      continue;
    }
    const SendResult result = sender.send(notice_.from_address, n.to, n.body);
    const Micros at = now;
    switch (result.outcome) {
      case SendResult::Outcome::sent:
        store_.mark_notice_sent(n.id, at);
        ++run.sent;
        spdlog::info("notice {} (incident {}, {}) sent to {}", n.id, n.incident_id, n.stage, n.to);
        if (on_sent) on_sent(n.incident_id, at);
        break;
      case SendResult::Outcome::failed:
        store_.mark_notice_failed(n.id, result.detail, at);
        ++run.failed;
        spdlog::warn("notice {} to {} failed permanently: {}", n.id, n.to, result.detail);
        break;
      case SendResult::Outcome::retry:
        if (n.attempts >= settings_.max_attempts) {
          store_.mark_notice_failed(n.id, "gave up after " + std::to_string(n.attempts) + " attempts: " + result.detail, at);
          ++run.failed;
          spdlog::warn("notice {} to {} failed after {} attempts: {}", n.id, n.to, n.attempts, result.detail);
        } else {
          store_.mark_notice_retry(n.id, result.detail, at + backoff(n.attempts));
          ++run.retried;
          spdlog::info("notice {} to {} will be retried (attempt {}): {}", n.id, n.to, n.attempts, result.detail);
        }
        break;
    }
  }
  return run;
}

OutboxRound run_outbox_round(Outbox& outbox, const SmtpSender& sender, Micros now, const Outbox::SentCallback& on_sent) {
  OutboxRound round;
  round.plan = outbox.enqueue_due(now);
  round.run = outbox.send_due(sender, now, on_sent);
  return round;
}

void run_outbox_loop(Outbox& outbox, const SmtpSender& sender, double poll_seconds,
                     const Outbox::SentCallback& on_sent, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    try {
      const Micros now = wall_clock_now();
      const auto round = run_outbox_round(outbox, sender, now, on_sent);
      if (round.plan.queued || round.run.sent || round.run.failed || round.run.retried)
        spdlog::info("outbox: {} queued, {} sent, {} to retry, {} failed", round.plan.queued, round.run.sent,
                     round.run.retried, round.run.failed);
    } catch (const std::exception& e) {
      spdlog::error("outbox: {}", e.what());
    }
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop, std::chrono::duration<double>(poll_seconds), [] { return false; });
  }
}

}  // namespace botwarden::notices
