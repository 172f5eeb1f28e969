// Timestamps: microseconds since the Unix epoch, UTC, as one integer type.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace botwarden {

using Micros = std::int64_t;  // microseconds since 1970-01-01T00:00:00Z
inline constexpr Micros kMicrosPerSecond = 1'000'000;

// The system's wall clock now (CLOCK_REALTIME, as libpcap's timestamps).
Micros wall_clock_now();

// "2026-11-25T18:40:21.123456Z" (microseconds kept when non-zero, else "...:21Z").
std::string format_rfc3339(Micros t);
// Zeek's JSON `ts`: epoch seconds with six decimals, "1764096021.123456".
std::string format_epoch_seconds(Micros t);
// RFC 3339 with 'Z' or a numeric offset, optional fraction; nullopt if invalid.
std::optional<Micros> parse_rfc3339(std::string_view text);

}  // namespace botwarden
