// Design note: decoding follows the Unicode "maximal subpart" practice (also
// what browsers and Python's errors="replace" do): a lead byte is accepted
// only if the following bytes can still complete a valid scalar value; the
// moment they cannot, the bytes read so far become one U+FFFD and decoding
// resumes at the offending byte. The second-byte ranges below are the table
// from the Unicode standard (ch. 3, "Well-Formed UTF-8 Byte Sequences"),
// which excludes overlong forms and surrogates without decoding first.
// Hand-written because no packaged C++ library gives this exact policy
// without pulling in ICU for a few dozen lines.
#include "utf8.hpp"

#include <algorithm>

namespace cartwatch {
namespace {

struct Decoded {
    std::size_t length; // bytes consumed; 0 never happens
    bool valid;
    char32_t code_point;
};

bool IsContinuation(unsigned char byte) {
    return (byte & 0xC0) == 0x80;
}

Decoded DecodeOne(std::string_view input, std::size_t pos) {
    const auto lead = static_cast<unsigned char>(input[pos]);
    if (lead < 0x80) {
        return {1, true, lead};
    }
    std::size_t needed = 0;
    unsigned char second_min = 0x80;
    unsigned char second_max = 0xBF;
    char32_t value = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        needed = 1;
        value = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        needed = 2;
        value = lead & 0x0F;
        if (lead == 0xE0) {
            second_min = 0xA0; // below is an overlong form
        } else if (lead == 0xED) {
            second_max = 0x9F; // above is a UTF-16 surrogate
        }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        needed = 3;
        value = lead & 0x07;
        if (lead == 0xF0) {
            second_min = 0x90;
        } else if (lead == 0xF4) {
            second_max = 0x8F; // above is past U+10FFFF
        }
    } else {
        return {1, false, 0};
    }
    std::size_t consumed = 1;
    for (std::size_t i = 0; i < needed; ++i) {
        if (pos + consumed >= input.size()) {
            return {consumed, false, 0};
        }
        const auto byte = static_cast<unsigned char>(input[pos + consumed]);
        const bool in_range =
            (i == 0) ? (byte >= second_min && byte <= second_max) : IsContinuation(byte);
        if (!in_range) {
            return {consumed, false, 0};
        }
        value = (value << 6) | (byte & 0x3F);
        ++consumed;
    }
    return {consumed, true, value};
}

// Anything a mail client or terminal might render as a line break: besides
// CR and LF, vertical tab, form feed, NEL and the Unicode separators, which
// could otherwise fake a new line inside a subject or a product name.
bool IsLineBreakLike(char32_t c) {
    return c == '\r' || c == '\n' || c == '\t' || c == 0x0B || c == 0x0C || c == 0x85 ||
           c == 0x2028 || c == 0x2029;
}

// C0 and C1 controls (escape sequences, NUL, bell) have no printable form;
// dropping them loses nothing a customer could have meant.
bool IsDroppedControl(char32_t c) {
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F);
}

} // namespace

std::string ReplaceInvalidUtf8(std::string_view input) {
    std::string out;
    out.reserve(input.size());
    std::size_t pos = 0;
    while (pos < input.size()) {
        const Decoded d = DecodeOne(input, pos);
        if (d.valid) {
            out.append(input.substr(pos, d.length));
        } else {
            out.append(kReplacementCharacter);
        }
        pos += d.length;
    }
    return out;
}

bool IsValidUtf8(std::string_view input) {
    std::size_t pos = 0;
    while (pos < input.size()) {
        const Decoded d = DecodeOne(input, pos);
        if (!d.valid) {
            return false;
        }
        pos += d.length;
    }
    return true;
}

bool IsPlainAsciiLine(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return c >= 0x20 && c <= 0x7E; }) &&
           text.find("  ") == std::string_view::npos &&
           (text.empty() || (text.front() != ' ' && text.back() != ' '));
}

std::string SanitizeSingleLine(std::string_view input) {
    // The common case is already what this makes.
    if (IsPlainAsciiLine(input)) {
        return std::string(input);
    }
    std::string out;
    out.reserve(input.size());
    std::size_t pos = 0;
    // Starts true so that leading spaces are never emitted.
    bool last_was_space = true;
    while (pos < input.size()) {
        const Decoded d = DecodeOne(input, pos);
        if (!d.valid) {
            out.append(kReplacementCharacter);
            last_was_space = false;
        } else if (IsLineBreakLike(d.code_point) || d.code_point == ' ') {
            if (!last_was_space) {
                out.push_back(' ');
                last_was_space = true;
            }
        } else if (!IsDroppedControl(d.code_point)) {
            out.append(input.substr(pos, d.length));
            last_was_space = false;
        }
        pos += d.length;
    }
    if (!out.empty() && out.back() == ' ') {
        out.pop_back();
    }
    return out;
}

std::size_t Utf8SequenceLength(unsigned char lead) {
    if (lead >= 0xF0 && lead <= 0xF4) {
        return 4;
    }
    if (lead >= 0xE0 && lead <= 0xEF) {
        return 3;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        return 2;
    }
    return 1;
}

std::string TruncateUtf8(std::string_view valid_utf8, std::size_t max_code_points) {
    std::size_t pos = 0;
    std::size_t count = 0;
    while (pos < valid_utf8.size() && count < max_code_points) {
        pos += Utf8SequenceLength(static_cast<unsigned char>(valid_utf8[pos]));
        ++count;
    }
    return std::string(valid_utf8.substr(0, pos));
}

} // namespace cartwatch
