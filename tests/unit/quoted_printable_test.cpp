#include "quoted_printable.hpp"
#include "reference_decoders.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace cartwatch {
namespace {

std::string Decode(const std::string& encoded) {
    return decoders::DecodeQuotedPrintable(encoded).value_or("<malformed>");
}

void ExpectWellFormed(const std::string& encoded) {
    std::istringstream lines(encoded);
    std::string line;
    while (std::getline(lines, line)) {
        ASSERT_FALSE(line.empty());
        ASSERT_EQ('\r', line.back()) << "line without CRLF";
        line.pop_back();
        EXPECT_LE(line.size(), 76u) << line;
        if (!line.empty()) {
            EXPECT_NE(' ', line.back()) << "unprotected trailing space";
            EXPECT_NE('\t', line.back());
            EXPECT_NE('.', line.front());
            EXPECT_NE(0u, line.rfind("From ", 0));
        }
    }
    for (const unsigned char c : encoded) {
        EXPECT_LT(c, 0x80);
    }
}

TEST(QuotedPrintableTest, EncodesUtf8AndEquals) {
    EXPECT_EQ("Gr=C3=B6=C3=9Fe a=3Db\r\n", EncodeQuotedPrintable("Größe a=b"));
}

TEST(QuotedPrintableTest, NormalisesLineBreaksToCrlf) {
    EXPECT_EQ("a\r\nb\r\nc\r\n\r\n", EncodeQuotedPrintable("a\nb\r\nc\r\n\n"));
    EXPECT_EQ("a\r\nb\r\n", EncodeQuotedPrintable("a\rb"));
}

TEST(QuotedPrintableTest, ProtectsTrailingWhitespace) {
    EXPECT_EQ("--=20\r\nx=09\r\n", EncodeQuotedPrintable("-- \nx\t"));
}

TEST(QuotedPrintableTest, ProtectsDotAndFromAtLineStart) {
    EXPECT_EQ("=2E\r\n=46rom here\r\nsay From x\r\n",
              EncodeQuotedPrintable(".\nFrom here\nsay From x"));
}

TEST(QuotedPrintableTest, SoftBreaksLongLinesWithoutSplittingEscapes) {
    std::string text;
    for (int i = 0; i < 300; ++i) {
        text += (i % 7 == 0) ? "ż" : "a ";
    }
    const std::string encoded = EncodeQuotedPrintable(text);
    ExpectWellFormed(encoded);
    EXPECT_EQ(text + "\n", Decode(encoded));
}

TEST(QuotedPrintableTest, ExactlySeventySixCharactersStayOnOneLine) {
    const std::string line(76, 'x');
    EXPECT_EQ(line + "\r\n", EncodeQuotedPrintable(line));
    const std::string longer(77, 'x');
    EXPECT_EQ(std::string(75, 'x') + "=\r\nxx\r\n", EncodeQuotedPrintable(longer));
}

TEST(QuotedPrintableTest, DotAfterSoftBreakIsProtected) {
    const std::string text = std::string(75, 'x') + ".....";
    const std::string encoded = EncodeQuotedPrintable(text);
    ExpectWellFormed(encoded);
    EXPECT_EQ(text + "\n", Decode(encoded));
}

// The encoder copies runs of plain bytes in bulk: wherever an escape, a space or the end of the
// line falls against the 76-character limit, a line breaks only when the next atom would not
// fit (so a soft-broken line holds at least 73 characters before its "="), and nothing else
// changes.
TEST(QuotedPrintableTest, BreaksOnlyWhereTheNextAtomDoesNotFit) {
    for (const std::string special : {"=", "\xc5\xbc", " ", "\t"}) {
        for (std::size_t length = 1; length <= 170; ++length) {
            for (std::size_t at = 0; at < length; at += 7) {
                std::string text(length, 'x');
                text.replace(at, 1, special);
                const std::string encoded = EncodeQuotedPrintable(text);
                ExpectWellFormed(encoded);
                EXPECT_EQ(text + "\n", Decode(encoded)) << length << " " << at;
                std::istringstream lines(encoded);
                std::string line;
                while (std::getline(lines, line)) {
                    line.pop_back(); // the CR
                    if (!line.empty() && line.back() == '=') {
                        EXPECT_GE(line.size(), 74u) << length << " " << at << ": " << line;
                    }
                }
            }
        }
    }
}

TEST(QuotedPrintableTest, RoundTripsEveryByte) {
    std::string text;
    for (int c = 0; c < 256; ++c) {
        if (c != '\r' && c != '\n') {
            text.push_back(static_cast<char>(c));
        }
    }
    text += " \t ";
    const std::string encoded = EncodeQuotedPrintable(text);
    ExpectWellFormed(encoded);
    EXPECT_EQ(text + "\n", Decode(encoded));
}

// The template set encodes its fixed lines once and appends the encoding of the rest: that
// must give the bytes of encoding the whole, wherever the text is cut after a line feed.
TEST(QuotedPrintableTest, EncodingsOfPiecesCutAfterLineFeedsJoin) {
    const std::string text = std::string(80, 'x') + " \n.dot\r\nFrom here\n\n\t\n" +
                             "Zażółć gęślą jaźń " + std::string(70, '=') + "\nlast line ";
    const std::string whole = EncodeQuotedPrintable(text);
    for (std::size_t cut = text.find('\n'); cut != std::string::npos;
         cut = text.find('\n', cut + 1)) {
        std::string joined = EncodeQuotedPrintable(text.substr(0, cut + 1));
        AppendQuotedPrintable(text.substr(cut + 1), joined);
        EXPECT_EQ(whole, joined) << "cut after byte " << cut;
    }
}

} // namespace
} // namespace cartwatch
