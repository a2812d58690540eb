#include "csv_reader.hpp"

#include "csv_writer.hpp"

namespace cartwatch {

std::string_view WithoutByteOrderMark(std::string_view text) {
    constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
    if (text.substr(0, kByteOrderMark.size()) == kByteOrderMark) {
        text.remove_prefix(kByteOrderMark.size());
    }
    return text;
}

CsvReader::CsvReader(std::string_view text, char delimiter)
    : text_(text), delimiter_(delimiter),
      position_(text.size() - WithoutByteOrderMark(text).size()) {}

bool CsvReader::AtLineEnd() const {
    return position_ >= text_.size() || text_[position_] == '\r' || text_[position_] == '\n';
}

void CsvReader::SkipLineEnd() {
    if (position_ < text_.size() && text_[position_] == '\r') {
        ++position_;
        if (position_ < text_.size() && text_[position_] == '\n') {
            ++position_;
        }
        ++line_;
    } else if (position_ < text_.size() && text_[position_] == '\n') {
        ++position_;
        ++line_;
    }
}

void CsvReader::SkipRestOfLine() {
    while (!AtLineEnd()) {
        ++position_;
    }
    SkipLineEnd();
}

CsvReader::Status CsvReader::Next(CsvRecord* record, std::string* error) {
    // Blank lines separate nothing in CSV: skip them.
    while (position_ < text_.size() && AtLineEnd()) {
        SkipLineEnd();
    }
    if (position_ >= text_.size()) {
        return Status::End;
    }
    record->line = line_;
    record->fields.clear();
    for (;;) {
        std::string field;
        const bool quoted = position_ < text_.size() && text_[position_] == '"';
        if (quoted) {
            const size_t opened_on = line_;
            size_t last_line_read = line_; // the last line with more than a line break on it
            ++position_;
            for (;;) {
                if (position_ >= text_.size()) {
                    // The quote swallowed every line after it: say which, so that nothing the
                    // file holds vanishes without a word.
                    *error = "unterminated quoted field: the quote opened on line " +
                             std::to_string(opened_on) + " is never closed";
                    if (last_line_read > opened_on) {
                        *error += ", so lines " + std::to_string(opened_on) + "-" +
                                  std::to_string(last_line_read) + " were not read";
                    }
                    return Status::Error;
                }
                const char c = text_[position_++];
                if (c != '\r' && c != '\n') {
                    last_line_read = line_;
                }
                if (c == '"') {
                    if (position_ < text_.size() && text_[position_] == '"') {
                        field.push_back('"');
                        ++position_;
                        continue;
                    }
                    break;
                }
                // A line break inside quotes is data; it still advances the line count, so
                // that later records report the line an editor shows.
                if (c == '\n' ||
                    (c == '\r' && (position_ >= text_.size() || text_[position_] != '\n'))) {
                    ++line_;
                }
                field.push_back(c);
            }
            // The ' that CsvWriter puts before a formula-like value (see csv_writer.hpp).
            if (!field.empty() && field.front() == '\'' &&
                StartsLikeFormula(std::string_view(field).substr(1))) {
                field.erase(0, 1);
            }
            if (!AtLineEnd() && text_[position_] != delimiter_) {
                *error = "unexpected character after a closing quote";
                SkipRestOfLine();
                return Status::Error;
            }
        } else {
            while (!AtLineEnd() && text_[position_] != delimiter_) {
                field.push_back(text_[position_++]);
            }
        }
        if (quoted || !field.empty()) {
            record->fields.emplace_back(std::move(field));
        } else {
            record->fields.emplace_back(std::nullopt);
        }
        if (AtLineEnd()) {
            SkipLineEnd();
            return Status::Record;
        }
        ++position_; // the delimiter
    }
}

} // namespace cartwatch
