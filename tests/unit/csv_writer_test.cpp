#include "csv_writer.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

TEST(CsvWriter, PlainFieldsAreWrittenAsTheyAreWithCrlf) {
    CsvWriter csv;
    csv.AddRow({"cart_id", "email"});
    csv.AddRow({"10", "anna@example.pl"});
    EXPECT_EQ(csv.Text(), "cart_id,email\r\n10,anna@example.pl\r\n");
}

TEST(CsvWriter, QuotesFieldsWithDelimiterQuoteOrLineBreak) {
    CsvWriter csv;
    csv.AddRow({"a,b", "say \"hi\"", "two\r\nlines", "lf\nonly"});
    EXPECT_EQ(csv.Text(), "\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\",\"lf\nonly\"\r\n");
}

TEST(CsvWriter, NullIsEmptyAndEmptyStringIsQuoted) {
    CsvWriter csv;
    csv.AddRow({std::nullopt, "", "x"});
    EXPECT_EQ(csv.Text(), ",\"\",x\r\n");
}

TEST(CsvWriter, KeepsSurroundingBlanksByQuoting) {
    CsvWriter csv;
    csv.AddRow({" padded ", "inner space"});
    EXPECT_EQ(csv.Text(), "\" padded \",inner space\r\n");
}

TEST(CsvWriter, OtherDelimiterQuotesItAndNotTheComma) {
    CsvWriter csv(';');
    csv.AddRow({"191,20 zł", "a;b", "Kowalska"});
    EXPECT_EQ(csv.Text(), "191,20 zł;\"a;b\";Kowalska\r\n");
}

TEST(CsvWriter, Utf8PassesThroughUntouched) {
    CsvWriter csv;
    csv.AddRow({"Zażółć gęślą jaźń", "Müller", "🛒"});
    EXPECT_EQ(csv.Text(), "Zażółć gęślą jaźń,Müller,🛒\r\n");
}

TEST(CsvWriter, FormulaLikeFieldsAreQuotedBehindAnApostrophe) {
    CsvWriter csv(';');
    csv.AddRow(
        {"=HYPERLINK(\"http://x.example\",\"x\")", "+48 600", "-2+3", "@SUM(A1)", "\tx", "'=1"});
    EXPECT_EQ(csv.Text(), "\"'=HYPERLINK(\"\"http://x.example\"\",\"\"x\"\")\";\"'+48 600\";"
                          "\"'-2+3\";\"'@SUM(A1)\";\"'\tx\";\"''=1\"\r\n");
}

TEST(CsvWriter, SignedNumbersAndInnerFormulaCharactersAreNoFormula) {
    CsvWriter csv(';');
    csv.AddRow({"-12", "+3,5", "-9223372036854775808", "a=b", "'quoted'", "-"});
    EXPECT_EQ(csv.Text(), "-12;+3,5;-9223372036854775808;a=b;'quoted';\"'-\"\r\n");
}

// The streamed customer export returns Record()s and its text form is each followed by
// kRecordEnd: the two must be the same bytes, line breaks inside quotes included.
TEST(CsvWriter, ARecordFollowedByTheRecordEndIsWhatAddRowWrites) {
    const std::vector<std::vector<CsvField>> rows = {
        {"ID", "Firma", std::nullopt}, {"1", "Kowalska; \"Sklep\"\r\nS.A.", "", std::nullopt}};
    CsvWriter whole(';');
    std::string joined;
    for (const std::vector<CsvField>& row : rows) {
        whole.AddRow(row);
        joined += whole.Record(row);
        joined += CsvWriter::kRecordEnd;
    }
    EXPECT_EQ(joined, whole.Text());
    EXPECT_EQ(whole.Record(rows[1]), "1;\"Kowalska; \"\"Sklep\"\"\r\nS.A.\";\"\";");
    EXPECT_EQ(CsvWriter::kRecordEnd, "\r\n");
}

} // namespace
} // namespace cartwatch
