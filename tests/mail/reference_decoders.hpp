// Small decoders for what cartwatch encodes, used by unit and fuzz tests to
// prove round trips inside C++. They accept only the exact forms cartwatch
// writes (upper-case hex, "UTF-8" charset); the Python check in
// check_messages.py is the independent, general decoder.
#ifndef CARTWATCH_TESTS_REFERENCE_DECODERS_HPP
#define CARTWATCH_TESTS_REFERENCE_DECODERS_HPP

#include <optional>
#include <string>
#include <string_view>

namespace cartwatch::decoders {

inline int HexDigitValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    return (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

/// Decodes "=?UTF-8?Q?...?=" or "=?UTF-8?B?...?="; nothing when malformed.
inline std::optional<std::string> DecodeEncodedWord(std::string_view word) {
    if (word.size() < 12 || word.substr(0, 8) != "=?UTF-8?" || word[9] != '?' ||
        word.substr(word.size() - 2) != "?=") {
        return std::nullopt;
    }
    const std::string_view text = word.substr(10, word.size() - 12);
    std::string out;
    if (word[8] == 'Q') {
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '_') {
                out.push_back(' ');
            } else if (text[i] == '=') {
                if (i + 2 >= text.size() || HexDigitValue(text[i + 1]) < 0 ||
                    HexDigitValue(text[i + 2]) < 0) {
                    return std::nullopt;
                }
                out.push_back(static_cast<char>(HexDigitValue(text[i + 1]) * 16 +
                                                HexDigitValue(text[i + 2])));
                i += 2;
            } else {
                out.push_back(text[i]);
            }
        }
        return out;
    }
    if (word[8] != 'B') {
        return std::nullopt;
    }
    constexpr std::string_view kDigits =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : text) {
        if (c == '=') {
            break;
        }
        const std::size_t value = kDigits.find(c);
        if (value == std::string_view::npos) {
            return std::nullopt;
        }
        buffer = (buffer << 6) | static_cast<unsigned>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
        }
    }
    return out;
}

/// Decodes a quoted-printable body; hard CRLF breaks become "\n".
inline std::optional<std::string> DecodeQuotedPrintable(std::string_view encoded) {
    std::string out;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (encoded.substr(i, 3) == "=\r\n") {
            i += 2;
        } else if (encoded[i] == '=') {
            if (i + 2 >= encoded.size() || HexDigitValue(encoded[i + 1]) < 0 ||
                HexDigitValue(encoded[i + 2]) < 0) {
                return std::nullopt;
            }
            out.push_back(static_cast<char>(HexDigitValue(encoded[i + 1]) * 16 +
                                            HexDigitValue(encoded[i + 2])));
            i += 2;
        } else if (encoded.substr(i, 2) == "\r\n") {
            out.push_back('\n');
            ++i;
        } else {
            out.push_back(encoded[i]);
        }
    }
    return out;
}

} // namespace cartwatch::decoders

#endif
