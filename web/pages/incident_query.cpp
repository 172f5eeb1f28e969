// Incident filters and paging over the store interface.
#include "web/pages/incident_query.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace botwarden::web {

namespace {

// The store filters by state and account; detector and time are applied
// here over at most this many incidents (newest first).
constexpr std::size_t kScanLimit = 100'000;

std::size_t parse_count(std::string_view name, const std::string& text, std::size_t min, std::size_t max) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw std::invalid_argument(std::string(name) + ": expected a whole number from " + std::to_string(min) +
                                " to " + std::to_string(max) + ", got '" + text + "'");
  }
  return value;
}

}  // namespace

IncidentQuery parse_incident_query(const std::map<std::string, std::string, std::less<>>& params) {
  IncidentQuery q;
  const auto get = [&](std::string_view key) -> std::optional<std::string> {
    const auto it = params.find(key);
    if (it == params.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  if (const auto s = get("state")) {
    q.state = incident::parse_state(*s);
    if (!q.state) throw std::invalid_argument("state: unknown state '" + *s + "'");
  }
  if (const auto d = get("detector")) {
    if (*d != "bad_helo" && *d != "direct_to_mx" && *d != "snowshoe") {
      throw std::invalid_argument("detector: expected bad_helo, direct_to_mx or snowshoe, got '" + *d + "'");
    }
    q.detector = *d;
  }
  if (const auto a = get("account")) {
    if (a->size() > 256) throw std::invalid_argument("account: longer than 256 characters");
    q.account = *a;
  }
  for (const auto& [key, target] : {std::pair{"since", &q.since}, std::pair{"until", &q.until}}) {
    if (const auto t = get(key)) {
      *target = parse_rfc3339(*t);
      if (!*target) throw std::invalid_argument(std::string(key) + ": not an RFC 3339 time: '" + *t + "'");
    }
  }
  if (const auto l = get("limit")) q.limit = parse_count("limit", *l, 1, 500);
  if (const auto o = get("offset")) q.offset = parse_count("offset", *o, 0, kScanLimit);
  if (const auto p = get("page")) q.offset = (parse_count("page", *p, 1, kScanLimit) - 1) * q.limit;
  return q;
}

IncidentPage run_incident_query(store::Store& store, const IncidentQuery& query) {
  store::IncidentFilter filter;
  filter.state = query.state;
  filter.account = query.account;
  filter.limit = kScanLimit;
  auto all = store.list_incidents(filter);
  std::erase_if(all, [&](const store::IncidentRecord& r) {
    if (query.detector && std::find(r.detectors.begin(), r.detectors.end(), *query.detector) == r.detectors.end()) {
      return true;
    }
    if (query.since && r.last_detection < *query.since) return true;
    if (query.until && r.first_detection >= *query.until) return true;
    return false;
  });
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
  IncidentPage page;
  page.total = all.size();
  const auto begin = std::min(query.offset, all.size());
  const auto end = std::min(all.size(), begin + query.limit);
  page.incidents.assign(std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(begin)),
                        std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end)));
  return page;
}

}  // namespace botwarden::web
