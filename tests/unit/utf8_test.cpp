#include "utf8.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

const std::string kFffd(kReplacementCharacter);

TEST(Utf8Test, KeepsValidText) {
    const std::string text = "Zażółć gęślą jaźń – Größe 🎉";
    EXPECT_TRUE(IsValidUtf8(text));
    EXPECT_EQ(text, ReplaceInvalidUtf8(text));
}

TEST(Utf8Test, ReplacesEachMaximalInvalidSubpart) {
    // Cases from the Unicode standard's "U+FFFD substitution" examples.
    EXPECT_EQ("a" + kFffd + "b", ReplaceInvalidUtf8("a\xFF"
                                                    "b"));
    EXPECT_EQ(kFffd + "(", ReplaceInvalidUtf8("\xC3("));                  // truncated 2-byte
    EXPECT_EQ(kFffd + kFffd, ReplaceInvalidUtf8("\xC0\xAF"));             // overlong '/'
    EXPECT_EQ(kFffd + kFffd + kFffd, ReplaceInvalidUtf8("\xED\xA0\x80")); // surrogate
    EXPECT_EQ(kFffd, ReplaceInvalidUtf8("\xE2\x82"));                     // truncated at end
    EXPECT_EQ(kFffd + "x", ReplaceInvalidUtf8("\xF0\x9F\x98x"));          // truncated 4-byte
    EXPECT_EQ(kFffd + kFffd + kFffd + kFffd, ReplaceInvalidUtf8("\xF4\x90\x80\x80")); // > U+10FFFF
    EXPECT_FALSE(IsValidUtf8("\x80"));
}

TEST(Utf8Test, SingleLineRemovesLineBreaksAndControls) {
    EXPECT_EQ("Anna Bcc: x@example.com", SanitizeSingleLine("Anna\r\nBcc: x@example.com"));
    EXPECT_EQ("ab", SanitizeSingleLine("a\x01\x1B\x7F"
                                       "b"));
    EXPECT_EQ("a b", SanitizeSingleLine("a\xC2\x85"
                                        "b")); // NEL
    EXPECT_EQ("a b", SanitizeSingleLine("a\xE2\x80\xA8"
                                        "b")); // LINE SEPARATOR
    EXPECT_EQ("ab", SanitizeSingleLine("a\xC2\x9B"
                                       "b")); // C1 CSI
    EXPECT_EQ("x y", SanitizeSingleLine("  x \t\n  y  "));
    EXPECT_EQ("Zofia" + kFffd + "(", SanitizeSingleLine("Zofia\xC3("));
    EXPECT_EQ("", SanitizeSingleLine("\r\n\t "));
}

TEST(Utf8Test, TruncatesOnCharacterBoundaries) {
    EXPECT_EQ("Żó", TruncateUtf8("Żółw", 2));
    EXPECT_EQ("🎉", TruncateUtf8("🎉🎉", 1));
    EXPECT_EQ("ab", TruncateUtf8("ab", 10));
}

} // namespace
} // namespace cartwatch
