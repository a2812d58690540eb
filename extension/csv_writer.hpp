// RFC 4180 CSV output. Pure C++ (no PostgreSQL headers): the abandoned-cart export and the
// PrestaShop customer export both write through it, and unit tests call it directly.
//
// Formula injection: a spreadsheet runs a cell that starts with = + - @ (or a tab or CR) as a
// formula, and these files carry what customers typed (names, companies, variants). Such a
// field is written quoted with a ' in front, which spreadsheets take as "text" and do not show.
// CsvReader removes exactly that ', so a round trip through the customer import is lossless:
// a value that itself starts with ' before such a character gets one more ' on the way out.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cartwatch {

using CsvField = std::optional<std::string_view>;

// Whether a spreadsheet would run `value` as a formula, once its leading 's are passed over. A
// signed plain number ("-12", "+3,5") is no formula: ids and amounts stay as they are.
bool StartsLikeFormula(std::string_view value);

class CsvWriter {
public:
    // What ends every record, the last one too (RFC 4180's CRLF). A document is its records,
    // each followed by this; an export streamed record by record leaves it to the writer.
    static constexpr std::string_view kRecordEnd = "\r\n";

    // RFC 4180 uses ',' and CRLF; PrestaShop's export uses ';'.
    explicit CsvWriter(char delimiter = ',') : delimiter_(delimiter) {}

    // Appends one record and kRecordEnd. A NULL field is written empty; an empty string is
    // written as "" so that a reader can tell the two apart.
    void AddRow(const std::vector<CsvField>& fields);

    // One record as AddRow() writes it, without kRecordEnd, for an export returned a record a
    // row. (A quoted field may still hold a line break.)
    std::string Record(const std::vector<CsvField>& fields) const;

    const std::string& Text() const noexcept { return text_; }
    std::string TakeText() noexcept { return std::move(text_); }

private:
    void AppendRecord(const std::vector<CsvField>& fields, std::string* out) const;
    void AppendField(CsvField field, std::string* out) const;

    char delimiter_;
    std::string text_;
};

} // namespace cartwatch
