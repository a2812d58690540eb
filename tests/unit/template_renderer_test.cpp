#include "template_renderer.hpp"

#include "locale_format.hpp"
#include "polish_vocative.hpp"
#include "quoted_printable.hpp"
#include "sample_reminders.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <set>
#include <thread>

namespace cartwatch {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const TemplateSet& Templates() {
    static const TemplateSet templates(samples::TemplateRoot());
    return templates;
}

std::set<std::string> FilesIn(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        names.insert(entry.path().filename().string());
    }
    return names;
}

void ExpectNoLeftoverTags(const RenderedContent& content) {
    for (const std::string* part : {&content.subject, &content.text, &content.html}) {
        EXPECT_THAT(*part, Not(HasSubstr("{{")));
        EXPECT_THAT(*part, Not(HasSubstr("}}")));
    }
}

TEST(TemplateSetTest, EveryLanguageHasTheSameFiles) {
    const std::set<std::string> english = FilesIn(samples::TemplateRoot() / "en");
    const std::set<std::string> required(TemplateSet::RequiredFiles().begin(),
                                         TemplateSet::RequiredFiles().end());
    EXPECT_EQ(required, english);
    EXPECT_EQ((std::vector<std::string>{"de", "en", "fr", "pl"}), Templates().Locales());
    for (const std::string& language : Templates().Locales()) {
        EXPECT_EQ(english, FilesIn(samples::TemplateRoot() / language)) << language;
    }
}

TEST(TemplateSetTest, RendersEveryStepInEveryLanguageCompletely) {
    for (const std::string& language : Templates().Locales()) {
        for (const ReminderStep step : {ReminderStep::kFirst, ReminderStep::kSecond}) {
            SCOPED_TRACE(language + "/" + std::string(StepTemplateName(step)));
            const ReminderMessage message = samples::Typical(language, step);
            const auto content = Templates().Render(message);
            ASSERT_TRUE(content.ok()) << content.error();
            ExpectNoLeftoverTags(*content);
            EXPECT_EQ(language, content->locale);
            EXPECT_EQ(language + "/" + std::string(StepTemplateName(step)), content->template_name);
            // Every value must reach both bodies; the greeting uses the first name only (in
            // Polish, in the vocative).
            const std::string total = *FormatMoney(message.total, message.currency, language);
            const std::string greeted =
                language == "pl" ? PolishVocative(message.first_name) : message.first_name;
            for (const std::string* body : {&content->text, &content->html}) {
                EXPECT_THAT(*body, HasSubstr(greeted));
                EXPECT_THAT(*body, Not(HasSubstr(message.customer_name)));
                EXPECT_THAT(*body, HasSubstr(total));
                EXPECT_THAT(*body, HasSubstr(message.shop.address));
                EXPECT_THAT(*body, HasSubstr(message.recovery_url));
                EXPECT_THAT(*body, HasSubstr(message.unsubscribe_url));
                for (const CartItem& item : message.items) {
                    EXPECT_THAT(*body, HasSubstr(*FormatMoney(item.line_total, message.currency,
                                                              language)));
                    EXPECT_THAT(*body, HasSubstr(*FormatMoney(item.unit_price, message.currency,
                                                              language)));
                }
                if (step == ReminderStep::kSecond) {
                    EXPECT_THAT(*body, HasSubstr(message.voucher->code));
                    EXPECT_THAT(*body,
                                HasSubstr(*FormatLongDate(message.voucher->expiry_date, language)));
                    EXPECT_THAT(*body, HasSubstr(*FormatMoney(message.voucher->value,
                                                              message.currency, language)));
                }
            }
            EXPECT_THAT(content->text, HasSubstr(message.items[0].name));
            EXPECT_THAT(content->html, HasSubstr("<html lang=\"" + language + "\">"));
            EXPECT_FALSE(content->subject.empty());
        }
    }
}

