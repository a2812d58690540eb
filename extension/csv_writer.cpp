#include "csv_writer.hpp"

namespace cartwatch {

void CsvWriter::AddRow(const std::vector<CsvField>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) {
            text_.push_back(delimiter_);
        }
        AddField(fields[i]);
    }
    text_.append("\r\n");
}

void CsvWriter::AddField(CsvField field) {
    if (!field) {
        return;
    }
    const std::string_view value = *field;
    const bool needs_quotes =
        value.empty() ||
        value.find_first_of(std::string{delimiter_, '"', '\r', '\n'}) != std::string_view::npos ||
        value.front() == ' ' || value.back() == ' ';
    if (!needs_quotes) {
        text_.append(value);
        return;
    }
    text_.push_back('"');
    for (char c : value) {
        if (c == '"') {
            text_.push_back('"');
        }
        text_.push_back(c);
    }
    text_.push_back('"');
}

} // namespace cartwatch
