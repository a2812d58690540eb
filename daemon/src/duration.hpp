// Durations as people write them in a config file: "30s", "5m", "1h30m", "250ms", or a bare
// number of seconds.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cartwatch {

using Milliseconds = std::chrono::milliseconds;

// Parses "1h30m", "90s", "250ms", "2.5s" or "45" (seconds); nullopt for anything else,
// including negative values and an empty string.
std::optional<Milliseconds> ParseDuration(std::string_view text);

// The shortest exact spelling ParseDuration reads back: "90s" -> "1m30s", 0 -> "0s".
std::string FormatDuration(Milliseconds duration);

} // namespace cartwatch
