// Structured logging setup shared by every program (spdlog to stderr).
#pragma once
#include <string>

namespace botwarden {
// level: trace, debug, info, warn, error, off. Throws std::invalid_argument otherwise.
void setup_logging(const std::string& program, const std::string& level);
}  // namespace botwarden
