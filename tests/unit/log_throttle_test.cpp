#include "log_throttle.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

using namespace std::chrono_literals;

TEST(LogThrottle, LogsTheFirstThenOncePerIntervalWithTheCountLeftOut) {
    LogThrottle throttle(60s);
    const LogThrottle::Clock::time_point start{};
    EXPECT_EQ(throttle.Occurred(start + 1s), 0u);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_FALSE(throttle.Occurred(start + 2s));
    }
    EXPECT_FALSE(throttle.Occurred(start + 60s));
    EXPECT_EQ(throttle.Occurred(start + 61s), 1001u);
    // A quiet spell longer than the interval: the next one is logged at once, nothing left out.
    EXPECT_EQ(throttle.Occurred(start + 10min), 0u);
}

} // namespace
} // namespace cartwatch
