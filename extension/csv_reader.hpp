// RFC 4180 CSV input, as spreadsheets and shop back offices write it: any one-character
// delimiter (PrestaShop uses ';'), an optional UTF-8 byte order mark, CRLF, LF or CR line ends,
// quoted fields with "" for a quote and line breaks inside quotes, and CsvWriter's ' before a
// quoted formula-like value removed (csv_writer.hpp says why). Pure C++ (no PostgreSQL
// headers): the customer import reads through it and unit tests call it directly.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cartwatch {

struct CsvRecord {
    size_t line = 0; // 1-based line on which the record starts
    // An empty unquoted field is nullopt, a quoted "" is an empty string: the same convention
    // as CsvWriter's, so NULL and '' survive a round trip.
    std::vector<std::optional<std::string>> fields;
};

// The text after a UTF-8 byte order mark, or the whole text when it has none.
std::string_view WithoutByteOrderMark(std::string_view text);

class CsvReader {
public:
    enum class Status { Record, End, Error };

    explicit CsvReader(std::string_view text, char delimiter = ',');

    // Reads the next non-blank record into *record. On Error, *error says why and the reader
    // has skipped to the next line, so reading can go on and report every bad record. An
    // unterminated quote takes the rest of the text with it: its error names the lines lost.
    Status Next(CsvRecord* record, std::string* error);

private:
    bool AtLineEnd() const;
    void SkipLineEnd();
    void SkipRestOfLine();

    std::string_view text_;
    char delimiter_;
    size_t position_ = 0;
    size_t line_ = 1;
};

} // namespace cartwatch