TEST(TemplateSetTest, ShowsWordsInTheRightLanguage) {
    const auto pl = Templates().Render(samples::Typical("pl", ReminderStep::kSecond));
    ASSERT_TRUE(pl.ok());
    EXPECT_THAT(pl->text, HasSubstr("Cześć Zofio!"));
    EXPECT_THAT(pl->text, HasSubstr("Kod jest ważny do 1 grudnia 2024 r."));
    EXPECT_THAT(pl->subject, HasSubstr("10,00\u00a0zł rabatu"));
    const auto de = Templates().Render(samples::Typical("de", ReminderStep::kFirst));
    ASSERT_TRUE(de.ok());
    EXPECT_THAT(de->text, HasSubstr("Hallo Jürgen,"));
    EXPECT_THAT(de->text, HasSubstr("Gesamtsumme: 1.234,50\u00a0€"));
    const auto fr = Templates().Render(samples::Typical("fr", ReminderStep::kSecond));
    ASSERT_TRUE(fr.ok());
    EXPECT_THAT(fr->text, HasSubstr("jusqu’au 1er décembre 2024"));
    EXPECT_THAT(fr->text, HasSubstr("1\u202f234,50\u00a0€"));
}

TEST(TemplateSetTest, GreetsByFirstName) {
    const std::map<std::string, std::string> greetings{{"en", "Hi Emma,"},
                                                       {"pl", "Cześć Zofio!"},
                                                       {"de", "Hallo Jürgen,"},
                                                       {"fr", "Bonjour Hélène,"}};
    for (const auto& [language, greeting] : greetings) {
        for (const ReminderStep step : {ReminderStep::kFirst, ReminderStep::kSecond}) {
            const auto content = Templates().Render(samples::Typical(language, step));
            ASSERT_TRUE(content.ok());
            EXPECT_EQ(0u, content->text.rfind(greeting + "\n", 0)) << content->text.substr(0, 40);
            EXPECT_THAT(content->html, HasSubstr(">" + greeting + "</p>"));
        }
    }
}

TEST(TemplateSetTest, GuestsAndCustomersWithoutAFirstNameGetAPoliteGreeting) {
    const std::map<std::string, std::string> greetings{
        {"en", "Hello,"}, {"pl", "Dzień dobry!"}, {"de", "Guten Tag,"}, {"fr", "Bonjour,"}};
    for (const auto& [language, greeting] : greetings) {
        ReminderMessage guest = samples::Typical(language, ReminderStep::kFirst);
        guest.customer_name = " \r\n";
        guest.first_name = " \r\n";
        // A shop that only knows the surname: "Hi Kowalska," would be worse than no name.
        ReminderMessage surname_only = samples::Typical(language, ReminderStep::kSecond);
        surname_only.customer_name = "Kowalska";
        surname_only.first_name.clear();
        for (const ReminderMessage* message : {&guest, &surname_only}) {
            const auto content = Templates().Render(*message);
            ASSERT_TRUE(content.ok());
            EXPECT_EQ(0u, content->text.rfind(greeting + "\n", 0)) << content->text.substr(0, 40);
            EXPECT_THAT(content->html, HasSubstr(">" + greeting + "</p>"));
            EXPECT_THAT(content->text, Not(HasSubstr("Kowalska")));
        }
    }
}

TEST(TemplateSetTest, VoucherOnlyInSecondReminder) {
    ReminderMessage first = samples::Typical("en", ReminderStep::kFirst);
    first.voucher = Voucher{"SECRET", "5", "2024-11-30"};
    const auto first_content = Templates().Render(first);
    ASSERT_TRUE(first_content.ok());
    EXPECT_THAT(first_content->text, Not(HasSubstr("SECRET")));
    EXPECT_THAT(first_content->html, Not(HasSubstr("SECRET")));

    ReminderMessage second = samples::Typical("en", ReminderStep::kSecond);
    second.voucher.reset();
    const auto second_content = Templates().Render(second);
    ASSERT_TRUE(second_content.ok());
    EXPECT_EQ("Your cart at Harbour & Home is still waiting", second_content->subject);
    EXPECT_THAT(second_content->text, Not(HasSubstr("code")));
    ExpectNoLeftoverTags(*second_content);
}

