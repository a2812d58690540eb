#include "polish_format.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace cartwatch {
namespace {

constexpr const char* kNoBreakSpace = "\xC2\xA0";
constexpr const char* kNarrowNoBreakSpace = "\xE2\x80\xAF";

int64_t Money(std::string_view text) {
    const Parsed<int64_t> parsed = ParseMoney(text);
    EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.error;
    EXPECT_TRUE(parsed.value.has_value()) << text;
    return parsed.value.value_or(INT64_MIN);
}

std::string MoneyError(std::string_view text) {
    const Parsed<int64_t> parsed = ParseMoney(text);
    EXPECT_FALSE(parsed.value.has_value()) << text;
    return parsed.error;
}

TEST(ParseMoney, PrestaShopPolishAmounts) {
    EXPECT_EQ(Money("191,20 zł"), 19120);
    EXPECT_EQ(Money("0,00 zł"), 0);
    EXPECT_EQ(Money("1 234,50"), 123450);
    EXPECT_EQ(Money("1 234 567,89 zł"), 123456789);
    EXPECT_EQ(Money(std::string("1") + kNoBreakSpace + "234,50" + kNoBreakSpace + "zł"), 123450);
    EXPECT_EQ(Money(std::string("12") + kNarrowNoBreakSpace + "000,00 zł"), 1200000);
}

TEST(ParseMoney, OtherSeparatorsAndCurrencies) {
    EXPECT_EQ(Money("191.20"), 19120);
    EXPECT_EQ(Money("1.234,56 PLN"), 123456);
    EXPECT_EQ(Money("1,234.56 EUR"), 123456);
    EXPECT_EQ(Money("12 zl"), 1200);
    EXPECT_EQ(Money("5 €"), 500);
    EXPECT_EQ(Money("  7  "), 700);
}

TEST(ParseMoney, ZlotyInAnyCase) {
    EXPECT_EQ(Money("191,20 ZŁ"), 19120);
    EXPECT_EQ(Money("191,20 Zł"), 19120);
    EXPECT_EQ(Money("191,20 zŁ"), 19120);
    EXPECT_EQ(Money("191,20 ZL"), 19120);
}

TEST(ParseMoney, BlanksGroupThousandsOnlyInThrees) {
    EXPECT_EQ(MoneyError("12 34,5 zł"), "invalid amount \"12 34,5 zł\"");
    EXPECT_EQ(MoneyError("1 2345,00"), "invalid amount \"1 2345,00\"");
    EXPECT_EQ(MoneyError("1234 567"), "invalid amount \"1234 567\"");
    EXPECT_EQ(MoneyError("1 234.567,00"), "invalid amount \"1 234.567,00\""); // two kinds
    EXPECT_EQ(Money("1  234,50"), 123450);                                    // one group
    EXPECT_EQ(Money("- 1 234,50 zł"), -123450);
}

TEST(ParseMoney, OneDecimalIsTenthsAndNegativeAmountsKeepTheirSign) {
    EXPECT_EQ(Money("191,2 zł"), 19120);
    EXPECT_EQ(Money("-5,00 zł"), -500);
    EXPECT_EQ(Money("-0,05"), -5);
}

TEST(ParseMoney, EmptyAndDashesAreNoAmount) {
    for (const char* text : {"", "   ", "--", " -- "}) {
        const Parsed<int64_t> parsed = ParseMoney(text);
        EXPECT_TRUE(parsed.ok()) << text;
        EXPECT_FALSE(parsed.value.has_value()) << text;
    }
}

TEST(ParseMoney, BadNumbersSayWhy) {
    EXPECT_EQ(MoneyError("abc"), "invalid amount \"abc\"");
    EXPECT_EQ(MoneyError("12 abc"), "invalid amount \"12 abc\": unknown currency \"abc\"");
    EXPECT_EQ(MoneyError("1,234"), "invalid amount \"1,234\": ambiguous separator, write "
                                   "1234,00 or 1 234,00");
    EXPECT_EQ(MoneyError("12a3"), "invalid amount \"12a3\"");
    EXPECT_EQ(MoneyError(",50"), "invalid amount \",50\"");
    EXPECT_EQ(MoneyError("191,"), "invalid amount \"191,\"");
    EXPECT_EQ(MoneyError("12,3,4"), "invalid amount \"12,3,4\""); // groups of three
    EXPECT_EQ(MoneyError("1.234.5678,00"), "invalid amount \"1.234.5678,00\"");
    EXPECT_EQ(MoneyError("1.234,567.00"), "invalid amount \"1.234,567.00\""); // two kinds
    EXPECT_EQ(MoneyError("1,00,00"), "invalid amount \"1,00,00\"");
    EXPECT_EQ(MoneyError("99999999999999999999"),
              "invalid amount \"99999999999999999999\": too large");
}

TEST(FormatMoney, DecimalCommaTwoDecimalsAndZloty) {
    EXPECT_EQ(FormatMoney(19120), "191,20 zł");
    EXPECT_EQ(FormatMoney(0), "0,00 zł");
    EXPECT_EQ(FormatMoney(5), "0,05 zł");
    EXPECT_EQ(FormatMoney(123456789), "1234567,89 zł");
    EXPECT_EQ(FormatMoney(-500), "-5,00 zł");
    EXPECT_EQ(FormatMoney(INT64_MIN), "-92233720368547758,08 zł");
}

TEST(ParseMoney, AmountsInSeveralCurrenciesAreValidButNoSingleAmount) {
    for (const char* text : {"10,00 EUR + 20,00 CHF", "1,00 EUR + 2,00 zł + 3,00 USD"}) {
        const Parsed<int64_t> parsed = ParseMoney(text);
        EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.error;
        EXPECT_FALSE(parsed.value.has_value()) << text;
    }
    EXPECT_EQ(MoneyError("10,00 EUR + abc"), "invalid amount \"10,00 EUR + abc\": invalid amount "
                                             "\"abc\"");
    EXPECT_EQ(MoneyError("10,00 EUR + --"), "invalid amount \"10,00 EUR + --\"");
}

TEST(FormatMoney, OtherCurrenciesByCodeAndNoneForNoCode) {
    EXPECT_EQ(FormatMoney(17800, "EUR"), "178,00 EUR");
    EXPECT_EQ(FormatMoney(-5, "CHF"), "-0,05 CHF");
    EXPECT_EQ(FormatMoney(0, ""), "0,00");
}

TEST(FormatMoney, ParsesBackToTheSameAmount) {
    for (int64_t amount : {int64_t{0}, int64_t{1}, int64_t{99}, int64_t{100}, int64_t{19120},
                           int64_t{-1}, int64_t{123456789012}}) {
        for (std::string_view currency : {"PLN", "EUR", "CHF", "CZK", ""}) {
            EXPECT_EQ(Money(FormatMoney(amount, currency)), amount) << currency;
        }
    }
}

LocalDateTime Date(std::string_view text) {
    const Parsed<LocalDateTime> parsed = ParseDateTime(text);
    EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.error;
    EXPECT_TRUE(parsed.value.has_value()) << text;
    return parsed.value.value_or(LocalDateTime{});
}

std::string Fields(const LocalDateTime& value) {
    return std::to_string(value.year) + "-" + std::to_string(value.month) + "-" +
           std::to_string(value.day) + " " + std::to_string(value.hour) + ":" +
           std::to_string(value.minute) + ":" + std::to_string(value.second) + "." +
           std::to_string(value.microsecond);
}

std::string DateError(std::string_view text) {
    const Parsed<LocalDateTime> parsed = ParseDateTime(text);
    EXPECT_FALSE(parsed.value.has_value()) << text;
    return parsed.error;
}

TEST(ParseDateTime, PrestaShopPolishDates) {
    EXPECT_EQ(Fields(Date("01.11.2021 13:00")), "2021-11-1 13:0:0.0");
    EXPECT_EQ(Fields(Date("1.1.2021 9:05")), "2021-1-1 9:5:0.0");
    EXPECT_EQ(Fields(Date("01.11.2021")), "2021-11-1 0:0:0.0");
    EXPECT_EQ(Fields(Date(" 31.12.1999 23:59:59 ")), "1999-12-31 23:59:59.0");
    EXPECT_EQ(Fields(Date("01.11.2021 13:00:07.25")), "2021-11-1 13:0:7.250000");
    EXPECT_EQ(Fields(Date("01.11.2021 13:00:07.000001")), "2021-11-1 13:0:7.1");
}

TEST(ParseDateTime, IsoAsInPrestaShopsDatabase) {
    EXPECT_EQ(Fields(Date("2021-11-01 13:00:00")), "2021-11-1 13:0:0.0");
    EXPECT_EQ(Fields(Date("2021-11-01T13:00")), "2021-11-1 13:0:0.0");
    EXPECT_EQ(Fields(Date("2021-11-01")), "2021-11-1 0:0:0.0");
}

TEST(ParseDateTime, LeapDays) {
    EXPECT_EQ(Fields(Date("29.02.2024 12:00")), "2024-2-29 12:0:0.0");
    EXPECT_EQ(Fields(Date("29.02.2000")), "2000-2-29 0:0:0.0");
    EXPECT_EQ(DateError("29.02.2023"), "invalid date \"29.02.2023\": no such day or time");
    EXPECT_EQ(DateError("29.02.1900"), "invalid date \"29.02.1900\": no such day or time");
}

TEST(ParseDateTime, EmptyAndDashesAreNoDate) {
    for (const char* text : {"", "  ", "--"}) {
        const Parsed<LocalDateTime> parsed = ParseDateTime(text);
        EXPECT_TRUE(parsed.ok()) << text;
        EXPECT_FALSE(parsed.value.has_value()) << text;
    }
}

TEST(ParseDateTime, BadDatesSayWhy) {
    const std::string shape = ": expected DD.MM.YYYY HH:MM";
    for (const char* text : {"01/11/2021", "01.11.21", "01.11.2021 13", "01.11.2021 13:0",
                             "01.11.2021 13:00 extra", "1.1.20210", "01.11.2021 13:00:07.",
                             "01.11.2021 13:00:07.1234567", "yesterday", "2021-11-01 13:00Z"}) {
        EXPECT_EQ(DateError(text), "invalid date \"" + std::string(text) + "\"" + shape);
    }
    for (const char* text :
         {"31.11.2021 10:00", "00.11.2021", "01.13.2021", "01.00.2021", "01.11.2021 24:00",
          "01.11.2021 23:60", "01.11.2021 23:59:60", "01.11.0000"}) {
        EXPECT_EQ(DateError(text),
                  "invalid date \"" + std::string(text) + "\": no such day or time");
    }
}

TEST(FormatDateTime, MinutesAndOnlyTheSecondsThereAre) {
    LocalDateTime value;
    value.year = 2021;
    value.month = 11;
    value.day = 1;
    value.hour = 13;
    EXPECT_EQ(FormatDateTime(value), "01.11.2021 13:00");
    value.second = 7;
    EXPECT_EQ(FormatDateTime(value), "01.11.2021 13:00:07");
    value.microsecond = 250000;
    EXPECT_EQ(FormatDateTime(value), "01.11.2021 13:00:07.25");
    value.second = 0;
    value.microsecond = 1;
    EXPECT_EQ(FormatDateTime(value), "01.11.2021 13:00:00.000001");
}

TEST(FormatDateTime, ParsesBackToTheSameTime) {
    for (const char* text :
         {"01.11.2021 13:00", "29.02.2024 00:00", "31.12.1999 23:59:59", "01.01.2021 00:00:00.5"}) {
        EXPECT_EQ(FormatDateTime(Date(text)), text);
    }
}

TEST(ParseFlag, PolishEnglishAndDigits) {
    for (const char* yes : {"1", "tak", "TAK", "Yes", "true", "t", "y", " 1 "}) {
        EXPECT_EQ(ParseFlag(yes).value, std::optional<bool>(true)) << yes;
    }
    for (const char* no : {"0", "nie", "Nie", "no", "FALSE", "f", "n"}) {
        EXPECT_EQ(ParseFlag(no).value, std::optional<bool>(false)) << no;
    }
    const Parsed<bool> empty = ParseFlag("");
    EXPECT_TRUE(empty.ok());
    EXPECT_FALSE(empty.value.has_value());
}

TEST(ParseFlag, AnythingElseIsAnError) {
    for (const char* text : {"2", "maybe", "yes please", "-1"}) {
        const Parsed<bool> parsed = ParseFlag(text);
        EXPECT_FALSE(parsed.value.has_value()) << text;
        EXPECT_EQ(parsed.error, "invalid flag \"" + std::string(text) + "\": expected 1 or 0");
    }
}

TEST(TrimBlanks, RemovesSpacesTabsAndNoBreakSpacesAtBothEnds) {
    EXPECT_EQ(TrimBlanks("  x y \t"), "x y");
    EXPECT_EQ(TrimBlanks(std::string(kNoBreakSpace) + "x" + kNarrowNoBreakSpace + " "), "x");
    EXPECT_EQ(TrimBlanks("   "), "");
    EXPECT_EQ(TrimBlanks(""), "");
    EXPECT_EQ(TrimBlanks("ł"), "ł"); // a multi-byte letter is not a blank
}

} // namespace
} // namespace cartwatch
