#include "reminder_rendering.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace cartwatch {
namespace {

Config SampleConfig() {
    Config config;
    config.smtp.from_address = "sklep@example.com";
    config.shop.name = "Sklep Żółw";
    config.shop.address = "ul. Długa 1, 00-001 Warszawa";
    config.shop.recovery_url = "https://shop.example/cart/recover/{token}";
    config.shop.unsubscribe_url = "https://shop.example/unsubscribe/{token}";
    config.templates.dir = CARTWATCH_TEMPLATES_DIR;
    return config;
}

TEST(SampleRendering, PassesWithTheShippedTemplates) {
    const TemplateSet templates(CARTWATCH_TEMPLATES_DIR);
    EXPECT_EQ(CheckSampleRendering(templates, SampleConfig()), std::nullopt);
}

TEST(SampleRendering, NamesASettingThatWouldFailEveryReminder) {
    const TemplateSet templates(CARTWATCH_TEMPLATES_DIR);
    Config config = SampleConfig();
    config.smtp.from_address = "sklep@my_shop.example"; // refused by the mail library
    const std::optional<std::string> failure = CheckSampleRendering(templates, config);
    ASSERT_TRUE(failure.has_value());
    EXPECT_NE(failure->find("a sample first reminder in de cannot be rendered"), std::string::npos)
        << *failure;
    EXPECT_NE(failure->find("sender address"), std::string::npos) << *failure;

    config = SampleConfig();
    config.shop.recovery_url = "https://shop.example/cart/recover/{token}\">x";
    ASSERT_TRUE(CheckSampleRendering(templates, config).has_value());
}

ClaimedReminder ReminderTo(const std::string& email) {
    ClaimedReminder reminder;
    reminder.reminder_id = 7;
    reminder.step = "first";
    reminder.attempt = 1;
    reminder.cart_id = 3;
    reminder.email = email;
    reminder.locale = "de";
    reminder.currency = "EUR";
    reminder.items_json =
        R"([{"name": "Tasse", "quantity": 1, "unit_price": 9.00, "line_total": 9.00}])";
    reminder.total = "9.00";
    reminder.recovery_token = "recovery-token";
    reminder.unsubscribe_token = "unsubscribe-token";
    reminder.message_key = "7.1";
    return reminder;
}

TEST(ReminderRendering, AnInternationalDomainGoesInItsAsciiFormToEnvelopeAndHeader) {
    const TemplateSet templates(CARTWATCH_TEMPLATES_DIR);
    const Result<RenderedMessage> rendered =
        RenderReminder(templates, ReminderTo("jan@müller.de"), SampleConfig(),
                       std::chrono::system_clock::now(), FastBoundaryTokens(), nullptr);
    ASSERT_TRUE(rendered) << rendered.error();
    EXPECT_EQ(rendered->recipient, "jan@xn--mller-kva.de");
    EXPECT_NE(rendered->bytes.find("\r\nTo: jan@xn--mller-kva.de\r\n"), std::string::npos)
        << rendered->bytes.substr(0, 600);
    EXPECT_EQ(rendered->bytes.find("müller"), std::string::npos);
}

// A local part beyond ASCII has no ASCII form: it goes in UTF-8, in the envelope recipient and
// in To: (RFC 6532), the domain still in its ASCII form and the display name still encoded.
TEST(ReminderRendering, ANonAsciiLocalPartGoesInUtf8ToEnvelopeAndHeader) {
    const TemplateSet templates(CARTWATCH_TEMPLATES_DIR);
    ClaimedReminder reminder = ReminderTo("zoë@müller.de");
    reminder.display_name = "Zoë Müller";
    const Result<RenderedMessage> rendered =
        RenderReminder(templates, reminder, SampleConfig(), std::chrono::system_clock::now(),
                       FastBoundaryTokens(), nullptr);
    ASSERT_TRUE(rendered) << rendered.error();
    EXPECT_EQ(rendered->recipient, "zoë@xn--mller-kva.de");
    EXPECT_NE(
        rendered->bytes.find("\r\nTo: =?UTF-8?Q?Zo=C3=AB_M=C3=BCller?= <zoë@xn--mller-kva.de>\r\n"),
        std::string::npos)
        << rendered->bytes.substr(0, 600);
    // Beyond the address, the message is 7-bit as ever.
    std::string rest = rendered->bytes;
    rest.erase(rest.find("zoë@"), std::string("zoë").size());
    EXPECT_TRUE(std::all_of(rest.begin(), rest.end(), [](unsigned char c) { return c < 0x80; }));
}

// What the header check refuses must be refused with a reason that says what is wrong.
TEST(ReminderRendering, AnAddressThatIsNotValidUtf8OrHoldsAControlIsRefusedWithTheReason) {
    const TemplateSet templates(CARTWATCH_TEMPLATES_DIR);
    const auto render = [&templates](const std::string& email) {
        return RenderReminder(templates, ReminderTo(email), SampleConfig(),
                              std::chrono::system_clock::now(), FastBoundaryTokens(), nullptr);
    };
    const Result<RenderedMessage> latin1 = render("zo\xEB@example.com");
    ASSERT_FALSE(latin1);
    EXPECT_NE(latin1.error().find("To address: the address is not valid UTF-8"), std::string::npos)
        << latin1.error();
    // U+0085 (NEL, a C1 control) and U+2028 (line separator) break lines in some readers.
    for (const char* email :
         {"zo\xC2\x85@example.com", "zo\xE2\x80\xA8@example.com", "zoë\r\n@x.de"}) {
        const Result<RenderedMessage> control = render(email);
        ASSERT_FALSE(control) << email;
        EXPECT_NE(control.error().find("To address: "), std::string::npos) << control.error();
    }
    const Result<RenderedMessage> injected = render("zoë@example.com\r\nBcc: all@example.com");
    ASSERT_FALSE(injected);
}

} // namespace
} // namespace cartwatch