TEST(TemplateSetTest, EscapesEveryValueInHtmlButNotInText) {
    ReminderMessage message = samples::Typical("en", ReminderStep::kSecond);
    message.items[0].name = "<script>alert('x')</script> & \"more\"";
    message.first_name = "<b>Emma</b>";
    message.shop.name = "A&B <Shop>";
    message.shop.address = "<i>street</i>";
    message.voucher->code = "<CODE>";
    const auto content = Templates().Render(message);
    ASSERT_TRUE(content.ok());
    EXPECT_THAT(content->html, Not(HasSubstr("<script")));
    EXPECT_THAT(content->html, Not(HasSubstr("<b>Emma")));
    EXPECT_THAT(content->html, HasSubstr("Hi &lt;b&gt;Emma&lt;/b&gt;,"));
    EXPECT_THAT(content->html, Not(HasSubstr("<Shop>")));
    EXPECT_THAT(content->html, Not(HasSubstr("<i>street")));
    EXPECT_THAT(content->html, Not(HasSubstr("<CODE>")));
    EXPECT_THAT(
        content->html,
        HasSubstr("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;more&quot;"));
    EXPECT_THAT(content->html,
                HasSubstr("<title>€5.00 off your cart at A&amp;B &lt;Shop&gt;</title>"));
    EXPECT_THAT(content->text, HasSubstr("<script>alert('x')</script> & \"more\""));
    EXPECT_THAT(content->subject, HasSubstr("A&B <Shop>"));
}

TEST(TemplateSetTest, StripsControlsAndInvalidUtf8FromValues) {
    ReminderMessage message = samples::Typical("pl", ReminderStep::kFirst);
    message.items[0].name = "Kubek\r\n\x01\xFF";
    message.first_name = "Zofia\x1B[31m";
    const auto content = Templates().Render(message);
    ASSERT_TRUE(content.ok());
    EXPECT_THAT(content->text, HasSubstr("- Kubek \xEF\xBF\xBD\n"));
    EXPECT_THAT(content->text, HasSubstr("Cześć Zofia[31m!"));
    EXPECT_THAT(content->html, Not(HasSubstr("\x1B")));
}

TEST(TemplateSetTest, RefusesDataItCannotShow) {
    ReminderMessage message = samples::Typical("de", ReminderStep::kSecond);
    message.items[1].unit_price = "12,50";
    EXPECT_THAT(Templates().Render(message).error(), HasSubstr("item 2 unit price"));
    message = samples::Typical("de", ReminderStep::kSecond);
    message.total = "NaN";
    EXPECT_FALSE(Templates().Render(message).ok());
    message = samples::Typical("de", ReminderStep::kSecond);
    message.voucher->expiry_date = "2024-02-30";
    EXPECT_FALSE(Templates().Render(message).ok());
    message = samples::Typical("de", ReminderStep::kSecond);
    message.recovery_url = "javascript:alert(1)";
    EXPECT_FALSE(Templates().Render(message).ok());
    message = samples::Typical("de", ReminderStep::kSecond);
    message.unsubscribe_url = "https://x.example/\"><script>";
    EXPECT_FALSE(Templates().Render(message).ok());
    message = samples::Typical("de", ReminderStep::kSecond);
    message.currency = "€";
    EXPECT_FALSE(Templates().Render(message).ok());
}

TEST(TemplateSetTest, FallsBackToEnglishAndLogsOncePerLocale) {
    std::ostringstream log;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
    const TemplateSet templates(samples::TemplateRoot()); // fresh: nothing logged yet
    ReminderMessage message = samples::Typical("en", ReminderStep::kFirst);
    for (const char* locale : {"x\r\ny", "pt_BR", "pt_BR", "it", "pt-PT", "de_AT", ""}) {
        message.locale = locale;
        const auto content = templates.Render(message);
        ASSERT_TRUE(content.ok());
        EXPECT_EQ(std::string(locale) == "de_AT" ? "de" : "en", content->locale);
    }
    spdlog::set_default_logger(previous);
    const std::string output = log.str();
    std::size_t count = 0;
    for (std::size_t pos = 0;
         (pos = output.find("no reminder templates", pos)) != std::string::npos; ++pos) {
        ++count;
    }
    EXPECT_EQ(3u, count) << output; // pt, it, and "" (for both "" and "x\r\ny")
    EXPECT_THAT(output, HasSubstr("\"pt_BR\""));
    EXPECT_THAT(output, Not(HasSubstr("x\r\ny")));
}

