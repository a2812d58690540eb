#include "outbox.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

// complete_reminders() takes its values as text[] parameters: whatever an SMTP server replies
// or a template renders must reach the outbox unchanged.
TEST(TextArrayLiteralTest, QuotesEveryElement) {
    EXPECT_EQ("{}", TextArrayLiteral({}));
    EXPECT_EQ(R"({""})", TextArrayLiteral({""}));
    EXPECT_EQ(R"({"250 2.0.0 Ok","NULL"})", TextArrayLiteral({"250 2.0.0 Ok", "NULL"}));
}

TEST(TextArrayLiteralTest, EscapesQuotesAndBackslashesOnly) {
    EXPECT_EQ(R"({"say \"hi\"","C:\\queue","a,b {c} d"})",
              TextArrayLiteral({R"(say "hi")", R"(C:\queue)", "a,b {c} d"}));
    EXPECT_EQ("{\"Zółw\nline\"}", TextArrayLiteral({"Zółw\nline"}));
}

} // namespace
} // namespace cartwatch
