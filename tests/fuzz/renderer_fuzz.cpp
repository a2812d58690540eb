// Fuzzes the whole path from reminder data to message bytes: every field of
// a ReminderMessage comes from the input. A message that is built must be a
// well-formed, 7-bit, CRLF e-mail with exactly the ten headers cartwatch
// writes, whatever the values held.
#include "fuzz_checks.hpp"
#include "mime.hpp"
#include "quoted_printable.hpp"
#include "template_renderer.hpp"

#include <fuzzer/FuzzedDataProvider.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace {

using cartwatch::fuzz::Require;

const cartwatch::TemplateSet& Templates() {
    static const cartwatch::TemplateSet templates = [] {
        // Unknown locales log once each; keep the fuzzer's output readable.
        spdlog::set_level(spdlog::level::off);
        return cartwatch::TemplateSet(CARTWATCH_TEMPLATE_DIR);
    }();
    return templates;
}

// Mostly well-formed amounts so rendering gets past validation, sometimes
// arbitrary text so validation itself is exercised.
std::string Amount(FuzzedDataProvider& input) {
    if (input.ConsumeBool()) {
        return input.ConsumeRandomLengthString(24);
    }
    std::string amount = std::to_string(input.ConsumeIntegral<std::uint32_t>());
    if (input.ConsumeBool()) {
        amount += "." + std::to_string(input.ConsumeIntegralInRange<int>(0, 999));
    }
    return amount;
}

std::size_t CountHeaderFields(const std::string& bytes) {
    const std::size_t end = bytes.find("\r\n\r\n");
    std::size_t count = 1;
    for (std::size_t pos = bytes.find("\r\n"); pos < end; pos = bytes.find("\r\n", pos + 2)) {
        count += bytes[pos + 2] != ' ' ? 1 : 0;
    }
    return count;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    cartwatch::ReminderMessage message;
    message.step =
        input.ConsumeBool() ? cartwatch::ReminderStep::kSecond : cartwatch::ReminderStep::kFirst;
    static const char* const kLocales[] = {"en", "pl", "de", "fr", "pl_PL", "pt"};
    static const char* const kCurrencies[] = {"EUR", "PLN", "GBP", "JPY", "XYZ"};
    message.locale =
        input.ConsumeBool() ? input.ConsumeRandomLengthString(8) : input.PickValueInArray(kLocales);
    message.currency = input.PickValueInArray(kCurrencies);
    message.customer_name = input.ConsumeRandomLengthString(80);
    message.first_name = input.ConsumeRandomLengthString(40);
    message.email =
        input.ConsumeBool() ? "customer@example.org" : input.ConsumeRandomLengthString(40);
    const int item_count = input.ConsumeIntegralInRange<int>(0, 12);
    for (int i = 0; i < item_count; ++i) {
        message.items.push_back({input.ConsumeRandomLengthString(120),
                                 input.ConsumeIntegral<std::int64_t>(), Amount(input),
                                 Amount(input)});
    }
    message.total = Amount(input);
    message.recovery_url = "https://shop.example/r/" + input.ConsumeRandomLengthString(20);
    message.unsubscribe_url = "https://shop.example/u/" + input.ConsumeRandomLengthString(20);
    if (input.ConsumeBool()) {
        message.unsubscribe_mailto = "mailto:" + input.ConsumeRandomLengthString(30);
    }
    if (input.ConsumeBool()) {
        message.voucher = cartwatch::Voucher{input.ConsumeRandomLengthString(20), Amount(input),
                                             input.ConsumeRandomLengthString(12)};
    }
    message.shop.name = input.ConsumeRandomLengthString(60);
    message.shop.address = input.ConsumeRandomLengthString(80);
    message.shop.from_address = "shop@shop.example";
    message.shop.from_display_name = input.ConsumeRandomLengthString(80);

    cartwatch::MessageOptions options;
    options.date = std::chrono::system_clock::from_time_t(1730811787);
    options.random_tokens = [](std::size_t length) { return std::string(length, 'a'); };
    // The body's encoding joins pieces (the fixed lines encoded at load): it must be the
    // encoding of the whole body, whatever the values hold.
    if (const auto content = Templates().Render(message); content.ok()) {
        Require(content->html_quoted_printable == cartwatch::EncodeQuotedPrintable(content->html),
                "the joined encoding of the HTML body is the encoding of the whole");
    }
    const auto built = cartwatch::BuildReminder(Templates(), message, options);
    if (!built.ok()) {
        Require(!built.error().empty(), "failures explain themselves");
        return 0;
    }
    cartwatch::fuzz::RequireLineDiscipline(built->bytes, true,
                                           !cartwatch::fuzz::AllAscii(built->recipient));
    Require(CountHeaderFields(built->bytes) == 10, "exactly the ten headers cartwatch writes");
    Require(built->subject.find_first_of("\r\n") == std::string::npos, "subject is one line");
    return 0;
}