TEST(TemplateSetTest, RendersAThousandItems) {
    ReminderMessage message = samples::Typical("de", ReminderStep::kFirst);
    message.items.assign(1000, CartItem{"Artikel", 1, "1.00", "1.00"});
    message.total = "1000";
    const auto content = Templates().Render(message);
    ASSERT_TRUE(content.ok());
    EXPECT_THAT(content->text, HasSubstr("1.000,00\u00a0€"));
    std::size_t rows = 0;
    for (std::size_t pos = 0;
         (pos = content->html.find("<td style=\"padding:8px 8px 8px 0;", pos)) != std::string::npos;
         ++pos) {
        ++rows;
    }
    EXPECT_EQ(1000u, rows);
}

// Loading must reject broken template sets; each case edits a copy.
class BrokenTemplatesTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() /
                ("cartwatch-templates-" +
                 std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
        fs::copy(samples::TemplateRoot(), root_, fs::copy_options::recursive);
    }
    void TearDown() override { fs::remove_all(root_); }
    void Write(const std::string& file, const std::string& text) {
        std::ofstream(root_ / file, std::ios::binary) << text;
    }
    std::string LoadError() {
        try {
            TemplateSet templates(root_);
        } catch (const TemplateError& error) {
            return error.what();
        }
        return "";
    }
    fs::path root_;
};

TEST_F(BrokenTemplatesTest, MissingFile) {
    fs::remove(root_ / "fr" / "second_reminder.html");
    EXPECT_THAT(LoadError(), HasSubstr("second_reminder.html"));
}

TEST_F(BrokenTemplatesTest, MisspelledName) {
    Write("pl/first_reminder.txt", "Razem: {{totl}}\n");
    EXPECT_THAT(LoadError(), HasSubstr("{{totl}}"));
}

TEST_F(BrokenTemplatesTest, UnescapedHtml) {
    Write("de/first_reminder.html", "<p>{{{shop_name}}}</p>\n");
    EXPECT_THAT(LoadError(), HasSubstr("unescaped"));
    Write("de/first_reminder.html", "<p>{{& shop_name}}</p>\n");
    EXPECT_THAT(LoadError(), HasSubstr("unescaped"));
}

TEST_F(BrokenTemplatesTest, UnknownPartialAndBadSyntax) {
    Write("en/first_reminder.html", "{{> html_sidebar}}\n");
    EXPECT_THAT(LoadError(), HasSubstr("html_sidebar"));
    Write("en/first_reminder.html", "{{#items}}\n");
    EXPECT_THAT(LoadError(), HasSubstr("first_reminder.html"));
    // Where, as an editor shows it: the line, and the column in characters (ł is two bytes).
    Write("en/first_reminder.html", "Hello\nZłoty {{#items}}\n{{name}}\n");
    EXPECT_THAT(
        LoadError(),
        HasSubstr("en/first_reminder.html: Unclosed section \"items\" on line 2, column 7"));
    Write("en/first_reminder.html", "{{/items}}\n");
    EXPECT_THAT(LoadError(), HasSubstr("Unopened section \"items\" on line 1, column 1"));
}

TEST_F(BrokenTemplatesTest, LayoutWordMissingInOneLanguage) {
    Write("fr/layout.json", R"({"product": "Article"})");
    EXPECT_THAT(LoadError(), HasSubstr("fr/layout.json"));
}

TEST_F(BrokenTemplatesTest, NoEnglishFallback) {
    fs::remove_all(root_ / "en");
    EXPECT_THAT(LoadError(), HasSubstr("fallback"));
}

