// The retry curve: doubling, the cap, and a jitter that is deterministic and bounded.
#include <gtest/gtest.h>

#include "retry_backoff.hpp"

namespace cartwatch {
namespace {

constexpr int64_t kSecond = 1000000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;

TEST(RetryBackoff, DoublesWithinTheJitterBand) {
    for (int failures = 1; failures <= 6; ++failures) {
        const int64_t nominal = (5 * kMinute) << (failures - 1);
        const int64_t delay = RetryDelay(failures, 5 * kMinute, 6 * kHour, 42);
        EXPECT_GE(delay, nominal * 3 / 4 - kSecond) << failures;
        EXPECT_LT(delay, nominal) << failures;
    }
}

TEST(RetryBackoff, StopsAtTheCapWithoutOverflow) {
    for (int failures : {8, 20, 64, 1000, INT32_MAX}) {
        const int64_t delay = RetryDelay(failures, 5 * kMinute, 6 * kHour, 7);
        EXPECT_GE(delay, 6 * kHour * 3 / 4 - kSecond);
        EXPECT_LT(delay, 6 * kHour);
    }
}

TEST(RetryBackoff, IsDeterministicPerSeedAndSpreadAcrossSeeds) {
    EXPECT_EQ(RetryDelay(3, kMinute, kHour, 99), RetryDelay(3, kMinute, kHour, 99));
    int distinct = 0;
    const int64_t first = RetryDelay(1, kHour, kHour, 1);
    for (int64_t seed = 2; seed < 50; ++seed) {
        distinct += RetryDelay(1, kHour, kHour, seed) != first;
    }
    EXPECT_GT(distinct, 40); // reminders that failed together do not retry together
}

TEST(RetryBackoff, ClampsNonsense) {
    EXPECT_EQ(RetryDelay(0, kMinute, kHour, 1), RetryDelay(1, kMinute, kHour, 1));
    EXPECT_EQ(RetryDelay(3, -kMinute, kHour, 1), 0);
    EXPECT_EQ(RetryDelay(3, kMinute, -kHour, 1), 0);
    EXPECT_EQ(RetryDelay(3, kHour, kMinute, 1) % kSecond, 0); // whole seconds
}

} // namespace
} // namespace cartwatch
