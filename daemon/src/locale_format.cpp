// Design note: money is formatted on the decimal text itself. The digits are
// split at the point, the fraction is rounded by carrying a 1 through the
// integer digits when the first dropped digit is 5 or more (half away from
// zero, as PostgreSQL's round(numeric) does), then the integer part is
// grouped in threes. No step converts to binary floating point, so "0.285"
// can never turn into 0.28499999.
#include "locale_format.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace cartwatch {
namespace {

struct NumberStyle {
    std::string_view language;
    std::string_view decimal_separator;
    std::string_view group_separator;
    // CLDR minimumGroupingDigits: Polish leaves "1234,50" ungrouped and starts
    // grouping at five integer digits ("12 345,00").
    std::size_t min_grouping_digits;
    bool symbol_first; // en: "€69.51"; the others: "69,51 €"
};

constexpr std::array<NumberStyle, 4> kNumberStyles{{
    {"en", ".", ",", 1, true},
    {"pl", ",", kNoBreakSpace, 2, false},
    {"de", ",", ".", 1, false},
    {"fr", ",", kNarrowNoBreakSpace, 1, false},
}};

struct CurrencySymbol {
    std::string_view code;
    std::size_t minor_digits;
    // Symbols by language in kNumberStyles order (en, pl, de, fr), from CLDR.
    std::array<std::string_view, 4> symbols;
};

constexpr std::array<CurrencySymbol, 9> kCurrencies{{
    {"EUR", 2, {"€", "€", "€", "€"}},
    {"PLN", 2, {"PLN", "zł", "PLN", "PLN"}},
    {"GBP", 2, {"£", "GBP", "£", "£GB"}},
    {"USD", 2, {"US$", "USD", "$", "$US"}},
    {"CHF", 2, {"CHF", "CHF", "CHF", "CHF"}},
    {"CZK", 2, {"CZK", "CZK", "CZK", "CZK"}},
    {"SEK", 2, {"SEK", "SEK", "SEK", "SEK"}},
    {"JPY", 0, {"JP¥", "JPY", "¥", "JPY"}},
    {"HUF", 2, {"HUF", "HUF", "HUF", "HUF"}},
}};

std::size_t StyleIndex(std::string_view language) {
    for (std::size_t i = 0; i < kNumberStyles.size(); ++i) {
        if (kNumberStyles[i].language == language) {
            return i;
        }
    }
    return 0; // English
}

bool IsDigits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(),
                                        [](unsigned char c) { return c >= '0' && c <= '9'; });
}

// Adds one unit in the last place of a digit string; returns true when the
// carry runs off the front ("999" -> "000", carry out).
bool IncrementDigits(std::string& digits) {
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        if (*it != '9') {
            ++*it;
            return false;
        }
        *it = '0';
    }
    return true;
}

std::string GroupDigits(const std::string& integer, const NumberStyle& style) {
    if (integer.size() < 3 + style.min_grouping_digits) {
        return integer;
    }
    std::string out;
    const std::size_t first_group = integer.size() % 3 == 0 ? 3 : integer.size() % 3;
    out += integer.substr(0, first_group);
    for (std::size_t pos = first_group; pos < integer.size(); pos += 3) {
        out += style.group_separator;
        out += integer.substr(pos, 3);
    }
    return out;
}

