// Money and dates the way each supported language writes them, plus the
// English-only RFC 5322 Date header.
//
// These come from fixed tables (taken from CLDR, the data behind ICU and
// browsers) rather than std::locale or strftime: named C locales are not
// installed on the servers and differ between libc versions, and the
// daemon's own locale must never leak into a customer's e-mail.
#ifndef CARTWATCH_LOCALE_FORMAT_HPP
#define CARTWATCH_LOCALE_FORMAT_HPP

#include "result.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace cartwatch {

/// U+00A0 NO-BREAK SPACE: between an amount and its currency sign in pl, de
/// and fr, and the Polish thousands separator.
inline constexpr std::string_view kNoBreakSpace = "\xC2\xA0";
/// U+202F NARROW NO-BREAK SPACE: the French thousands separator
/// ("1 234,50 €"), as CLDR and the Imprimerie nationale rules have it.
inline constexpr std::string_view kNarrowNoBreakSpace = "\xE2\x80\xAF";

/// Reduces "pl_PL.UTF-8", "de-AT" or "FR" to the bare language ("pl", "de",
/// "fr"); returns an empty string when nothing usable is left.
std::string NormalizeLocale(std::string_view locale);

/// True for the languages the formatting tables cover.
bool IsSupportedFormatLocale(std::string_view language);

/// Formats a PostgreSQL numeric text ("1234.5", "-3", "0.125") as money in
/// `currency` (ISO 4217) for `language`, rounding half away from zero to the
/// currency's minor unit like numeric's round() does. Unknown languages use
/// English; unknown currencies show their code. Fails on anything that is
/// not a plain decimal number: the amount is never parsed as a double.
/// Examples: pl/PLN "191.2" -> "191,20 zł", de/EUR "1234.5" -> "1.234,50 €",
/// fr/EUR -> "1 234,50 €", en/EUR "69.51" -> "€69.51".
Result<std::string> FormatMoney(std::string_view decimal, std::string_view currency,
                                std::string_view language);

/// Formats an ISO date ("2024-11-30", an optional time part is ignored) as a
/// long date: "30 November 2024", "30 listopada 2024", "30. November 2024",
/// "30 novembre 2024" ("1er" for the first of the month in French).
Result<std::string> FormatLongDate(std::string_view iso_date, std::string_view language);

/// RFC 5322 date-time with English names whatever the process locale, e.g.
/// "Tue, 05 Nov 2024 14:03:07 +0100".
std::string FormatRfc5322Date(std::chrono::system_clock::time_point when, int utc_offset_minutes);

} // namespace cartwatch

#endif