// Partials are pasted into the templates at load: a cycle would never end.
TEST_F(BrokenTemplatesTest, PartialThatIncludesItself) {
    Write("_layout/footer.txt", "{{shop_name}}\n{{> text_footer}}\n");
    EXPECT_THAT(LoadError(), HasSubstr("partial text_footer includes itself"));
    Write("_layout/footer.txt", "{{shop_name}}\n{{> text_items}}\n");
    Write("_layout/items.txt", "{{#items}}{{name}}{{/items}}\n{{>text_footer}}\n");
    EXPECT_THAT(LoadError(), HasSubstr("includes itself"));
}

// The same fixture for sets that load: an edited copy of the real templates.
class EditedTemplatesTest : public BrokenTemplatesTest {};

TEST_F(EditedTemplatesTest, PartialsInsidePartialsRender) {
    Write("_layout/footer.txt", "{{> text_items}}\nFooter of {{ shop_name }}\n");
    const TemplateSet templates(root_);
    const ReminderMessage message = samples::Typical("en", ReminderStep::kFirst);
    const auto content = templates.Render(message);
    ASSERT_TRUE(content.ok()) << content.error();
    EXPECT_THAT(content->text, HasSubstr("Footer of " + message.shop.name));
    // The items list now shows twice: in the body and in the footer.
    const std::string& first_item = message.items.front().name;
    const std::size_t once = content->text.find(first_item);
    ASSERT_NE(std::string::npos, once);
    EXPECT_NE(std::string::npos, content->text.find(first_item, once + 1));
}

// Each thread renders with its own copy of the parsed templates; a new set
// (a reload) must replace that copy, and the old set must still render as it
// did for whoever holds it.
TEST_F(EditedTemplatesTest, AThreadRendersWithTheSetItIsGiven) {
    const ReminderMessage message = samples::Typical("de", ReminderStep::kFirst);
    const TemplateSet before(root_);
    const auto old_content = before.Render(message);
    ASSERT_TRUE(old_content.ok()) << old_content.error();
    Write("de/first_reminder.subject", "Neu: {{shop_name}}\n");
    const TemplateSet after(root_);
    const auto new_content = after.Render(message);
    ASSERT_TRUE(new_content.ok()) << new_content.error();
    EXPECT_EQ("Neu: " + message.shop.name, new_content->subject);
    const auto old_again = before.Render(message);
    ASSERT_TRUE(old_again.ok()) << old_again.error();
    EXPECT_EQ(old_content->subject, old_again->subject);
    EXPECT_NE(old_content->subject, new_content->subject);
}

