// Keeps a warning that can repeat many times a second (a refused connection, a failed accept)
// to one line per interval: the first occurrence is logged, later ones are counted, and the
// next line that is logged says how many were left out. A flood of connections must not turn
// into a flood of log lines (or of journal writes, which cost more than the connections).
// spdlog's dup_filter_sink does not fit: it filters a whole logger, and only lines repeated
// word for word one after another.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace cartwatch {

class LogThrottle {
public:
    using Clock = std::chrono::steady_clock;

    explicit LogThrottle(Clock::duration interval) : interval_(interval) {}

    // Counts one occurrence. When it is to be logged, returns how many occurrences since the
    // last logged one were not (0 the first time); nullopt when it is only counted.
    std::optional<std::uint64_t> Occurred(Clock::time_point now);

private:
    Clock::duration interval_;
    std::optional<Clock::time_point> logged_at_;
    std::uint64_t unlogged_ = 0;
};

} // namespace cartwatch
