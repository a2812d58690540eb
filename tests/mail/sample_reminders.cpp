#include "sample_reminders.hpp"

#include <cstdint>
#include <memory>

namespace cartwatch::samples {
namespace {

struct LanguageData {
    std::string_view language;
    std::string_view currency;
    std::string_view customer;   // the display name, for the To header
    std::string_view first_name; // the greeting's
    ShopIdentity shop;
    std::vector<CartItem> items;
    std::string_view total;
    Voucher voucher;
};

LanguageData Data(std::string_view language) {
    if (language == "pl") {
        return {"pl",
                "PLN",
                "Zofia Wiśniewska",
                "Zofia",
                {"Żółta Półka", "ul. Długa 12/3, 80-827 Gdańsk", "sklep@zoltapolka.example",
                 "Żółta Półka"},
                {{"Kubek ceramiczny „Żółw”", 2, "24.90", "49.80"},
                 {"Koc z wełny merino, 150×200 cm", 1, "141.40", "141.40"}},
                "191.20",
                {"WRACAM10", "10.00", "2024-12-01"}};
    }
    if (language == "de") {
        return {"de",
                "EUR",
                "Jürgen Weiß",
                "Jürgen",
                {"Kaffeehaus Müller", "Hauptstraße 5, 80331 München",
                 "shop@kaffeehaus-mueller.example", "Kaffeehaus Müller"},
                {{"Kaffeevollautomat „Bärista“ Größe M", 1, "1199.00", "1199.00"},
                 {"Entkalkungstabletten (3er-Pack)", 2, "17.75", "35.50"}},
                "1234.5",
                {"DANKE15", "15", "2024-11-30"}};
    }
    if (language == "fr") {
        return {"fr",
                "EUR",
                "Hélène Lefèvre",
                "Hélène",
                {"Maison Céleste", "12 rue de la Paix, 75002 Paris",
                 "boutique@maison-celeste.example", "Maison Céleste"},
                {{"Théière en fonte « Élégance »", 1, "1189.00", "1189.00"},
                 {"Thé vert Sencha bio, 100 g", 2, "22.75", "45.50"}},
                "1234.50",
                {"MERCI10", "10.00", "2024-12-01"}};
    }
    return {"en",
            "EUR",
            "Emma Clarke",
            "Emma",
            {"Harbour & Home", "14 Quay Street, Bristol BS1 4DB, United Kingdom",
             "hello@harbourandhome.example", "Harbour & Home"},
            {{"Stoneware mug, sea green", 2, "12.50", "25.00"},
             {"Wool throw blanket", 1, "44.51", "44.51"}},
            "69.51",
            {"COMEBACK5", "5.00", "2024-11-30"}};
}

Sample Hostile(std::string name, ReminderMessage message) {
    return {"hostile_" + std::move(name), std::move(message)};
}

} // namespace

std::filesystem::path TemplateRoot() {
    return std::filesystem::path(CARTWATCH_SOURCE_DIR) / "mail_templates";
}

std::filesystem::path GoldenRoot() {
    return std::filesystem::path(CARTWATCH_SOURCE_DIR) / "tests" / "golden";
}

ReminderMessage Typical(std::string_view language, ReminderStep step) {
    LanguageData data = Data(language);
    ReminderMessage message;
    message.step = step;
    message.locale = std::string(data.language);
    message.currency = std::string(data.currency);
    message.customer_name = std::string(data.customer);
    message.first_name = std::string(data.first_name);
    message.email = "customer@example.org";
    message.items = data.items;
    message.total = std::string(data.total);
    const std::string host = data.shop.from_address.substr(data.shop.from_address.find('@') + 1);
    message.recovery_url = "https://" + host + "/cart/recover/rt_4f9a2c81";
    message.unsubscribe_url = "https://" + host + "/unsubscribe/ut_77e0d3b5";
    message.unsubscribe_mailto =
        "mailto:unsubscribe@" + host + "?subject=unsubscribe%20ut_77e0d3b5";
    if (step == ReminderStep::kSecond) {
        message.voucher = data.voucher;
    }
    message.shop = data.shop;
    return message;
}

std::vector<Sample> GoldenSamples() {
    std::vector<Sample> samples;
    for (const char* language : {"en", "pl", "de", "fr"}) {
        for (const ReminderStep step : {ReminderStep::kFirst, ReminderStep::kSecond}) {
            samples.push_back({std::string(language) + "_" + std::string(StepTemplateName(step)),
                               Typical(language, step)});
        }
    }
    return samples;
}

std::vector<Sample> HostileSamples() {
    std::vector<Sample> samples;

    ReminderMessage crlf = Typical("de", ReminderStep::kSecond);
    crlf.customer_name = "Jürgen\r\nBcc: victim@example.net";
    crlf.first_name = crlf.customer_name;
    crlf.shop.name = "Kaffeehaus\nX-Injected: yes";
    crlf.shop.from_display_name = "Kaffeehaus Müller\r\n\r\n<html>";
    crlf.items[0].name = "Tasse\r\nContent-Type: text/html";
    crlf.voucher->code = "DANKE\r\n15";
    samples.push_back(Hostile("crlf_names", crlf));

    ReminderMessage markup = Typical("en", ReminderStep::kFirst);
    markup.customer_name = "<b>Emma</b> \"the\" O'Neil";
    markup.first_name = "<b>Emma</b> \"the\"";
    markup.items[0].name = "<script>alert('cart')</script> & <img src=x onerror=alert(1)>";
    markup.shop.name = "Harbour & Home <Ltd>";
    samples.push_back(Hostile("markup", markup));

    ReminderMessage long_name = Typical("pl", ReminderStep::kFirst);
    std::string polish;
    while (polish.size() < 1000) { // 500+ characters, most of them two bytes
        polish += "Zażółć gęślą jaźń, źdźbło łąki ";
    }
    long_name.items[0].name = polish;
    long_name.shop.name = "Żółta Półka – pracownia ceramiki i tkanin ręcznie robionych z Gdańska";
    long_name.shop.from_display_name = long_name.shop.name;
    long_name.customer_name = "Małgorzata Brzęczyszczykiewicz-Źrebięcka";
    long_name.first_name = "Małgorzata";
    samples.push_back(Hostile("long_polish", long_name));

    ReminderMessage emoji = Typical("fr", ReminderStep::kSecond);
    emoji.customer_name = "Zoë 🎉";
    emoji.first_name = emoji.customer_name;
    emoji.shop.name = "Céleste 🌙✨ Boutique";
    emoji.shop.from_display_name = "🌙✨ Maison Céleste ✨🌙";
    emoji.items[1].name = "Thé 🍵 « Lune » 🐱🐱🐱";
    samples.push_back(Hostile("emoji", emoji));

    ReminderMessage invalid = Typical("pl", ReminderStep::kSecond);
    invalid.customer_name = "Zofia\xC3\x28";
    invalid.first_name = invalid.customer_name;
    invalid.shop.name = "Sklep \xFF\xFE";
    invalid.shop.from_display_name = "Sklep \xE2\x82";
    invalid.items[0].name = "Kubek \xED\xA0\x80 \xF0\x9F\x98 \xC0\xAF koniec";
    samples.push_back(Hostile("invalid_utf8", invalid));

    ReminderMessage many = Typical("de", ReminderStep::kFirst);
    many.items.clear();
    for (int i = 1; i <= 1000; ++i) {
        many.items.push_back(
            {"Artikel Nr. " + std::to_string(i) + " – Größe M", 1, "1.00", "1.00"});
    }
    many.total = "1000.00";
    samples.push_back(Hostile("thousand_items", many));

    ReminderMessage guest = Typical("fr", ReminderStep::kSecond);
    guest.customer_name.clear();
    guest.first_name.clear();
    guest.voucher.reset();
    samples.push_back(Hostile("guest_no_voucher", guest));

    ReminderMessage unknown = Typical("en", ReminderStep::kSecond);
    unknown.locale = "pt_BR";
    unknown.currency = "PLN";
    unknown.unsubscribe_mailto.clear();
    samples.push_back(Hostile("unknown_locale", unknown));

    return samples;
}

RandomTokenSource SeededTokens(std::string_view seed) {
    // FNV-1a of the seed starts a 64-bit LCG (Knuth's MMIX constants).
    auto state = std::make_shared<std::uint64_t>(1469598103934665603ULL);
    for (const unsigned char c : seed) {
        *state = (*state ^ c) * 1099511628211ULL;
    }
    return [state](std::size_t length) {
        static constexpr char kAlphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        std::string token;
        for (std::size_t i = 0; i < length; ++i) {
            *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
            token.push_back(kAlphabet[(*state >> 33) % (sizeof kAlphabet - 1)]);
        }
        return token;
    };
}

MessageOptions FixedOptions(std::string_view seed) {
    MessageOptions options;
    // 2024-11-05 13:03:07 UTC, shown as 14:03:07 +0100.
    options.date = std::chrono::system_clock::from_time_t(1730811787);
    options.utc_offset_minutes = 60;
    options.random_tokens = SeededTokens(seed);
    return options;
}

} // namespace cartwatch::samples
