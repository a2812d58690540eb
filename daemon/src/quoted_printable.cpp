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

#include <algorithm>
#include <array>
#include <cstring>

namespace cartwatch {
namespace {

constexpr std::size_t kMaxEncodedLine = 76;
constexpr char kHexDigits[] = "0123456789ABCDEF";

constexpr bool IsLiteral(unsigned char c) {
    return c >= 33 && c <= 126 && c != '=';
}

// The bytes written as themselves anywhere but at the end of a line, as a table: the bulk
// copy below asks for every byte of every body.
constexpr std::array<bool, 256> kPlainInsideLine = [] {
    std::array<bool, 256> plain{};
    for (int c = 0; c < 256; ++c) {
        plain[c] = IsLiteral(static_cast<unsigned char>(c)) || c == ' ' || c == '\t';
    }
    return plain;
}();

// True when the byte at `i` would start an output line that a relay or an
// mbox tool might rewrite.
bool IsExposedAtLineStart(std::string_view line, std::size_t i) {
    return line[i] == '.' || line.substr(i, 5) == "From ";
}

// Appends straight to the output, a byte or an =XX at a time, counting the
// length of the output line: a body is encoded for every message sent, so
// no byte gets a string of its own.
void EncodeLine(std::string_view line, std::string& out) {
    std::size_t current = 0; // characters on the output line so far
    for (std::size_t i = 0; i < line.size(); ++i) {
        // The common case in bulk: a run of bytes that stay as they are, none of them the
        // line's last (whose whitespace must be encoded) and all fitting before a soft break,
        // exactly as the byte-by-byte rules below would write them.
        if (current != 0 || !IsExposedAtLineStart(line, i)) {
            const std::size_t fit =
                current < kMaxEncodedLine - 1 ? kMaxEncodedLine - 1 - current : 0;
            const std::size_t limit = std::min(line.size() - 1, i + fit);
            std::size_t run = i;
            while (run < limit && kPlainInsideLine[static_cast<unsigned char>(line[run])]) {
                ++run;
            }
            if (run > i) {
                out.append(line.data() + i, run - i);
                current += run - i;
                i = run - 1;
                continue;
            }
        }
        const auto c = static_cast<unsigned char>(line[i]);
        const bool last = i + 1 == line.size();
        // Spaces and tabs followed by a soft break are fine (rule 3 protects
        // only whitespace that really ends a line).
        const bool literal = IsLiteral(c) || ((c == ' ' || c == '\t') && !last);
        // The final atom of the line needs no room for a soft break after it.
        const std::size_t room = last ? kMaxEncodedLine : kMaxEncodedLine - 1;
        if (current + (literal ? 1 : 3) > room) {
            out += "=\r\n";
            current = 0;
        }
        if (literal && !(current == 0 && IsExposedAtLineStart(line, i))) {
            out.push_back(static_cast<char>(c));
            current += 1;
        } else {
            out.push_back('=');
            out.push_back(kHexDigits[c >> 4]);
            out.push_back(kHexDigits[c & 0x0F]);
            current += 3;
        }
    }
    out += "\r\n";
}

// The position of the next CR or LF at or after `from`, or npos: the next LF, unless a CR
// comes before it (memchr scans far faster than a loop over both).
std::size_t FindLineBreak(std::string_view text, std::size_t from) {
    const char* begin = text.data() + from;
    const std::size_t left = text.size() - from;
    const auto* lf = static_cast<const char*>(std::memchr(begin, '\n', left));
    const std::size_t before_lf = lf ? static_cast<std::size_t>(lf - begin) : left;
    const auto* cr = static_cast<const char*>(std::memchr(begin, '\r', before_lf));
    if (cr) {
        return from + static_cast<std::size_t>(cr - begin);
    }
    return lf ? from + before_lf : std::string_view::npos;
}

} // namespace

std::string EncodeQuotedPrintable(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    AppendQuotedPrintable(text, out);
    return out;
}

void AppendQuotedPrintable(std::string_view text, std::string& out) {
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = FindLineBreak(text, start);
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
}

} // namespace cartwatch
