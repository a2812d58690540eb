#include "duration.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

using std::chrono::milliseconds;

TEST(Duration, ReadsUnitsAndCombinations) {
    EXPECT_EQ(ParseDuration("30s"), milliseconds(30'000));
    EXPECT_EQ(ParseDuration("5m"), milliseconds(300'000));
    EXPECT_EQ(ParseDuration("1h30m"), milliseconds(5'400'000));
    EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
    EXPECT_EQ(ParseDuration("2.5s"), milliseconds(2'500));
    EXPECT_EQ(ParseDuration("1d"), milliseconds(86'400'000));
}

TEST(Duration, BareNumberIsSeconds) {
    EXPECT_EQ(ParseDuration("45"), milliseconds(45'000));
    EXPECT_EQ(ParseDuration("0"), milliseconds(0));
}

TEST(Duration, RefusesWhatIsNotADuration) {
    EXPECT_FALSE(ParseDuration(""));
    EXPECT_FALSE(ParseDuration("s"));
    EXPECT_FALSE(ParseDuration("-5s"));
    EXPECT_FALSE(ParseDuration("5 s"));
    EXPECT_FALSE(ParseDuration("5x"));
    EXPECT_FALSE(ParseDuration("1s30")); // a bare number only on its own
    EXPECT_FALSE(ParseDuration("."));
    EXPECT_FALSE(ParseDuration("99999d"));
}

TEST(Duration, FormatsTheShortestExactSpelling) {
    EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
    EXPECT_EQ(FormatDuration(milliseconds(90'000)), "1m30s");
    EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
    EXPECT_EQ(FormatDuration(milliseconds(3'600'000)), "1h");
    for (long long ms : {1LL, 999LL, 61'001LL, 90'061'001LL}) {
        EXPECT_EQ(ParseDuration(FormatDuration(milliseconds(ms))), milliseconds(ms));
    }
}

} // namespace
} // namespace cartwatch
