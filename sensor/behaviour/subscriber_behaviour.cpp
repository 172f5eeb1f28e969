// Sliding per-subscriber windows; see subscriber_behaviour.hpp.
#include "subscriber_behaviour.hpp"

#include <algorithm>

#include "subscriber_table.hpp"

namespace botwarden::behaviour {
namespace {

void add_sample(std::vector<std::string>& samples, const std::string& value, std::size_t max) {
  if (value.empty() || samples.size() >= max) return;
  if (std::find(samples.begin(), samples.end(), value) == samples.end()) samples.push_back(value);
}


}  // namespace

std::string subscriber_key(const IpAddress& address, unsigned ipv6_prefix_length) {
  if (address.is_v4()) return address.to_string();
  return Prefix{address.masked(ipv6_prefix_length), ipv6_prefix_length}.to_string();
}

Novelty SubscriberBehaviour::observe(const smtp::SessionRecord& r, const IpAddress& address,
                                     bool blocklisted, const std::string& sender_domain, Micros at,
                                     const BehaviourLimits& limits) {
  Novelty n;
  n.direct = r.path == smtp::Path::direct;
  if (sessions == 0 || at < first_seen) first_seen = at;
  last_seen = std::max(last_seen, at);
  last_address = address;
  ++sessions;
  if (r.trans_depth > 0) ++transactions;
  rejections_5xx += r.replies_5xx;
  rcpt_count += r.rcptto.size();

  if (n.direct) {
    ++direct_sessions;
    auto it = destinations_.find(r.resp_h);
    if (it == destinations_.end()) {
      if (destinations_.size() >= limits.max_destinations) {
        const auto oldest = std::min_element(destinations_.begin(), destinations_.end(),
                                             [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
        if (oldest != destinations_.end()) {
          if (oldest->second.blocklisted) --blocklisting_servers_;
          destinations_.erase(oldest);
        }
      }
      it = destinations_.emplace(r.resp_h, Destination{}).first;
      n.new_destination = true;
      new_destination_times_.push_back(at);
    }
    while (!new_destination_times_.empty() && new_destination_times_.front() < at - limits.burst_window) {
      new_destination_times_.pop_front();
    }
    if (new_destination_times_.size() > limits.max_destinations) new_destination_times_.pop_front();
    n.recent_new_destinations = new_destination_times_.size();
    it->second.last = std::max(it->second.last, at);
    if (blocklisted && !it->second.blocklisted) {
      it->second.blocklisted = true;
      n.first_blocklist_at_destination = true;
    }
    if (n.first_blocklist_at_destination) ++blocklisting_servers_;
    n.blocklisting_servers = blocklisting_servers_;
    add_sample(sample_destinations, r.resp_h.to_string(), limits.max_samples);
    if (!sender_domain.empty()) {
      auto sd = sender_domains_.find(sender_domain);
      if (sd == sender_domains_.end()) {
        if (sender_domains_.size() >= limits.max_destinations) {
          const auto oldest = std::min_element(sender_domains_.begin(), sender_domains_.end(),
                                               [](const auto& a, const auto& b) { return a.second < b.second; });
          if (oldest != sender_domains_.end()) sender_domains_.erase(oldest);
        }
        sd = sender_domains_.emplace(sender_domain, at).first;
        n.new_sender_domain = true;
      }
      sd->second = std::max(sd->second, at);
    }
  }

  if (!r.helo.empty()) {
    auto it = helos_.find(r.helo);
    if (it == helos_.end()) {
      if (!helos_.empty() && helos_.size() >= limits.max_helos) {
        const auto oldest = std::min_element(helos_.begin(), helos_.end(), [](const auto& a, const auto& b) {
          return a.second.last < b.second.last;
        });
        if (oldest != helos_.end()) {
          if (oldest->second.direct) --direct_helos_;
          helos_.erase(oldest);
        }
      }
      it = helos_.emplace(r.helo, Helo{}).first;
    }
    n.helo_repeats = it->second.sessions;
    ++it->second.sessions;
    it->second.last = std::max(it->second.last, at);
    if (n.direct && !it->second.direct) {
      it->second.direct = true;
      ++direct_helos_;
    }
    add_sample(sample_helos, r.helo, limits.max_samples);
  }
  if (const auto at_sign = r.mailfrom.rfind('@'); at_sign != std::string::npos) {
    std::string domain = r.mailfrom.substr(at_sign + 1);
    for (auto& c : domain) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
    }
    add_sample(sample_mailfrom_domains, domain, limits.max_samples);
  }
  return n;
}

void SubscriberBehaviour::expire(Micros now, const BehaviourLimits& limits) {
  std::erase_if(destinations_, [&](const auto& kv) {
    const bool old = kv.second.last < now - limits.destination_window;
    if (old && kv.second.blocklisted) --blocklisting_servers_;
    return old;
  });
  std::erase_if(sender_domains_, [&](const auto& kv) { return kv.second < now - limits.destination_window; });
  std::erase_if(helos_, [&](const auto& kv) {
    const bool old = kv.second.last < now - limits.helo_window;
    if (old && kv.second.direct) --direct_helos_;
    return old;
  });
}

}  // namespace botwarden::behaviour
