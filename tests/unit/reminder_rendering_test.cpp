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

} // namespace
} // namespace cartwatch
