#include "rate_limiter.hpp"

#include <algorithm>

namespace cartwatch {

RateLimiter::RateLimiter(double rate, double burst)
    : rate_(rate), burst_(std::max(1.0, burst)), tokens_(burst_) {}

RateLimiter::Clock::time_point RateLimiter::Reserve(Clock::time_point now) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (rate_ <= 0) {
        return now;
    }
    if (!started_) {
        started_ = true;
        updated_ = now;
    }
    // Refill for the time passed; a reservation in the future leaves updated_ ahead of now.
    if (now > updated_) {
        const double elapsed = std::chrono::duration<double>(now - updated_).count();
        tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
        updated_ = now;
    }
    tokens_ -= 1;
    if (tokens_ >= 0) {
        return updated_ > now ? updated_ : now;
    }
    // In debt: this slot comes when the debt is paid off.
    const auto wait = std::chrono::duration<double>(-tokens_ / rate_);
    return updated_ + std::chrono::duration_cast<Clock::duration>(wait);
}

void RateLimiter::SetRate(double rate, double burst) {
    std::lock_guard<std::mutex> lock(mutex_);
    rate_ = rate;
    burst_ = std::max(1.0, burst);
    tokens_ = std::min(tokens_, burst_);
}

} // namespace cartwatch
