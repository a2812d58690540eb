#include "header_encoding.hpp"
#include "reference_decoders.hpp"
#include "utf8.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace cartwatch {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string DecodeWord(const std::string& word) {
    const auto decoded = decoders::DecodeEncodedWord(word);
    EXPECT_TRUE(decoded.has_value()) << word;
    return decoded.value_or("");
}

std::vector<std::string> Lines(const std::string& field) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < field.size()) {
        const std::size_t end = field.find("\r\n", start);
        lines.push_back(field.substr(start, end - start));
        start = end + 2;
    }
    return lines;
}

void ExpectFoldedWithin78(const std::string& field) {
    ASSERT_EQ("\r\n", field.substr(field.size() - 2));
    for (const std::string& line : Lines(field)) {
        EXPECT_LE(line.size(), kFoldedLineLength) << line;
        EXPECT_EQ(std::string::npos, line.find('\r'));
        EXPECT_EQ(std::string::npos, line.find('\n'));
    }
    const auto lines = Lines(field);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        EXPECT_EQ(' ', lines[i][0]) << "continuation line must start with a space";
    }
}

std::string DecodeAll(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& word : words) {
        out += DecodeWord(word);
    }
    return out;
}

TEST(EncodeWordsTest, KeepsCharactersWholeAndWordsShort) {
    const std::string text = "Zażółć gęślą jaźń – „cudzysłów” 🎉 i łódź ";
    for (std::size_t first = 24; first <= 75; ++first) {
        const auto words = EncodeWords(text + text + text, first);
        ASSERT_FALSE(words.empty());
        EXPECT_LE(words[0].size(), first);
        for (const auto& word : words) {
            EXPECT_LE(word.size(), kMaxEncodedWordLength);
            EXPECT_TRUE(IsValidUtf8(DecodeWord(word))) << "split character in " << word;
        }
        EXPECT_EQ(text + text + text, DecodeAll(words));
    }
}

TEST(EncodeWordsTest, PicksQForLatinAndBForEmoji) {
    EXPECT_THAT(EncodeWords("Größe", 75)[0], StartsWith("=?UTF-8?Q?"));
    EXPECT_EQ("=?UTF-8?Q?Gr=C3=B6=C3=9Fe?=", EncodeWords("Größe", 75)[0]);
    EXPECT_THAT(EncodeWords("🎉🎉🎉🎉", 75)[0], StartsWith("=?UTF-8?B?"));
}

TEST(EncodeWordsTest, QEncodesPhraseSpecials) {
    EXPECT_EQ("=?UTF-8?Q?a=2C_b=22=3D=3F=5F=28c=29_=C5=BC?=", EncodeWords("a, b\"=?_(c) ż", 75)[0]);
}

TEST(UnstructuredFieldTest, LeavesPlainAsciiReadable) {
    EXPECT_EQ("Subject: You left something in your cart\r\n",
              *FormatUnstructuredField("Subject", "You left something in your cart"));
}

TEST(UnstructuredFieldTest, FoldsLongAsciiAtSpaces) {
    std::string subject;
    for (int i = 0; i < 30; ++i) {
        subject += "word" + std::to_string(i) + " ";
    }
    const auto field = FormatUnstructuredField("Subject", subject);
    ASSERT_TRUE(field.ok());
    ExpectFoldedWithin78(*field);
    std::string unfolded = *field;
    for (std::size_t pos; (pos = unfolded.find("\r\n ")) != std::string::npos;) {
        unfolded.erase(pos, 2);
    }
    EXPECT_EQ("Subject: " + subject.substr(0, subject.size() - 1) + "\r\n", unfolded);
}

TEST(UnstructuredFieldTest, EncodesNonAsciiAndFolds) {
    const std::string subject =
        "Twój koszyk czeka – dokończ zakupy, zanim produkty się wyprzedadzą! Żółta Półka";
    const auto field = FormatUnstructuredField("Subject", subject);
    ASSERT_TRUE(field.ok());
    ExpectFoldedWithin78(*field);
    EXPECT_THAT(*field, StartsWith("Subject: =?UTF-8?Q?Tw=C3=B3j_koszyk"));
    std::vector<std::string> words;
    std::istringstream tokens(field->substr(9));
    for (std::string token; tokens >> token;) {
        words.push_back(token);
    }
    EXPECT_EQ(subject, DecodeAll(words));
}

