// RFC 4180 CSV output. Pure C++ (no PostgreSQL headers): the abandoned-cart export and the
// PrestaShop customer export both write through it, and unit tests call it directly.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cartwatch {

using CsvField = std::optional<std::string_view>;

class CsvWriter {
public:
    // RFC 4180 uses ',' and CRLF; PrestaShop's export uses ';'.
    explicit CsvWriter(char delimiter = ',') : delimiter_(delimiter) {}

    // Appends one record. A NULL field is written empty; an empty string is written as "" so
    // that a reader can tell the two apart.
    void AddRow(const std::vector<CsvField>& fields);

    const std::string& Text() const noexcept { return text_; }
    std::string TakeText() noexcept { return std::move(text_); }

private:
    void AddField(CsvField field);

    char delimiter_;
    std::string text_;
};

} // namespace cartwatch
