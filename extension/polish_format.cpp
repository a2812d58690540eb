#include "polish_format.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

namespace cartwatch {
namespace {

constexpr std::string_view kNoBreakSpace = "\xC2\xA0";           // U+00A0
constexpr std::string_view kNarrowNoBreakSpace = "\xE2\x80\xAF"; // U+202F, Polish grouping

// Length of the blank at text[at], or 0.
size_t BlankAt(std::string_view text, size_t at) {
    if (text[at] == ' ' || text[at] == '\t') {
        return 1;
    }
    for (std::string_view blank : {kNoBreakSpace, kNarrowNoBreakSpace}) {
        if (text.substr(at, blank.size()) == blank) {
            return blank.size();
        }
    }
    return 0;
}

std::string Quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

std::string AsciiLower(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return lower;
}

// Case-folds a currency label: ASCII and the Polish letter (ZŁ, Zł and zł are one currency).
std::string FoldCurrency(std::string_view text) {
    std::string folded = AsciiLower(text);
    constexpr std::string_view kCapitalL = "\xC5\x81"; // Ł
    constexpr std::string_view kSmallL = "\xC5\x82";   // ł
    for (size_t at = folded.find(kCapitalL); at != std::string::npos;
         at = folded.find(kCapitalL, at)) {
        folded.replace(at, kCapitalL.size(), kSmallL);
    }
    return folded;
}

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

// Reads 1..max_digits digits at text[*at] into *value.
bool ReadNumber(std::string_view text, size_t* at, size_t min_digits, size_t max_digits,
                int* value) {
    size_t digits = 0;
    int result = 0;
    while (*at < text.size() && IsDigit(text[*at]) && digits < max_digits) {
        result = result * 10 + (text[*at] - '0');
        ++*at;
        ++digits;
    }
    *value = result;
    return digits >= min_digits && !(*at < text.size() && IsDigit(text[*at]));
}

bool Expect(std::string_view text, size_t* at, char c) {
    if (*at < text.size() && text[*at] == c) {
        ++*at;
        return true;
    }
    return false;
}

int DaysInMonth(int year, int month) {
    static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDays[month - 1];
}

} // namespace

std::string_view TrimBlanks(std::string_view text) {
    size_t start = 0;
    while (start < text.size()) {
        const size_t blank = BlankAt(text, start);
        if (blank == 0) {
            break;
        }
        start += blank;
    }
    text.remove_prefix(start);
    for (;;) {
        size_t cut = 0;
        for (size_t length : {size_t{1}, kNoBreakSpace.size(), kNarrowNoBreakSpace.size()}) {
            if (text.size() >= length && BlankAt(text, text.size() - length) == length) {
                cut = length;
                break;
            }
        }
        if (cut == 0) {
            return text;
        }
        text.remove_suffix(cut);
    }
}

Parsed<int64_t> ParseMoney(std::string_view original) {
    std::string_view text = TrimBlanks(original);
    if (text.empty() || text == "--") {
        return {};
    }
    const std::string invalid = "invalid amount " + Quoted(original);
    // Amounts in several currencies ("10,00 EUR + 20,00 CHF"): each must be one, and together
    // they are no single amount.
    constexpr std::string_view kPlus = " + ";
    if (text.find(kPlus) != std::string_view::npos) {
        for (std::string_view rest = text; !rest.empty();) {
            const size_t plus = std::min(rest.find(kPlus), rest.size());
            const Parsed<int64_t> part = ParseMoney(rest.substr(0, plus));
            if (!part.value) {
                return {std::nullopt, part.ok() ? invalid : invalid + ": " + part.error};
            }
            rest.remove_prefix(std::min(plus + kPlus.size(), rest.size()));
        }
        return {};
    }
    // The currency after the number: zł, PLN, EUR, €, ... (anything that is not part of one).
    size_t end = text.size();
    while (end > 0 && !IsDigit(text[end - 1])) {
        --end;
    }
    if (end == 0) {
        return {std::nullopt, invalid};
    }
    std::string_view currency = TrimBlanks(text.substr(end));
    if (!currency.empty() && (currency.front() == ',' || currency.front() == '.')) {
        return {std::nullopt, invalid}; // "191," is a number cut short, not a currency
    }
    static constexpr std::array<std::string_view, 10> kCurrencies = {"",  "zł",  "zl", "pln", "eur",
                                                                     "€", "usd", "$",  "gbp", "£"};
    // Any ISO 4217 code as FormatMoney writes it (capitals), e.g. CHF or CZK.
    bool known_currency =
        currency.size() == 3 &&
        std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    for (std::string_view known : kCurrencies) {
        known_currency = known_currency || FoldCurrency(currency) == known;
    }
    if (!known_currency) {
        return {std::nullopt, invalid + ": unknown currency " + Quoted(currency)};
    }
    text = TrimBlanks(text.substr(0, end));
    bool negative = false;
    if (!text.empty() && text.front() == '-') {
        negative = true;
        text.remove_prefix(1);
    }
    text = TrimBlanks(text);
    // Digits and separators only; a run of blanks becomes one ' ', which can only group.
    std::string number;
    for (size_t at = 0; at < text.size();) {
        const size_t blank = BlankAt(text, at);
        if (blank > 0) {
            at += blank;
            if (!number.empty() && number.back() != ' ') {
                number.push_back(' ');
            }
            continue;
        }
        const char c = text[at++];
        if (!IsDigit(c) && c != ',' && c != '.') {
            return {std::nullopt, invalid};
        }
        number.push_back(c);
    }
    if (number.empty() || !IsDigit(number.front()) || !IsDigit(number.back())) {
        return {std::nullopt, invalid};
    }
    // The decimal separator is the last separator when it has at most two digits after it;
    // every other separator groups thousands and must have exactly three digits after it.
    const size_t last = number.find_last_of(",.");
    size_t decimal_at = std::string::npos;
    if (last != std::string::npos && number.size() - last - 1 <= 2) {
        decimal_at = last;
    } else if (last != std::string::npos && number.find_first_of(",.") == last &&
               number.size() - last - 1 == 3) {
        // "1.234" or "1,234": thousands in one locale, three decimals in the other.
        return {std::nullopt, invalid + ": ambiguous separator, write 1234,00 or 1 234,00"};
    }
    int64_t whole = 0;
    int64_t fraction = 0;
    int fraction_digits = 0;
    size_t run = 0; // digits since the last grouping separator
    bool grouped = false;
    char group_separator = 0;
    for (size_t at = 0; at < number.size(); ++at) {
        const char c = number[at];
        if (at == decimal_at) {
            continue;
        }
        if (IsDigit(c)) {
            if (decimal_at != std::string::npos && at > decimal_at) {
                fraction = fraction * 10 + (c - '0');
                ++fraction_digits;
                continue;
            }
            if (whole > (INT64_MAX / 100 - 9) / 10) {
                return {std::nullopt, invalid + ": too large"};
            }
            whole = whole * 10 + (c - '0');
            ++run;
            continue;
        }
        // A grouping separator: one kind only, not the decimal one, groups of three after it.
        const bool first_group_ok = grouped || (run >= 1 && run <= 3);
        if (!first_group_ok || (grouped && run != 3) ||
            (group_separator != 0 && c != group_separator) ||
            (decimal_at != std::string::npos && c == number[decimal_at])) {
            return {std::nullopt, invalid};
        }
        group_separator = c;
        grouped = true;
        run = 0;
    }
    if (grouped && run != 3) {
        return {std::nullopt, invalid};
    }
    if (fraction_digits == 1) {
        fraction *= 10;
    }
    const int64_t hundredths = whole * 100 + fraction;
    return {negative ? -hundredths : hundredths, {}};
}

std::string FormatMoney(int64_t hundredths, std::string_view currency) {
    const bool negative = hundredths < 0;
    const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(hundredths) : hundredths;
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%s%llu,%02llu", negative ? "-" : "",
                  static_cast<unsigned long long>(magnitude / 100),
                  static_cast<unsigned long long>(magnitude % 100));
    std::string text = buffer;
    if (currency == "PLN") {
        text += " zł";
    } else if (!currency.empty()) {
        text += " ";
        text += currency;
    }
    return text;
}

