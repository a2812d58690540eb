#include "cart_rules.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

constexpr int64_t kHour = 3600LL * 1000 * 1000;
constexpr int64_t kNoon = 1000 * kHour; // any instant: only differences matter
constexpr int64_t kCutoff = kNoon - 2 * kHour;

TEST(ClassifyCart, IdleCartWithItemsIsAbandonedFromTheCutoffOn) {
    EXPECT_EQ(ClassifyCart({3, false, kCutoff}, kCutoff), CartStatus::Abandoned);
    EXPECT_EQ(ClassifyCart({3, false, kCutoff - 1}, kCutoff), CartStatus::Abandoned);
    EXPECT_EQ(ClassifyCart({3, false, kCutoff + 1}, kCutoff), CartStatus::Active);
}

TEST(ClassifyCart, OrderedWinsOverEverything) {
    EXPECT_EQ(ClassifyCart({3, true, kCutoff - kHour}, kCutoff), CartStatus::Ordered);
    EXPECT_EQ(ClassifyCart({0, true, kCutoff - kHour}, kCutoff), CartStatus::Ordered);
}

TEST(ClassifyCart, EmptyCartIsNeverAbandoned) {
    EXPECT_EQ(ClassifyCart({0, false, kCutoff - kHour}, kCutoff), CartStatus::Empty);
    // A negative count can only come from damaged data; it must not read as "has items".
    EXPECT_EQ(ClassifyCart({-1, false, kCutoff - kHour}, kCutoff), CartStatus::Empty);
}

TEST(CartStatusName, NamesMatchTheSqlContract) {
    EXPECT_STREQ(CartStatusName(CartStatus::Active), "active");
    EXPECT_STREQ(CartStatusName(CartStatus::Abandoned), "abandoned");
    EXPECT_STREQ(CartStatusName(CartStatus::Ordered), "ordered");
    EXPECT_STREQ(CartStatusName(CartStatus::Empty), "empty");
}

} // namespace
} // namespace cartwatch
