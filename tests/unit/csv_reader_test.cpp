#include "csv_reader.hpp"

#include "csv_writer.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace cartwatch {
namespace {

using Fields = std::vector<std::optional<std::string>>;

struct ReadResult {
    std::vector<CsvRecord> records;
    std::vector<std::string> errors; // "line N: why", in reading order
};

// Reads every record of `text`, going on after errors as the customer import does.
ReadResult ReadAll(std::string_view text, char delimiter = ';') {
    CsvReader reader(text, delimiter);
    ReadResult result;
    for (;;) {
        CsvRecord record;
        std::string error;
        const CsvReader::Status status = reader.Next(&record, &error);
        if (status == CsvReader::Status::End) {
            return result;
        }
        if (status == CsvReader::Status::Error) {
            result.errors.push_back("line " + std::to_string(record.line) + ": " + error);
            continue;
        }
        result.records.push_back(record);
    }
}

TEST(CsvReader, ReadsFieldsSeparatedByTheDelimiter) {
    const ReadResult read = ReadAll("ID;Imię;Nazwisko\n1;Anna;Kowalska\n");
    ASSERT_EQ(read.records.size(), 2u);
    EXPECT_EQ(read.records[0].fields, (Fields{"ID", "Imię", "Nazwisko"}));
    EXPECT_EQ(read.records[1].fields, (Fields{"1", "Anna", "Kowalska"}));
    EXPECT_EQ(read.records[1].line, 2u);
    EXPECT_TRUE(read.errors.empty());
}

TEST(CsvReader, CommaIsDataWhenTheDelimiterIsASemicolon) {
    const ReadResult read = ReadAll("191,20 zł;a,b\n");
    ASSERT_EQ(read.records.size(), 1u);
    EXPECT_EQ(read.records[0].fields, (Fields{"191,20 zł", "a,b"}));
}

TEST(CsvReader, SkipsAUtf8ByteOrderMarkAtTheStartOnly) {
    const ReadResult read = ReadAll("\xEF\xBB\xBFID;Firma\n1;\xEF\xBB\xBFX\n");
    ASSERT_EQ(read.records.size(), 2u);
    EXPECT_EQ(read.records[0].fields, (Fields{"ID", "Firma"}));
    EXPECT_EQ(read.records[1].fields, (Fields{"1", "\xEF\xBB\xBFX"}));
}

TEST(CsvReader, AcceptsCrlfLfAndCrLineEnds) {
    for (const char* end : {"\r\n", "\n", "\r"}) {
        const std::string text = std::string("a;b") + end + "c;d" + end + "e;f";
        const ReadResult read = ReadAll(text);
        ASSERT_EQ(read.records.size(), 3u) << "line end " << (end[0] == '\r' ? "CR" : "LF");
        EXPECT_EQ(read.records[1].fields, (Fields{"c", "d"}));
        EXPECT_EQ(read.records[2].fields, (Fields{"e", "f"}));
        EXPECT_EQ(read.records[2].line, 3u);
    }
}

TEST(CsvReader, MixedLineEndsCountLinesAsAnEditorDoes) {
    const ReadResult read = ReadAll("a\r\nb\nc\rd");
    ASSERT_EQ(read.records.size(), 4u);
    for (size_t at = 0; at < read.records.size(); ++at) {
        EXPECT_EQ(read.records[at].line, at + 1);
    }
}

TEST(CsvReader, LastRecordNeedsNoLineEnd) {
    const ReadResult read = ReadAll("a;b\nc;d");
    ASSERT_EQ(read.records.size(), 2u);
    EXPECT_EQ(read.records[1].fields, (Fields{"c", "d"}));
}

TEST(CsvReader, BlankLinesAreSkippedButCounted) {
    const ReadResult read = ReadAll("a\n\n\r\n\nb\n\n");
    ASSERT_EQ(read.records.size(), 2u);
    EXPECT_EQ(read.records[0].line, 1u);
    EXPECT_EQ(read.records[1].line, 5u);
}

TEST(CsvReader, EmptyTextHasNoRecords) {
    EXPECT_TRUE(ReadAll("").records.empty());
    EXPECT_TRUE(ReadAll("\xEF\xBB\xBF").records.empty());
    EXPECT_TRUE(ReadAll("\r\n\n").records.empty());
}

TEST(CsvReader, EmptyUnquotedFieldIsMissingAndQuotedEmptyIsEmpty) {
    const ReadResult read = ReadAll("1;;\"\";x;\n");
    ASSERT_EQ(read.records.size(), 1u);
    EXPECT_EQ(read.records[0].fields,
              (Fields{"1", std::nullopt, std::string(), "x", std::nullopt}));
}

TEST(CsvReader, QuotedFieldsHoldDelimitersQuotesAndLineBreaks) {
    const ReadResult read =
        ReadAll("\"Kowalska; Anna\";\"say \"\"hi\"\"\";\"two\r\nlines\";\"lf\nonly\"\nnext\n");
    ASSERT_EQ(read.records.size(), 2u);
    EXPECT_EQ(read.records[0].fields,
              (Fields{"Kowalska; Anna", "say \"hi\"", "two\r\nlines", "lf\nonly"}));
    // The line breaks inside quotes move the line count on: "next" is on line 4.
    EXPECT_EQ(read.records[1].line, 4u);
}

TEST(CsvReader, QuoteInsideAnUnquotedFieldIsData) {
    const ReadResult read = ReadAll("5\" pipe;O\"Brien\n");
    ASSERT_EQ(read.records.size(), 1u);
    EXPECT_EQ(read.records[0].fields, (Fields{"5\" pipe", "O\"Brien"}));
}

TEST(CsvReader, BlanksAreKeptAsWritten) {
    const ReadResult read = ReadAll(" a ;\" b \"; \"c\"\n");
    ASSERT_EQ(read.records.size(), 1u);
    // A field that starts with a blank is unquoted, so its quotes are data.
    EXPECT_EQ(read.records[0].fields, (Fields{" a ", " b ", " \"c\""}));
}

TEST(CsvReader, TextAfterAClosingQuoteIsAnErrorAndReadingGoesOn) {
    const ReadResult read = ReadAll("1;\"Anna\"x;2\n3;ok\n");
    ASSERT_EQ(read.errors.size(), 1u);
    EXPECT_EQ(read.errors[0], "line 1: unexpected character after a closing quote");
    ASSERT_EQ(read.records.size(), 1u);
    EXPECT_EQ(read.records[0].fields, (Fields{"3", "ok"}));
    EXPECT_EQ(read.records[0].line, 2u);
}

TEST(CsvReader, UnterminatedQuoteNamesEveryLineItSwallowed) {
    const ReadResult read = ReadAll("1;ok\n2;\"open\n3;never\r\n4;read\n\n");
    ASSERT_EQ(read.records.size(), 1u);
    ASSERT_EQ(read.errors.size(), 1u);
    EXPECT_EQ(read.errors[0], "line 2: unterminated quoted field: the quote opened on line 2 is "
                              "never closed, so lines 2-4 were not read");
}

TEST(CsvReader, UnterminatedQuoteOnTheLastLineNamesThatLine) {
    const ReadResult read = ReadAll("1;ok\n2;\"open\n");
    ASSERT_EQ(read.records.size(), 1u);
    ASSERT_EQ(read.errors.size(), 1u);
    EXPECT_EQ(read.errors[0],
              "line 2: unterminated quoted field: the quote opened on line 2 is never closed");
}

TEST(CsvReader, RemovesTheApostropheBeforeAQuotedFormulaOnly) {
    const ReadResult read = ReadAll("\"'=1\";'=1;\"'x\";\"''@x\"\n");
    ASSERT_EQ(read.records.size(), 1u);
    EXPECT_EQ(read.records[0].fields, (Fields{"=1", "'=1", "'x", "'@x"}));
}

TEST(CsvReader, OtherDelimiters) {
    const ReadResult read = ReadAll("a,b\t c\n", ',');
    ASSERT_EQ(read.records.size(), 1u);
    EXPECT_EQ(read.records[0].fields, (Fields{"a", "b\t c"}));
    const ReadResult tabs = ReadAll("a\tb\n", '\t');
    EXPECT_EQ(tabs.records[0].fields, (Fields{"a", "b"}));
}

TEST(CsvReader, ReadsBackWhatCsvWriterWrites) {
    const std::vector<CsvField> row = {"plain",        std::nullopt, "",       "a;b",  "say \"hi\"",
                                       "two\r\nlines", " padded ",   "Zażółć", "=1+1", "'=1+1",
                                       "''@x",         "-2+3",       "\tx",    "'",    "'quoted'",
                                       "-12"};
    CsvWriter writer(';');
    writer.AddRow(row);
    writer.AddRow(row);
    const ReadResult read = ReadAll(writer.Text());
    ASSERT_EQ(read.records.size(), 2u);
    Fields expected;
    for (const CsvField& field : row) {
        expected.push_back(field ? std::optional<std::string>(*field) : std::nullopt);
    }
    EXPECT_EQ(read.records[0].fields, expected);
    EXPECT_EQ(read.records[1].fields, expected);
    EXPECT_EQ(read.records[1].line, 3u); // the first record spans two lines
}

} // namespace
} // namespace cartwatch
