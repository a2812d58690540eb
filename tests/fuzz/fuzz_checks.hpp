// Invariants both fuzz targets assert on their output. A violated invariant
// aborts, which libFuzzer reports as a crash together with the input.
#ifndef CARTWATCH_FUZZ_CHECKS_HPP
#define CARTWATCH_FUZZ_CHECKS_HPP

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace cartwatch::fuzz {

inline void Require(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant violated: %s\n", what);
        std::abort();
    }
}

/// Whether every byte of `text` is ASCII.
inline bool AllAscii(std::string_view text) {
    for (const unsigned char c : text) {
        if (c >= 0x80) {
            return false;
        }
    }
    return true;
}

/// 7-bit, CRLF only, no line over 998; header lines over 78 only when they
/// hold a single unbreakable token; body lines at most 76. `utf8_address`:
/// a header may hold bytes beyond ASCII (a To: address in UTF-8, RFC 6532).
inline void RequireLineDiscipline(std::string_view bytes, bool has_body,
                                  bool utf8_address = false) {
    bool in_headers = true;
    std::size_t start = 0;
    while (start < bytes.size()) {
        const std::size_t end = bytes.find("\r\n", start);
        Require(end != std::string_view::npos, "output ends with CRLF");
        const std::string_view line = bytes.substr(start, end - start);
        Require(line.find_first_of("\r\n") == std::string_view::npos, "no bare CR or LF");
        Require(line.size() <= 998, "no line over 998");
        for (const unsigned char c : line) {
            // Quoted-printable may keep a tab literally inside a body line.
            Require((c >= 0x20 && c < 0x7F) || (c == '\t' && !in_headers) ||
                        (c >= 0x80 && in_headers && utf8_address),
                    "printable 7-bit output");
        }
        if (in_headers && line.empty() && has_body) {
            in_headers = false;
        } else if (in_headers) {
            const bool continuation = !line.empty() && line[0] == ' ';
            Require(continuation || line.find(": ") != std::string_view::npos ||
                        (line.size() > 0 && line.back() == ':'),
                    "every header line is a field or a continuation");
            const std::size_t colon = line.find(": ");
            const std::string_view tokens =
                continuation ? line.substr(1)
                             : (colon == std::string_view::npos ? "" : line.substr(colon + 2));
            Require(line.size() <= 78 || tokens.find(' ') == std::string_view::npos,
                    "header lines folded at 78 where possible");
        } else if (line.substr(0, 2) != "--") {
            Require(line.size() <= 76, "body lines at most 76");
        }
        start = end + 2;
    }
}

} // namespace cartwatch::fuzz

#endif
