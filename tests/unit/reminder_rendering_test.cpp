#include "reminder_rendering.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

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

// The configuration as cartwatchd loads it for a preview, from these settings alone (what
// LoadConfig makes of smtp.from and shop.unsubscribe_mailbox is what rendering gets).
Config LoadedConfig(const std::string& from, const std::string& unsubscribe_mailbox) {
    const std::map<std::string, std::string> variables = {
        {"CARTWATCH_DATABASE_URL", "dbname=shop"},
        {"CARTWATCH_SMTP_FROM", from},
        {"CARTWATCH_SHOP_NAME", "Księgarnia Żółw"},
        {"CARTWATCH_SHOP_RECOVERY_URL", "https://shop.example/cart/recover/{token}"},
        {"CARTWATCH_SHOP_UNSUBSCRIBE_URL", "https://shop.example/unsubscribe/{token}"},
        {"CARTWATCH_SHOP_UNSUBSCRIBE_MAILBOX", unsubscribe_mailbox},
        {"CARTWATCH_TEMPLATES_DIR", CARTWATCH_TEMPLATES_DIR}};
    ConfigSources sources;
    sources.purpose = ConfigPurpose::kPreview;
    sources.environment = [variables](const std::string& name) -> std::optional<std::string> {
        const auto found = variables.find(name);
        return found == variables.end() ? std::nullopt : std::optional(found->second);
    };
    sources.environment_names = [] { return std::vector<std::string>(); };
    return LoadConfig(sources);
}

// A header field of the message, unfolded (RFC 5322 section 2.2.3: CRLF before a space goes).
std::string Field(const std::string& bytes, const std::string& name) {
    const std::size_t start = bytes.find("\r\n" + name + ": ");
    if (start == std::string::npos) {
        return "(no " + name + ")";
    }
    std::size_t end = bytes.find("\r\n", start + 2);
    while (end + 2 < bytes.size() && (bytes[end + 2] == ' ' || bytes[end + 2] == '\t')) {
        end = bytes.find("\r\n", end + 2);
    }
    std::string field = bytes.substr(start + 2, end - start - 2);
    for (std::size_t fold; (fold = field.find("\r\n")) != std::string::npos;) {
        field.erase(fold, 2);
    }
    return field;
}

// The shop's own Unicode domain is in its ASCII form wherever the message names it: From:, the
// Message-ID, the List-Unsubscribe mailto:; the display name beyond ASCII is encoded (RFC 2047).
TEST(ReminderRendering, ASenderWithAUnicodeDomainIsInItsAsciiFormThroughout) {
    const Config config =
        LoadedConfig("Księgarnia Żółw <sklep@księgarnia.pl>", "wypisz@księgarnia.pl");
    const TemplateSet templates(CARTWATCH_TEMPLATES_DIR);
    const Result<RenderedMessage> rendered =
        RenderReminder(templates, ReminderTo("anna@example.com"), config,
                       std::chrono::system_clock::now(), FastBoundaryTokens(), nullptr);
    ASSERT_TRUE(rendered) << rendered.error();
    const std::string& bytes = rendered->bytes;
    EXPECT_EQ(Field(bytes, "From"),
              "From: =?UTF-8?Q?Ksi=C4=99garnia_=C5=BB=C3=B3=C5=82w?= <sklep@xn--ksigarnia-2ib.pl>");
    EXPECT_EQ(rendered->message_id.find("@xn--ksigarnia-2ib.pl>"),
              rendered->message_id.size() - std::string("@xn--ksigarnia-2ib.pl>").size());
    EXPECT_NE(Field(bytes, "List-Unsubscribe").find(", <mailto:wypisz@xn--ksigarnia-2ib.pl?"),
              std::string::npos)
        << Field(bytes, "List-Unsubscribe");
    EXPECT_TRUE(std::all_of(bytes.begin(), bytes.end(), [](unsigned char c) { return c < 0x80; }));
}

// A local part beyond ASCII goes in From: as it is (RFC 6532), its domain in ASCII as ever, so
// the Message-ID stays ASCII; nothing else in the message is beyond ASCII.
TEST(ReminderRendering, ASenderWithALocalPartBeyondAsciiIsInUtf8InFromAlone) {
    const Config config = LoadedConfig("Łucja z Księgarni <łucja@księgarnia.pl>", "");
    const TemplateSet templates(CARTWATCH_TEMPLATES_DIR);
    const Result<RenderedMessage> rendered =
        RenderReminder(templates, ReminderTo("anna@example.com"), config,
                       std::chrono::system_clock::now(), FastBoundaryTokens(), nullptr);
    ASSERT_TRUE(rendered) << rendered.error();
    std::string bytes = rendered->bytes;
    EXPECT_EQ(Field(bytes, "From"), "From: =?UTF-8?Q?=C5=81ucja?= z =?UTF-8?Q?Ksi=C4=99garni?= "
                                    "<łucja@xn--ksigarnia-2ib.pl>");
    EXPECT_NE(rendered->message_id.find("@xn--ksigarnia-2ib.pl>"), std::string::npos);
    bytes.erase(bytes.find("łucja@"), std::string("łucja").size());
    EXPECT_TRUE(std::all_of(bytes.begin(), bytes.end(), [](unsigned char c) { return c < 0x80; }));
}

} // namespace
} // namespace cartwatch
