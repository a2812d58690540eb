// Design note: the encoder works one input line at a time. Each byte becomes
// one "atom" (itself, or =XX); atoms are appended while the output line
// has room for them plus a soft-break "=", so an =XX escape is never split.
// Whitespace is written literally except at the very end of a line, where
// RFC 2045 rule 3 requires it to be encoded because transports may strip it.
//
// Hand-written: the packaged MIME libraries (GMime, vmime, mimetic) would
// each bring a whole message model for these few lines, and the exact line
// layout has to be stable for golden files and DKIM body hashes.
#include "quoted_printable.hpp"

namespace cartwatch {
namespace {

constexpr std::size_t kMaxEncodedLine = 76;
constexpr char kHexDigits[] = "0123456789ABCDEF";

std::string Escape(unsigned char c) {
    return {'=', kHexDigits[c >> 4], kHexDigits[c & 0x0F]};
}

bool IsLiteral(unsigned char c) {
    return c >= 33 && c <= 126 && c != '=';
}

// True when the byte at `i` would start an output line that a relay or an
// mbox tool might rewrite.
bool IsExposedAtLineStart(std::string_view line, std::size_t i) {
    return line[i] == '.' || line.substr(i, 5) == "From ";
}

void EncodeLine(std::string_view line, std::string& out) {
    std::string current;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        const bool last = i + 1 == line.size();
        // Spaces and tabs followed by a soft break are fine (rule 3 protects
        // only whitespace that really ends a line).
        const bool literal = IsLiteral(c) || ((c == ' ' || c == '\t') && !last);
        std::string atom = literal ? std::string(1, static_cast<char>(c)) : Escape(c);
        // The final atom of the line needs no room for a soft break after it.
        const std::size_t room = last ? kMaxEncodedLine : kMaxEncodedLine - 1;
        if (current.size() + atom.size() > room) {
            out += current + "=\r\n";
            current.clear();
        }
        if (current.empty() && literal && IsExposedAtLineStart(line, i)) {
            atom = Escape(c);
        }
        current += atom;
    }
    out += current + "\r\n";
}

} // namespace

std::string EncodeQuotedPrintable(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = text.find_first_of("\r\n", start);
        if (end == std::string_view::npos) {
            // A final line without a break still ends in CRLF in the message,
            // but an empty remainder after the last break adds nothing.
            if (start < text.size()) {
                EncodeLine(text.substr(start), out);
            }
            break;
        }
        EncodeLine(text.substr(start, end - start), out);
        start =
            end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
    }
    return out;
}

} // namespace cartwatch
