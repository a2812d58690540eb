#include "rate_limiter.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

using Clock = RateLimiter::Clock;
using std::chrono::milliseconds;

TEST(RateLimiter, NoLimitSendsAtOnce) {
    RateLimiter limiter(0, 1);
    const auto now = Clock::now();
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(limiter.Reserve(now), now);
    }
}

TEST(RateLimiter, SpacesSlotsEvenly) {
    RateLimiter limiter(4, 1); // one every 250 ms
    const auto t0 = Clock::now();
    EXPECT_EQ(limiter.Reserve(t0), t0);
    EXPECT_EQ(limiter.Reserve(t0), t0 + milliseconds(250));
    EXPECT_EQ(limiter.Reserve(t0), t0 + milliseconds(500));
    EXPECT_EQ(limiter.Reserve(t0), t0 + milliseconds(750));
}

TEST(RateLimiter, BurstAfterAQuietSpell) {
    RateLimiter limiter(2, 3);
    const auto t0 = Clock::now();
    EXPECT_EQ(limiter.Reserve(t0), t0);
    EXPECT_EQ(limiter.Reserve(t0), t0);
    EXPECT_EQ(limiter.Reserve(t0), t0);
    EXPECT_EQ(limiter.Reserve(t0), t0 + milliseconds(500));
    // Ten quiet seconds refill the bucket, but never beyond the burst.
    const auto t1 = t0 + std::chrono::seconds(10);
    EXPECT_EQ(limiter.Reserve(t1), t1);
    EXPECT_EQ(limiter.Reserve(t1), t1);
    EXPECT_EQ(limiter.Reserve(t1), t1);
    EXPECT_EQ(limiter.Reserve(t1), t1 + milliseconds(500));
}

TEST(RateLimiter, LongRunRateHolds) {
    RateLimiter limiter(10, 1);
    const auto t0 = Clock::now();
    Clock::time_point last;
    for (int i = 0; i < 101; ++i) {
        last = limiter.Reserve(t0);
    }
    EXPECT_EQ(std::chrono::duration_cast<milliseconds>(last - t0), milliseconds(10'000));
}

TEST(RateLimiter, ReservationsArriveInOrderWhenCallersComeLate) {
    RateLimiter limiter(1, 1);
    const auto t0 = Clock::now();
    EXPECT_EQ(limiter.Reserve(t0), t0);
    EXPECT_EQ(limiter.Reserve(t0), t0 + std::chrono::seconds(1));
    // A caller arriving at 0.5 s queues behind the slot at 1 s.
    EXPECT_EQ(limiter.Reserve(t0 + milliseconds(500)), t0 + std::chrono::seconds(2));
}

TEST(RateLimiter, SetRateAppliesToLaterReservations) {
    RateLimiter limiter(1, 1);
    const auto t0 = Clock::now();
    EXPECT_EQ(limiter.Reserve(t0), t0);
    limiter.SetRate(0, 1);
    EXPECT_EQ(limiter.Reserve(t0), t0);
}

} // namespace
} // namespace cartwatch