// The set renders the lines that are the same for every reminder once, at load, and joins
// them with the rest: Mustache's line rules (a line of section tags disappears, a comment's
// does not) must still hold across the joins, and a layout word is still a plain value.
TEST_F(EditedTemplatesTest, RendersFixedAndPerReminderLinesAsOneTemplate) {
    Write("en/first_reminder.html", "<p>{{layout.product}}</p>\n"
                                    "  {{#items}}\n"
                                    "<li>{{name}}</li>\n"
                                    "  {{/items}}\n"
                                    "{{! a note }}\n"
                                    "{{^voucher}}\n"
                                    "no voucher\n"
                                    "{{/voucher}}\n"
                                    "<b>{{layout.total_label}}</b> {{total}}\n");
    std::ifstream in(root_ / "en" / "layout.json");
    std::string words((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    words.replace(words.find("\"Product\""), 9, R"("Pro\nduct {{x}} & <b>")");
    Write("en/layout.json", words);
    const TemplateSet templates(root_);
    const auto content = templates.Render(samples::Typical("en", ReminderStep::kFirst));
    ASSERT_TRUE(content.ok()) << content.error();
    EXPECT_EQ("<p>Pro\nduct {{x}} &amp; &lt;b&gt;</p>\n"
              "<li>Stoneware mug, sea green</li>\n"
              "<li>Wool throw blanket</li>\n"
              "\n"
              "no voucher\n"
              "<b>Total:</b> €69.51\n",
              content->html);
    EXPECT_EQ(EncodeQuotedPrintable(content->html), content->html_quoted_printable);
}

// The fixed lines, and their encoding, belong to the set they were rendered for: a reload
// (a new set) shows the edited words, and the old set still shows its own.
TEST_F(EditedTemplatesTest, FixedLinesComeFromTheirOwnSet) {
    const ReminderMessage message = samples::Typical("en", ReminderStep::kFirst);
    const TemplateSet before(root_);
    const auto old_content = before.Render(message);
    ASSERT_TRUE(old_content.ok()) << old_content.error();
    ASSERT_THAT(old_content->html, HasSubstr(">Product</th>"));
    std::ifstream in(root_ / "en" / "layout.json");
    std::string words((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    words.replace(words.find("\"Product\""), 9, "\"Article\"");
    Write("en/layout.json", words);
    Write("_layout/header.html", "<!DOCTYPE html><!-- edited -->\n<title>{{subject}}</title>\n");
    const TemplateSet after(root_);
    const auto new_content = after.Render(message);
    ASSERT_TRUE(new_content.ok()) << new_content.error();
    EXPECT_THAT(new_content->html, HasSubstr(">Article</th>"));
    EXPECT_THAT(new_content->html, HasSubstr("<!-- edited -->"));
    EXPECT_THAT(new_content->html_quoted_printable, HasSubstr(">Article</th>"));
    const auto old_again = before.Render(message);
    ASSERT_TRUE(old_again.ok()) << old_again.error();
    EXPECT_EQ(old_content->html, old_again->html);
    EXPECT_EQ(old_content->html_quoted_printable, old_again->html_quoted_printable);
}

// A thread renders the lines naming only the shop once per shop: a reload of the configuration
// can change the shop under the same template set, and each message shows its own.
TEST(TemplateSetTest, LinesOfTheShopFollowTheShop) {
    ReminderMessage first = samples::Typical("pl", ReminderStep::kFirst);
    ReminderMessage other = first;
    other.shop.name = "Sklep Inny";
    other.shop.address = "ul. Krótka 2, Kraków";
    const auto before = Templates().Render(first);
    const auto after = Templates().Render(other);
    const auto again = Templates().Render(first);
    ASSERT_TRUE(before.ok() && after.ok() && again.ok());
    EXPECT_THAT(after->text, HasSubstr("Zespół Sklep Inny\n"));
    EXPECT_THAT(after->text, HasSubstr("ul. Krótka 2, Kraków"));
    EXPECT_THAT(after->html, Not(HasSubstr(first.shop.name)));
    EXPECT_THAT(after->subject, HasSubstr("Sklep Inny"));
    EXPECT_EQ(EncodeQuotedPrintable(after->html), after->html_quoted_printable);
    EXPECT_EQ(before->html, again->html);
    EXPECT_EQ(before->html_quoted_printable, again->html_quoted_printable);
    EXPECT_EQ(before->text, again->text);
}

TEST(TemplateSetTest, TheEncodedHtmlIsTheEncodingOfTheHtml) {
    std::vector<samples::Sample> all = samples::GoldenSamples();
    for (samples::Sample& sample : samples::HostileSamples()) {
        all.push_back(std::move(sample));
    }
    for (const samples::Sample& sample : all) {
        const auto content = Templates().Render(sample.message);
        if (content.ok()) {
            EXPECT_EQ(EncodeQuotedPrintable(content->html), content->html_quoted_printable)
                << sample.name;
        }
    }
}

TEST(TemplateSetTest, ThreadsRenderTheSameBytesAtOnce) {
    const std::vector<samples::Sample> samples = samples::GoldenSamples();
    std::vector<RenderedContent> expected;
    for (const samples::Sample& sample : samples) {
        expected.push_back(*Templates().Render(sample.message));
    }
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < mismatches.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 50; ++round) {
                for (std::size_t i = 0; i < samples.size(); ++i) {
                    const auto content = Templates().Render(samples[i].message);
                    if (!content.ok() || content->html != expected[i].html ||
                        content->html_quoted_printable != expected[i].html_quoted_printable ||
                        content->text != expected[i].text ||
                        content->subject != expected[i].subject) {
                        mismatches[t]++;
                    }
                }
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(std::vector<int>(4, 0), mismatches);
}

} // namespace
} // namespace cartwatch
