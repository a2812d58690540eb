#include "reminder_rendering.hpp"

#include <gtest/gtest.h>

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

TEST(ReminderRendering, ANonAsciiLocalPartIsRefusedWithTheReason) {
    const TemplateSet templates(CARTWATCH_TEMPLATES_DIR);
    const Result<RenderedMessage> rendered =
        RenderReminder(templates, ReminderTo("zoë@example.com"), SampleConfig(),
                       std::chrono::system_clock::now(), FastBoundaryTokens(), nullptr);
    ASSERT_FALSE(rendered);
    EXPECT_NE(rendered.error().find("To address: "), std::string::npos) << rendered.error();
    EXPECT_NE(rendered.error().find("SMTPUTF8"), std::string::npos) << rendered.error();
}

} // namespace
} // namespace cartwatch
