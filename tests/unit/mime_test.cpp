#include "mime.hpp"

#include "header_encoding.hpp"
#include "sample_reminders.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

namespace cartwatch {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const TemplateSet& Templates() {
    static const TemplateSet templates(samples::TemplateRoot());
    return templates;
}

RenderedMessage Build(const ReminderMessage& message, const std::string& seed = "test") {
    auto built = BuildReminder(Templates(), message, samples::FixedOptions(seed));
    EXPECT_TRUE(built.ok()) << built.error();
    return built.ok() ? std::move(built).value() : RenderedMessage{};
}

std::string HeaderBlock(const std::string& bytes) {
    return bytes.substr(0, bytes.find("\r\n\r\n") + 2);
}

// Header field names at the start of unfolded lines, in order.
std::vector<std::string> HeaderNames(const std::string& bytes) {
    std::vector<std::string> names;
    const std::string headers = HeaderBlock(bytes);
    std::size_t start = 0;
    while (start < headers.size()) {
        const std::size_t end = headers.find("\r\n", start);
        if (headers[start] != ' ' && headers[start] != '\t') {
            names.push_back(headers.substr(start, headers.find(':', start) - start));
        }
        start = end + 2;
    }
    return names;
}

void ExpectLineDiscipline(const std::string& bytes) {
    bool in_headers = true;
    std::size_t start = 0;
    while (start < bytes.size()) {
        const std::size_t end = bytes.find("\r\n", start);
        ASSERT_NE(std::string::npos, end) << "message does not end with CRLF";
        const std::string line = bytes.substr(start, end - start);
        ASSERT_EQ(std::string::npos, line.find_first_of("\r\n")) << "bare CR or LF";
        EXPECT_LE(line.size(), kMaxLineLength);
        if (in_headers && line.empty()) {
            in_headers = false;
        } else if (in_headers) {
            // Only a line holding one unbreakable token (a long URL) may pass 78.
            const bool continuation = line[0] == ' ';
            const std::string tokens =
                continuation ? line.substr(1) : line.substr(line.find(": ") + 2);
            if (tokens.find(' ') != std::string::npos) {
                EXPECT_LE(line.size(), kFoldedLineLength) << line;
            }
        } else if (line.rfind("--", 0) != 0) {
            EXPECT_LE(line.size(), 76u) << line;
        }
        start = end + 2;
    }
    for (const unsigned char c : bytes) {
        ASSERT_LT(c, 0x80) << "8-bit byte in message";
    }
}

TEST(MimeTest, WritesTheRequiredHeadersInOrder) {
    const RenderedMessage message = Build(samples::Typical("pl", ReminderStep::kFirst));
    EXPECT_EQ((std::vector<std::string>{"Date", "From", "To", "Subject", "Message-ID",
                                        "MIME-Version", "Content-Language", "List-Unsubscribe",
                                        "List-Unsubscribe-Post", "Content-Type"}),
              HeaderNames(message.bytes));
    const std::string headers = HeaderBlock(message.bytes);
    EXPECT_THAT(headers, StartsWith("Date: Tue, 05 Nov 2024 14:03:07 +0100\r\n"));
    EXPECT_THAT(headers, HasSubstr("From: =?UTF-8?Q?=C5=BB=C3=B3=C5=82ta_P=C3=B3=C5=82ka?=\r\n"
                                   " <sklep@zoltapolka.example>\r\n"));
    EXPECT_THAT(headers,
                HasSubstr("To: Zofia =?UTF-8?Q?Wi=C5=9Bniewska?= <customer@example.org>\r\n"));
    EXPECT_THAT(headers, HasSubstr("MIME-Version: 1.0\r\n"));
    EXPECT_THAT(headers, HasSubstr("Content-Language: pl\r\n"));
    EXPECT_THAT(
        headers,
        HasSubstr("List-Unsubscribe: <https://zoltapolka.example/unsubscribe/ut_77e0d3b5>,\r\n "
                  "<mailto:unsubscribe@zoltapolka.example?subject=unsubscribe%20ut_77e0d3b5>\r\n"));
    EXPECT_THAT(headers, HasSubstr("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    EXPECT_EQ("pl/first_reminder", message.template_name);
    EXPECT_EQ("Żółta Półka: Twój koszyk czeka na Ciebie", message.subject);
}

TEST(MimeTest, MessageIdIsRandomOnTheSenderDomainAndReturned) {
    const ReminderMessage reminder = samples::Typical("de", ReminderStep::kFirst);
    const auto a = BuildReminder(Templates(), reminder, MessageOptions{});
    const auto b = BuildReminder(Templates(), reminder, MessageOptions{});
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(std::regex_match(a->message_id,
                                 std::regex("<[A-Za-z0-9]{24}@kaffeehaus-mueller\\.example>")))
        << a->message_id;
    EXPECT_NE(a->message_id, b->message_id);
    EXPECT_THAT(a->bytes, HasSubstr("Message-ID: " + a->message_id + "\r\n"));
}

TEST(MimeTest, ReusesAStoredMessageIdOnRetry) {
    MessageOptions options = samples::FixedOptions("retry");
    options.message_id = "<Kept123@kaffeehaus-mueller.example>";
    const auto built =
        BuildReminder(Templates(), samples::Typical("de", ReminderStep::kFirst), options);
    ASSERT_TRUE(built.ok());
    EXPECT_EQ(options.message_id, built->message_id);
    options.message_id = "<a@b>\r\nBcc: x@example.net";
    EXPECT_FALSE(
        BuildReminder(Templates(), samples::Typical("de", ReminderStep::kFirst), options).ok());
    options.message_id = "no-brackets@example.com";
    EXPECT_FALSE(
        BuildReminder(Templates(), samples::Typical("de", ReminderStep::kFirst), options).ok());
}

TEST(MimeTest, IsMultipartAlternativeTextFirstHtmlLast) {
    const RenderedMessage message = Build(samples::Typical("fr", ReminderStep::kSecond));
    std::smatch match;
    ASSERT_TRUE(std::regex_search(
        message.bytes, match,
        std::regex("Content-Type: multipart/alternative; boundary=\"(=_cw[A-Za-z0-9]{24})\"")));
    const std::string boundary = match[1];
    const std::size_t text =
        message.bytes.find("--" + boundary +
                           "\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    const std::size_t html =
        message.bytes.find("--" + boundary +
                           "\r\nContent-Type: text/html; charset=UTF-8\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    ASSERT_NE(std::string::npos, text);
    ASSERT_NE(std::string::npos, html);
    EXPECT_LT(text, html);
    EXPECT_THAT(message.bytes, testing::EndsWith("\r\n--" + boundary + "--\r\n"));
    ExpectLineDiscipline(message.bytes);
}

TEST(MimeTest, EveryGoldenAndHostileSampleKeepsLineDiscipline) {
    std::vector<samples::Sample> all = samples::GoldenSamples();
    for (auto& sample : samples::HostileSamples()) {
        all.push_back(std::move(sample));
    }
    for (const auto& sample : all) {
        SCOPED_TRACE(sample.name);
        ExpectLineDiscipline(Build(sample.message, sample.name).bytes);
    }
}

TEST(MimeTest, CrLfInValuesNeverAddsAHeader) {
    ReminderMessage reminder = samples::Typical("de", ReminderStep::kFirst);
    reminder.customer_name = "Jürgen\r\nBcc: victim@example.net";
    reminder.shop.from_display_name = "Shop\nX-Injected: yes\r\n\r\n<html>";
    reminder.shop.name = "Shop\rSubject: spoof";
    const RenderedMessage message = Build(reminder);
    const auto names = HeaderNames(message.bytes);
    EXPECT_EQ(10u, names.size());
    EXPECT_THAT(names, Not(testing::Contains("Bcc")));
    EXPECT_THAT(names, Not(testing::Contains("X-Injected")));
    EXPECT_EQ(1, std::count(names.begin(), names.end(), "Subject"));
}

TEST(MimeTest, RefusesHostileAddressesAndLinks) {
    ReminderMessage reminder = samples::Typical("en", ReminderStep::kFirst);
    reminder.email = "victim@example.net\r\nBcc: other@example.net";
    auto built = BuildReminder(Templates(), reminder, samples::FixedOptions("x"));
    ASSERT_FALSE(built.ok());
    EXPECT_THAT(built.error(), HasSubstr("To address"));
    EXPECT_THAT(built.error(), Not(HasSubstr("\r")));

    reminder = samples::Typical("en", ReminderStep::kFirst);
    reminder.shop.from_address = "shop@example.com>, evil@example.net";
    EXPECT_FALSE(BuildReminder(Templates(), reminder, samples::FixedOptions("x")).ok());

    reminder = samples::Typical("en", ReminderStep::kFirst);
    reminder.unsubscribe_mailto = "mailto:x@example.com>, <https://evil.example";
    EXPECT_FALSE(BuildReminder(Templates(), reminder, samples::FixedOptions("x")).ok());
}

TEST(MimeTest, RefusesUnusableRandomTokens) {
    MessageOptions options = samples::FixedOptions("x");
    options.random_tokens = [](std::size_t length) { return std::string(length, '"'); };
    EXPECT_FALSE(
        BuildReminder(Templates(), samples::Typical("en", ReminderStep::kFirst), options).ok());
    options.random_tokens = [](std::size_t) { return std::string("short"); };
    EXPECT_FALSE(
        BuildReminder(Templates(), samples::Typical("en", ReminderStep::kFirst), options).ok());
}

TEST(MimeTest, LongNonAsciiSubjectAndNamesBecomeShortEncodedWords) {
    ReminderMessage reminder = samples::Typical("pl", ReminderStep::kFirst);
    reminder.shop.name =
        "Żółta Półka – pracownia ceramiki, tkanin i drobiazgów 🎉 ręcznie robionych w Gdańsku";
    reminder.shop.from_display_name = reminder.shop.name;
    reminder.customer_name = "Małgorzata Brzęczyszczykiewicz-Źrebięcka 🐱";
    const RenderedMessage message = Build(reminder);
    ExpectLineDiscipline(message.bytes);
    const std::string headers = HeaderBlock(message.bytes);
    const std::regex word("=\\?UTF-8\\?[QB]\\?[^?]*\\?=");
    std::size_t count = 0;
    for (auto it = std::sregex_iterator(headers.begin(), headers.end(), word);
         it != std::sregex_iterator(); ++it) {
        EXPECT_LE(it->str().size(), 75u) << it->str();
        ++count;
    }
    EXPECT_GT(count, 6u);
}

TEST(MimeTest, ThousandItemsStillFormAValidMessage) {
    ReminderMessage reminder = samples::Typical("de", ReminderStep::kFirst);
    reminder.items.assign(1000, CartItem{"Artikel – Größe M <XL>", 3, "0.99", "2.97"});
    reminder.total = "2970.00";
    const RenderedMessage message = Build(reminder);
    ExpectLineDiscipline(message.bytes);
    EXPECT_GT(message.bytes.size(), 500000u);
}

TEST(MimeTest, AssembleMessageWorksWithoutTemplates) {
    MessageParts parts;
    parts.from_address = "shop@example.com";
    parts.to_address = "anna@example.com";
    parts.subject = "Hi\r\nBcc: x@example.net";
    parts.unsubscribe_url = "https://example.com/u/1";
    parts.text_body = "text\n";
    parts.html_body = "<p>html</p>\n";
    const auto built = AssembleMessage(parts, samples::FixedOptions("parts"));
    ASSERT_TRUE(built.ok()) << built.error();
    EXPECT_EQ("Hi Bcc: x@example.net", built->subject);
    EXPECT_THAT(built->bytes, HasSubstr("List-Unsubscribe: <https://example.com/u/1>\r\n"));
    EXPECT_THAT(built->bytes, Not(HasSubstr("Content-Language")));
    parts.unsubscribe_url = "http://example.com/u/1";
    EXPECT_FALSE(AssembleMessage(parts, samples::FixedOptions("parts")).ok());
}

} // namespace
} // namespace cartwatch
