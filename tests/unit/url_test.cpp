#include "url.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

TEST(UrlTest, PercentEncodesAllButUnreserved) {
    EXPECT_EQ("abc-._~123", PercentEncode("abc-._~123"));
    EXPECT_EQ("a%20b%2F%3F%26%0D%0A", PercentEncode("a b/?&\r\n"));
    EXPECT_EQ("%C5%BC", PercentEncode("ż"));
}

TEST(UrlTest, AcceptsOnlyPlainHttpsLinks) {
    EXPECT_TRUE(IsSafeHttpsUrl("https://shop.example/cart/recover/abc?x=1&y=2#top"));
    EXPECT_FALSE(IsSafeHttpsUrl("http://shop.example/"));
    EXPECT_FALSE(IsSafeHttpsUrl("javascript:alert(1)"));
    EXPECT_FALSE(IsSafeHttpsUrl("https://"));
    EXPECT_FALSE(IsSafeHttpsUrl("https:///path"));
    EXPECT_FALSE(IsSafeHttpsUrl("https://shop.example/a b"));
    EXPECT_FALSE(IsSafeHttpsUrl("https://shop.example/\"onmouseover=x"));
    EXPECT_FALSE(IsSafeHttpsUrl("https://shop.example/'"));
    EXPECT_FALSE(IsSafeHttpsUrl("https://shop.example/>\r\nBcc: x"));
    EXPECT_FALSE(IsSafeHttpsUrl("https://shop.example/ż"));
    EXPECT_FALSE(IsSafeHttpsUrl("https://shop.example/" + std::string(kMaxUrlLength, 'a')));
}

TEST(UrlTest, AcceptsMailtoWithValidAddress) {
    EXPECT_TRUE(IsSafeMailtoUri("mailto:unsubscribe@shop.example?subject=unsubscribe%20x"));
    EXPECT_TRUE(IsSafeMailtoUri("mailto:u@shop.example"));
    EXPECT_FALSE(IsSafeMailtoUri("mailto:"));
    EXPECT_FALSE(IsSafeMailtoUri("mailto:not-an-address"));
    EXPECT_FALSE(IsSafeMailtoUri("https://shop.example"));
    EXPECT_FALSE(IsSafeMailtoUri("mailto:a@b.example?subject=a b"));
}

} // namespace
} // namespace cartwatch
