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
    AppendRecord(fields, &text_);
    text_.append(kRecordEnd);
}

std::string CsvWriter::Record(const std::vector<CsvField>& fields) const {
    std::string record;
    AppendRecord(fields, &record);
    return record;
}

void CsvWriter::AppendRecord(const std::vector<CsvField>& fields, std::string* out) const {
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) {
            out->push_back(delimiter_);
        }
        AppendField(fields[i], out);
    }
}

void CsvWriter::AppendField(CsvField field, std::string* out) const {
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
        out->append(value);
        return;
    }
    out->push_back('"');
    if (formula) {
        out->push_back('\'');
    }
    for (char c : value) {
        if (c == '"') {
            out->push_back('"');
        }
        out->push_back(c);
    }
    out->push_back('"');
}

} // namespace cartwatch
