#include "log_throttle.hpp"

namespace cartwatch {

std::optional<std::uint64_t> LogThrottle::Occurred(Clock::time_point now) {
    if (logged_at_ && now - *logged_at_ < interval_) {
        ++unlogged_;
        return std::nullopt;
    }
    logged_at_ = now;
    const std::uint64_t left_out = unlogged_;
    unlogged_ = 0;
    return left_out;
}

} // namespace cartwatch