TEST(UnstructuredFieldTest, NeutralisesHeaderInjection) {
    const auto field =
        FormatUnstructuredField("Subject", "Hi\r\nBcc: victim@example.net\r\n\r\nbody");
    ASSERT_TRUE(field.ok());
    EXPECT_EQ("Subject: Hi Bcc: victim@example.net body\r\n", *field);
}

TEST(UnstructuredFieldTest, EncodesTextThatLooksEncoded) {
    const auto field = FormatUnstructuredField("Subject", "=?UTF-8?Q?fake?=");
    ASSERT_TRUE(field.ok());
    EXPECT_EQ("=?UTF-8?Q?fake?=", DecodeWord(field->substr(9, field->size() - 11)));
    EXPECT_THAT(*field, Not(HasSubstr("Subject: =?UTF-8?Q?fake?=\r\n")));
}

TEST(UnstructuredFieldTest, ReplacesInvalidUtf8) {
    const auto field = FormatUnstructuredField("Subject", "Kubek \xFF");
    ASSERT_TRUE(field.ok());
    EXPECT_EQ("Subject: =?UTF-8?Q?Kubek_=EF=BF=BD?=\r\n", *field);
}

TEST(UnstructuredFieldTest, BreaksUnbreakableWordsThroughEncoding) {
    const std::string word(300, 'x');
    const auto field = FormatUnstructuredField("Subject", word);
    ASSERT_TRUE(field.ok());
    ExpectFoldedWithin78(*field);
}

TEST(UnstructuredFieldTest, RefusesBadFieldNames) {
    EXPECT_FALSE(FormatUnstructuredField("Sub ject", "x").ok());
    EXPECT_FALSE(FormatUnstructuredField("Subject:\r\nBcc", "x").ok());
    EXPECT_FALSE(FormatUnstructuredField("", "x").ok());
}

TEST(MailboxFieldTest, PlainDisplayName) {
    EXPECT_EQ("From: Kaffeehaus Shop <shop@example.de>\r\n",
              *FormatMailboxField("From", "Kaffeehaus Shop", "shop@example.de"));
    EXPECT_EQ("To: anna@example.pl\r\n", *FormatMailboxField("To", "", "anna@example.pl"));
}

TEST(MailboxFieldTest, QuotesAsciiSpecials) {
    EXPECT_EQ("From: \"Harbour & Home, Ltd.\" <hello@example.com>\r\n",
              *FormatMailboxField("From", "Harbour & Home, Ltd.", "hello@example.com"));
    EXPECT_EQ("From: \"Say \\\"hi\\\" \\\\o/\" <a@example.com>\r\n",
              *FormatMailboxField("From", "Say \"hi\" \\o/", "a@example.com"));
}

TEST(MailboxFieldTest, EncodesNonAsciiNames) {
    EXPECT_EQ("To: =?UTF-8?Q?Zo=C3=AB_=C5=81ukasiewicz-M=C3=BCller?= <zoe@example.de>\r\n",
              *FormatMailboxField("To", "Zoë Łukasiewicz-Müller", "zoe@example.de"));
}

TEST(MailboxFieldTest, LongNamesKeepPlainWordsRaw) {
    const auto field = FormatMailboxField(
        "From", "Żółta Półka – pracownia ceramiki i tkanin ręcznie robionych z Gdańska",
        "sklep@example.pl");
    ASSERT_TRUE(field.ok());
    ExpectFoldedWithin78(*field);
    EXPECT_EQ("From: =?UTF-8?Q?=C5=BB=C3=B3=C5=82ta_P=C3=B3=C5=82ka_=E2=80=93?= pracownia\r\n"
              " ceramiki i tkanin =?UTF-8?Q?r=C4=99cznie?= robionych z\r\n"
              " =?UTF-8?Q?Gda=C5=84ska?= <sklep@example.pl>\r\n",
              *field);
}

TEST(MailboxFieldTest, StripsInjectedLinesFromDisplayName) {
    const auto field =
        FormatMailboxField("To", "Anna\r\nBcc: victim@example.net", "anna@example.pl");
    ASSERT_TRUE(field.ok());
    EXPECT_EQ(1u, Lines(*field).size());
    EXPECT_EQ("To: \"Anna Bcc: victim@example.net\" <anna@example.pl>\r\n", *field);
}

