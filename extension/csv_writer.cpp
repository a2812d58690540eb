#include "csv_writer.hpp"

namespace cartwatch {

bool StartsLikeFormula(std::string_view value) {
    const size_t first = value.find_first_not_of('\'');
    if (first == std::string_view::npos) {
        return false;
    }
    switch (value[first]) {
    case '=':
    case '@':
    case '\t':
    case '\r':
        return true;
    case '+':
    case '-': {
        const std::string_view rest = value.substr(first + 1);
        return rest.empty() || rest.find_first_not_of("0123456789.,") != std::string_view::npos;
    }
    default:
        return false;
    }
}

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
    const bool formula = StartsLikeFormula(value);
    const bool needs_quotes =
        formula || value.empty() ||
        value.find_first_of(std::string{delimiter_, '"', '\r', '\n'}) != std::string_view::npos ||
        value.front() == ' ' || value.back() == ' ';
    if (!needs_quotes) {
        text_.append(value);
        return;
    }
    text_.push_back('"');
    if (formula) {
        text_.push_back('\'');
    }
    for (char c : value) {
        if (c == '"') {
            text_.push_back('"');
        }
        text_.push_back(c);
    }
    text_.push_back('"');
}

} // namespace cartwatch