bool IsLeapYear(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int DaysInMonth(int year, int month) {
    static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Month names in the form used after a day number: Polish needs the genitive
// ("30 listopada"), the others use the plain name.
constexpr std::array<std::array<std::string_view, 12>, 4> kMonthNames{{
    {"January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"},
    {"stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
     "października", "listopada", "grudnia"},
    {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
     "November", "Dezember"},
    {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
     "octobre", "novembre", "décembre"},
}};

} // namespace

std::string NormalizeLocale(std::string_view locale) {
    std::string language;
    for (const char c : locale) {
        if (!std::isalpha(static_cast<unsigned char>(c))) {
            break;
        }
        language.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    // ISO 639 codes are two or three letters; anything else is not a locale.
    return language.size() >= 2 && language.size() <= 3 ? language : std::string();
}

bool IsSupportedFormatLocale(std::string_view language) {
    return std::any_of(kNumberStyles.begin(), kNumberStyles.end(),
                       [&](const NumberStyle& s) { return s.language == language; });
}

Result<std::string> FormatMoney(std::string_view decimal, std::string_view currency,
                                std::string_view language) {
    std::string_view text = decimal;
    bool negative = false;
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    const std::size_t point = text.find('.');
    std::string integer(text.substr(0, point));
    std::string fraction(point == std::string_view::npos ? "" : text.substr(point + 1));
    if (!IsDigits(integer) || (point != std::string_view::npos && !IsDigits(fraction))) {
        return Fail("amount is not a decimal number");
    }
    if (currency.size() != 3 || !std::all_of(currency.begin(), currency.end(),
                                             [](char c) { return c >= 'A' && c <= 'Z'; })) {
        return Fail("currency is not an ISO 4217 code");
    }
    const auto known = std::find_if(kCurrencies.begin(), kCurrencies.end(),
                                    [&](const CurrencySymbol& c) { return c.code == currency; });
    const std::size_t minor_digits = known != kCurrencies.end() ? known->minor_digits : 2;
    const std::size_t style_index = StyleIndex(language);
    const NumberStyle& style = kNumberStyles[style_index];
    const std::string_view symbol =
        known != kCurrencies.end() ? known->symbols[style_index] : currency;

    // Only the first dropped digit matters for half-away-from-zero: "0.1249"
    // rounds down, "0.125" up, whatever follows.
    const bool round_up = fraction.size() > minor_digits && fraction[minor_digits] >= '5';
    fraction.resize(minor_digits, '0');
    if (round_up && IncrementDigits(fraction)) {
        if (IncrementDigits(integer)) {
            integer.insert(integer.begin(), '1');
        }
    }
    integer.erase(0, std::min(integer.find_first_not_of('0'), integer.size() - 1));
    // "-0.001" rounds to zero, and "-€0.00" would read as a debt.
    const bool is_zero = integer == "0" && fraction.find_first_not_of('0') == std::string::npos;

    std::string number = GroupDigits(integer, style);
    if (minor_digits > 0) {
        number += style.decimal_separator;
        number += fraction;
    }
    std::string out = negative && !is_zero ? "-" : "";
    if (style.symbol_first) {
        out += symbol;
        // Letters run into digits ("PLN191.20") without a space.
        if (std::isalpha(static_cast<unsigned char>(symbol.back()))) {
            out += kNoBreakSpace;
        }
        out += number;
    } else {
        out += number;
        out += kNoBreakSpace;
        out += symbol;
    }
    return out;
}

Result<std::string> FormatLongDate(std::string_view iso_date, std::string_view language) {
    const bool shape_ok = iso_date.size() >= 10 && iso_date[4] == '-' && iso_date[7] == '-' &&
                          IsDigits(iso_date.substr(0, 4)) && IsDigits(iso_date.substr(5, 2)) &&
                          IsDigits(iso_date.substr(8, 2)) &&
                          (iso_date.size() == 10 || iso_date[10] == ' ' || iso_date[10] == 'T');
    if (!shape_ok) {
        return Fail("date is not in YYYY-MM-DD form");
    }
    const int year = std::stoi(std::string(iso_date.substr(0, 4)));
    const int month = std::stoi(std::string(iso_date.substr(5, 2)));
    const int day = std::stoi(std::string(iso_date.substr(8, 2)));
    if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
        return Fail("date does not exist in the calendar");
    }
    const std::size_t style_index = StyleIndex(language);
    const std::string month_name(kMonthNames[style_index][month - 1]);
    const std::string year_text = std::to_string(year);
    switch (style_index) {
    case 2: // German writes the day as an ordinal: "30. November 2024"
        return std::to_string(day) + ". " + month_name + " " + year_text;
    case 3: // French: "1er décembre", then plain cardinals
        return (day == 1 ? std::string("1er") : std::to_string(day)) + " " + month_name + " " +
               year_text;
    default:
        return std::to_string(day) + " " + month_name + " " + year_text;
    }
}

std::string FormatRfc5322Date(std::chrono::system_clock::time_point when, int utc_offset_minutes) {
    static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                      "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    // Shift to local wall time, then break it down as if it were UTC: gmtime_r
    // is independent of TZ and of LC_TIME.
    const std::time_t local_seconds = std::chrono::system_clock::to_time_t(when) +
                                      static_cast<std::time_t>(utc_offset_minutes) * 60;
    std::tm parts{};
    gmtime_r(&local_seconds, &parts);
    const int offset = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d",
                  kDays[parts.tm_wday], parts.tm_mday, kMonths[parts.tm_mon], parts.tm_year + 1900,
                  parts.tm_hour, parts.tm_min, parts.tm_sec, utc_offset_minutes < 0 ? '-' : '+',
                  offset / 60, offset % 60);
    return buffer;
}

} // namespace cartwatch