Parsed<LocalDateTime> ParseDateTime(std::string_view original) {
    const std::string_view text = TrimBlanks(original);
    if (text.empty() || text == "--") {
        return {};
    }
    const std::string invalid = "invalid date " + Quoted(original);
    LocalDateTime value;
    size_t at = 0;
    bool ok = false;
    if (text.size() >= 5 && text[4] == '-') {
        ok = ReadNumber(text, &at, 4, 4, &value.year) && Expect(text, &at, '-') &&
             ReadNumber(text, &at, 1, 2, &value.month) && Expect(text, &at, '-') &&
             ReadNumber(text, &at, 1, 2, &value.day);
    } else {
        ok = ReadNumber(text, &at, 1, 2, &value.day) && Expect(text, &at, '.') &&
             ReadNumber(text, &at, 1, 2, &value.month) && Expect(text, &at, '.') &&
             ReadNumber(text, &at, 4, 4, &value.year);
    }
    if (ok && at < text.size()) {
        ok = (Expect(text, &at, ' ') || Expect(text, &at, 'T')) &&
             ReadNumber(text, &at, 1, 2, &value.hour) && Expect(text, &at, ':') &&
             ReadNumber(text, &at, 2, 2, &value.minute);
        if (ok && Expect(text, &at, ':')) {
            ok = ReadNumber(text, &at, 2, 2, &value.second);
            if (ok && Expect(text, &at, '.')) {
                const size_t start = at;
                ok = ReadNumber(text, &at, 1, 6, &value.microsecond);
                for (size_t digits = at - start; ok && digits < 6; ++digits) {
                    value.microsecond *= 10;
                }
            }
        }
        ok = ok && at == text.size();
    }
    if (!ok) {
        return {std::nullopt, invalid + ": expected DD.MM.YYYY HH:MM"};
    }
    if (value.year < 1 || value.month < 1 || value.month > 12 || value.day < 1 ||
        value.day > DaysInMonth(value.year, value.month) || value.hour > 23 || value.minute > 59 ||
        value.second > 59) {
        return {std::nullopt, invalid + ": no such day or time"};
    }
    return {value, {}};
}

std::string FormatDateTime(const LocalDateTime& value) {
    char buffer[64];
    int length = std::snprintf(buffer, sizeof buffer, "%02d.%02d.%04d %02d:%02d", value.day,
                               value.month, value.year, value.hour, value.minute);
    if (value.second != 0 || value.microsecond != 0) {
        length += std::snprintf(buffer + length, sizeof buffer - length, ":%02d", value.second);
    }
    if (value.microsecond != 0) {
        length +=
            std::snprintf(buffer + length, sizeof buffer - length, ".%06d", value.microsecond);
        while (buffer[length - 1] == '0') {
            --length;
        }
    }
    return std::string(buffer, length);
}

Parsed<bool> ParseFlag(std::string_view original) {
    const std::string text = AsciiLower(TrimBlanks(original));
    if (text.empty()) {
        return {};
    }
    for (std::string_view yes : {"1", "tak", "yes", "true", "t", "y"}) {
        if (text == yes) {
            return {true, {}};
        }
    }
    for (std::string_view no : {"0", "nie", "no", "false", "f", "n"}) {
        if (text == no) {
            return {false, {}};
        }
    }
    return {std::nullopt, "invalid flag " + Quoted(original) + ": expected 1 or 0"};
}

} // namespace cartwatch