TEST(MailboxFieldTest, LongEncodedNameFoldsBeforeAddress) {
    const std::string name(60, 'x');
    const auto field = FormatMailboxField("From", name + " Żółw " + name, "sklep@example.pl");
    ASSERT_TRUE(field.ok());
    ExpectFoldedWithin78(*field);
    EXPECT_THAT(*field, HasSubstr(" <sklep@example.pl>\r\n"));
}

TEST(MailboxFieldTest, RefusesHostileAddresses) {
    for (const char* address : {"anna@example.pl\r\nBcc: x@example.net",
                                "anna@example.pl>",
                                "<anna@example.pl",
                                "anna",
                                "@example.pl",
                                "anna@",
                                "an na@example.pl",
                                "anna@exa_mple.pl",
                                "\"anna\"@example.pl",
                                "anna..b@example.pl",
                                ".anna@example.pl",
                                "anna@żaba.pl",
                                "anna@[127.0.0.1]",
                                "a@b@example.pl",
                                "żaba@example.pl\r\nBcc: x@example.net",
                                "ż\r\naba@example.pl",
                                "\xC5@example.pl",
                                "\xC0\xAF"
                                "aba@example.pl",
                                "\xED\xA0\x80@example.pl",
                                "a\xC2\x85"
                                "b@example.pl",
                                "a\xE2\x80\xA8"
                                "b@example.pl",
                                "ża ba@example.pl",
                                "żaba.@example.pl"}) {
        EXPECT_FALSE(FormatMailboxField("To", "Anna", address).ok()) << address;
        EXPECT_FALSE(IsValidInternationalAddress(address)) << address;
    }
    EXPECT_TRUE(IsValidAddress("first.last+tag@sub.example.co.uk"));
    EXPECT_FALSE(IsValidAddress(std::string(65, 'a') + "@example.com"));
    // 64 octets, not characters: 32 two-byte letters fill the local part.
    std::string long_local;
    for (int i = 0; i < 33; ++i) {
        long_local += "ż";
    }
    EXPECT_FALSE(IsValidInternationalAddress(long_local + "@example.pl"));
    EXPECT_TRUE(IsValidInternationalAddress(long_local.substr(2) + "@example.pl"));
}

// RFC 6532: a local part beyond ASCII is written as it is, in UTF-8; the display name is
// encoded as for any recipient, so the field differs from an ASCII one in the address alone.
// The sender, Message-IDs and mailto links stay ASCII (IsValidAddress).
TEST(MailboxFieldTest, AnAddressBeyondAsciiIsWrittenInUtf8) {
    EXPECT_EQ("To: =?UTF-8?Q?Zo=C3=AB_=C5=81ukasiewicz?= <zoë@example.de>\r\n",
              *FormatMailboxField("To", "Zoë Łukasiewicz", "zoë@example.de"));
    EXPECT_EQ("To: =?UTF-8?Q?Zo=C3=AB_=C5=81ukasiewicz?= <zoe@example.de>\r\n",
              *FormatMailboxField("To", "Zoë Łukasiewicz", "zoe@example.de"));
    EXPECT_EQ("To: δοκιμή.用户@example.de\r\n",
              *FormatMailboxField("To", "", "δοκιμή.用户@example.de"));
    EXPECT_TRUE(IsValidInternationalAddress("zoë@example.de"));
    EXPECT_FALSE(IsValidAddress("zoë@example.de"));
}

TEST(StructuredFieldTest, RefusesControlsAndNonAscii) {
    EXPECT_FALSE(FormatStructuredField("Message-ID", "<a@b>\r\nBcc: x").ok());
    EXPECT_FALSE(FormatStructuredField("Content-Language", "pl\x01").ok());
    EXPECT_FALSE(FormatStructuredField("X", "ż").ok());
    EXPECT_EQ("MIME-Version: 1.0\r\n", *FormatStructuredField("MIME-Version", "1.0"));
}

TEST(StructuredFieldTest, RefusesLinesOver998) {
    EXPECT_FALSE(
        FormatStructuredField("List-Unsubscribe", "<https://x/" + std::string(990, 'a') + ">")
            .ok());
}

} // namespace
} // namespace cartwatch
