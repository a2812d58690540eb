// Polish money and date formats as PrestaShop's Polish back office writes them in its customer
// CSV: "191,20 zł" and "01.11.2021 13:00". Pure C++ (no PostgreSQL headers), so unit tests call
// it directly; the caller turns a LocalDateTime into a timestamptz in the session's time zone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cartwatch {

// A parsed value, or why the text is not one. An empty text parses to "no value".
template <typename T> struct Parsed {
    std::optional<T> value;
    std::string error; // empty when the text was valid

    bool ok() const noexcept { return error.empty(); }
};

// Amount in hundredths ("grosze"). Accepts "191,20 zł", "1 234,56", "1.234,56 PLN", "191.20",
// "0", "--" (no amount); grouping by spaces (also no-break spaces), dots or commas; at most two
// decimals; after the number, zł in any case, a sign (€ $ £) or a currency code (pln, eur, usd,
// gbp in any case, or any three capital letters, as FormatMoney writes them). Amounts in
// several currencies joined by " + " ("10,00 EUR + 20,00 CHF") are valid but no single amount.
Parsed<int64_t> ParseMoney(std::string_view text);
// "191,20 zł": decimal comma, no grouping, two decimals, then the currency: zł for PLN, the
// code for any other ("178,00 EUR"), nothing for an empty code ("0,00").
std::string FormatMoney(int64_t hundredths, std::string_view currency = "PLN");

struct LocalDateTime {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, microsecond = 0;
};
// "01.11.2021 13:00", with optional seconds and fraction ("01.11.2021 13:00:07.25"), a date alone
// ("01.11.2021", midnight) or ISO ("2021-11-01 13:00:00", PrestaShop's database form).
Parsed<LocalDateTime> ParseDateTime(std::string_view text);
// "01.11.2021 13:00"; seconds and fraction only when not zero, so nothing is lost.
std::string FormatDateTime(const LocalDateTime& value);

// "1"/"0", "tak"/"nie", "yes"/"no", "true"/"false" (any case); empty = no value.
Parsed<bool> ParseFlag(std::string_view text);

// Spaces (including no-break spaces) removed from both ends.
std::string_view TrimBlanks(std::string_view text);

} // namespace cartwatch
