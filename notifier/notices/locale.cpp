// Plain-language dates per language (see locale.hpp).
#include "locale.hpp"

#include <array>
#include <cstdio>
#include <ctime>

namespace botwarden::notices {

std::string primary_language(std::string_view tag) {
  const auto dash = tag.find_first_of("-_");
  const std::string_view primary = tag.substr(0, dash);
  if (primary.size() < 2 || primary.size() > 3) return {};
  std::string out;
  for (char c : primary) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c < 'a' || c > 'z') return {};
    out += c;
  }
  return out;
}

std::string format_plain_time(Micros t, std::string_view language) {
  using Months = std::array<const char*, 12>;
  static constexpr Months en{"January", "February", "March", "April", "May", "June",
                             "July", "August", "September", "October", "November", "December"};
  static constexpr Months de{"Januar", "Februar", "März", "April", "Mai", "Juni",
                             "Juli", "August", "September", "Oktober", "November", "Dezember"};
  static constexpr Months fr{"janvier", "février", "mars", "avril", "mai", "juin",
                             "juillet", "août", "septembre", "octobre", "novembre", "décembre"};
  static constexpr Months nl{"januari", "februari", "maart", "april", "mei", "juni",
                             "juli", "augustus", "september", "oktober", "november", "december"};
  const std::time_t secs = static_cast<std::time_t>(t / kMicrosPerSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  const auto month = static_cast<std::size_t>(tm.tm_mon);
  char buf[96];
  if (language == "de") {
    std::snprintf(buf, sizeof buf, "%d. %s %d um %02d:%02d Uhr UTC", tm.tm_mday, de.at(month), tm.tm_year + 1900,
                  tm.tm_hour, tm.tm_min);
  } else if (language == "fr") {
    std::snprintf(buf, sizeof buf, "%d %s %d à %02dh%02d UTC", tm.tm_mday, fr.at(month), tm.tm_year + 1900,
                  tm.tm_hour, tm.tm_min);
  } else if (language == "nl") {
    std::snprintf(buf, sizeof buf, "%d %s %d om %02d:%02d UTC", tm.tm_mday, nl.at(month), tm.tm_year + 1900,
                  tm.tm_hour, tm.tm_min);
  } else {
    std::snprintf(buf, sizeof buf, "%d %s %d at %02d:%02d UTC", tm.tm_mday, en.at(month), tm.tm_year + 1900,
                  tm.tm_hour, tm.tm_min);
  }
  return buf;
}

}  // namespace botwarden::notices
