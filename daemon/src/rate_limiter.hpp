// A token bucket shared by the sender threads: at most `rate` messages per second on average,
// with bursts of up to `burst` after a quiet spell. Each caller reserves a slot and is told
// when it may send, so waiting happens outside the lock and slots are handed out in order.
#pragma once

#include <chrono>
#include <mutex>

namespace cartwatch {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    // rate <= 0 means no limit. burst is at least 1.
    RateLimiter(double rate, double burst);

    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    // Takes one slot and returns the moment it may be used (now, or later).
    Clock::time_point Reserve(Clock::time_point now);

    // Changes the rate (after a configuration reload); reservations made stay valid.
    void SetRate(double rate, double burst);

private:
    std::mutex mutex_;
    double rate_;
    double burst_;
    double tokens_;
    Clock::time_point updated_;
    bool started_ = false;
};

} // namespace cartwatch
