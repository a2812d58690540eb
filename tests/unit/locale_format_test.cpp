#include "locale_format.hpp"

#include <gtest/gtest.h>

#include <clocale>
#include <string>

namespace cartwatch {
namespace {

const std::string kNbsp(kNoBreakSpace);
const std::string kNnbsp(kNarrowNoBreakSpace);

std::string Money(const char* amount, const char* currency, const char* language) {
    const auto result = FormatMoney(amount, currency, language);
    return result.ok() ? *result : "error: " + result.error();
}

TEST(FormatMoneyTest, MatchesEachLanguagesConvention) {
    EXPECT_EQ("191,20" + kNbsp + "zł", Money("191.2", "PLN", "pl"));
    EXPECT_EQ("69,51" + kNbsp + "€", Money("69.51", "EUR", "de"));
    EXPECT_EQ("69,51" + kNbsp + "€", Money("69.51", "EUR", "fr"));
    EXPECT_EQ("€69.51", Money("69.51", "EUR", "en"));
    EXPECT_EQ("1.234,50" + kNbsp + "€", Money("1234.5", "EUR", "de"));
    EXPECT_EQ("1" + kNnbsp + "234,50" + kNbsp + "€", Money("1234.5", "EUR", "fr"));
    EXPECT_EQ("€1,234.50", Money("1234.5", "EUR", "en"));
}

TEST(FormatMoneyTest, PolishGroupsFromFiveDigits) {
    EXPECT_EQ("1234,50" + kNbsp + "zł", Money("1234.5", "PLN", "pl"));
    EXPECT_EQ("12" + kNbsp + "345,00" + kNbsp + "zł", Money("12345", "PLN", "pl"));
    EXPECT_EQ("1" + kNbsp + "234" + kNbsp + "567,89" + kNbsp + "zł",
              Money("1234567.89", "PLN", "pl"));
}

TEST(FormatMoneyTest, GroupsLargeAmounts) {
    EXPECT_EQ("1.234.567,00" + kNbsp + "€", Money("1234567", "EUR", "de"));
    EXPECT_EQ("€123,456,789.00", Money("123456789", "EUR", "en"));
    EXPECT_EQ("€999.00", Money("999", "EUR", "en"));
}

TEST(FormatMoneyTest, RoundsHalfAwayFromZeroOnDigits) {
    EXPECT_EQ("€0.29", Money("0.285", "EUR", "en")); // 0.285 as a double is below .285
    EXPECT_EQ("€1.01", Money("1.005", "EUR", "en"));
    EXPECT_EQ("€1,000.00", Money("999.995", "EUR", "en"));
    EXPECT_EQ("€0.12", Money("0.12499999", "EUR", "en"));
    EXPECT_EQ("-€5.00", Money("-5", "EUR", "en"));
    EXPECT_EQ("€0.00", Money("-0.001", "EUR", "en"));
    EXPECT_EQ("€12.00", Money("0012", "EUR", "en"));
}

TEST(FormatMoneyTest, KeepsPrecisionOfHugeNumerics) {
    EXPECT_EQ("€12,345,678,901,234,567,890.12", Money("12345678901234567890.123", "EUR", "en"));
}

TEST(FormatMoneyTest, CurrencyWithoutMinorUnitAndUnknownCodes) {
    EXPECT_EQ("JP¥1,235", Money("1234.5", "JPY", "en"));
    EXPECT_EQ("10,00" + kNbsp + "NOK", Money("10", "NOK", "de"));
    EXPECT_EQ("PLN" + kNbsp + "191.20", Money("191.2", "PLN", "en"));
    EXPECT_EQ("€5.00", Money("5", "EUR", "pt")); // unknown language: English
}

TEST(FormatMoneyTest, RefusesAnythingButADecimal) {
    for (const char* bad :
         {"", "-", "1e3", "1,5", "NaN", "inf", "1.2.3", " 1", "1 ", ".5", "5.", "0x10", "١٢"}) {
        EXPECT_FALSE(FormatMoney(bad, "EUR", "en").ok()) << bad;
    }
    EXPECT_FALSE(FormatMoney("1", "eur", "en").ok());
    EXPECT_FALSE(FormatMoney("1", "EURO", "en").ok());
    EXPECT_FALSE(FormatMoney("1", "E\nR", "en").ok());
}

TEST(FormatLongDateTest, WritesEachLanguagesDate) {
    EXPECT_EQ("30 November 2024", *FormatLongDate("2024-11-30", "en"));
    EXPECT_EQ("30 listopada 2024", *FormatLongDate("2024-11-30", "pl"));
    EXPECT_EQ("30. November 2024", *FormatLongDate("2024-11-30", "de"));
    EXPECT_EQ("30 novembre 2024", *FormatLongDate("2024-11-30", "fr"));
    EXPECT_EQ("1er décembre 2024", *FormatLongDate("2024-12-01", "fr"));
    EXPECT_EQ("1 grudnia 2024", *FormatLongDate("2024-12-01 23:59:59+01", "pl"));
    EXPECT_EQ("3. März 2025", *FormatLongDate("2025-03-03T00:00:00Z", "de"));
    EXPECT_EQ("29 lutego 2024", *FormatLongDate("2024-02-29", "pl"));
}

TEST(FormatLongDateTest, RefusesImpossibleDates) {
    for (const char* bad : {"2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "24-11-30",
                            "2024/11/30", "2024-11-30x", ""}) {
        EXPECT_FALSE(FormatLongDate(bad, "en").ok()) << bad;
    }
}

TEST(Rfc5322DateTest, UsesEnglishNamesAndNumericZone) {
    const auto when = std::chrono::system_clock::from_time_t(1730811787); // 13:03:07 UTC
    EXPECT_EQ("Tue, 05 Nov 2024 14:03:07 +0100", FormatRfc5322Date(when, 60));
    EXPECT_EQ("Tue, 05 Nov 2024 13:03:07 +0000", FormatRfc5322Date(when, 0));
    EXPECT_EQ("Tue, 05 Nov 2024 07:33:07 -0530", FormatRfc5322Date(when, -330));
    EXPECT_EQ("Wed, 06 Nov 2024 02:03:07 +1300", FormatRfc5322Date(when, 780));
}

TEST(Rfc5322DateTest, IgnoresTheProcessLocale) {
    // Whatever locale the host has installed, the output must not change.
    const char* previous = std::setlocale(LC_ALL, nullptr);
    const std::string saved = previous ? previous : "C";
    for (const char* name : {"pl_PL.UTF-8", "de_DE.UTF-8", "fr_FR.UTF-8", "C.UTF-8"}) {
        std::setlocale(LC_ALL, name);
        const auto when = std::chrono::system_clock::from_time_t(1730811787);
        EXPECT_EQ("Tue, 05 Nov 2024 14:03:07 +0100", FormatRfc5322Date(when, 60));
        EXPECT_EQ("1.234,50" + kNbsp + "€", Money("1234.5", "EUR", "de"));
    }
    std::setlocale(LC_ALL, saved.c_str());
}

TEST(NormalizeLocaleTest, ReducesToLanguage) {
    EXPECT_EQ("pl", NormalizeLocale("pl_PL.UTF-8"));
    EXPECT_EQ("de", NormalizeLocale("de-AT"));
    EXPECT_EQ("fr", NormalizeLocale("FR"));
    EXPECT_EQ("", NormalizeLocale(""));
    EXPECT_EQ("", NormalizeLocale("x"));
    EXPECT_EQ("", NormalizeLocale("../etc"));
    EXPECT_TRUE(IsSupportedFormatLocale("pl"));
    EXPECT_FALSE(IsSupportedFormatLocale("pt"));
}

} // namespace
} // namespace cartwatch
