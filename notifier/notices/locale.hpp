// Language-dependent wording that templates cannot express: dates and
// times in plain words. Languages: en, de, fr, nl; anything else reads as en.
#pragma once
#include <string>
#include <string_view>

#include "sensor/common/time.hpp"

namespace botwarden::notices {

// "de-AT" -> "de", "FR" -> "fr"; empty when the tag is not 2-3 letters
// (so it can never name a path outside the templates folder).
std::string primary_language(std::string_view tag);

// "25 November 2026 at 18:50 UTC" (en), "25. November 2026 um 18:50 Uhr UTC"
// (de), "25 novembre 2026 à 18h50 UTC" (fr), "25 november 2026 om 18:50 UTC" (nl).
std::string format_plain_time(Micros t, std::string_view language);

}  // namespace botwarden::notices
