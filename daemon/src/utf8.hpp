// UTF-8 hygiene for values that come from the database.
//
// Product names, display names and shop settings are typed by people and
// imported by scripts; nothing guarantees they are valid UTF-8 or free of
// control characters. Every value that reaches a header or a body passes
// through here first.
#ifndef CARTWATCH_UTF8_HPP
#define CARTWATCH_UTF8_HPP

#include <cstddef>
#include <string>
#include <string_view>

namespace cartwatch {

/// The replacement character U+FFFD, encoded.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

/// Copies `input`, replacing every ill-formed sequence (stray continuation
/// bytes, overlong forms, surrogates, values above U+10FFFF, truncated
/// sequences) with U+FFFD, one per maximal ill-formed subpart.
std::string ReplaceInvalidUtf8(std::string_view input);

/// True when `input` is well-formed UTF-8.
bool IsValidUtf8(std::string_view input);

/// Makes a value safe for a single line of a header or a body: invalid UTF-8
/// becomes U+FFFD, CR, LF, TAB and the Unicode line/paragraph separators
/// become a space, every other C0/C1 control and DEL is dropped, and runs of
/// spaces collapse into one; leading and trailing spaces are trimmed.
std::string SanitizeSingleLine(std::string_view input);

/// Whether `text` is printable ASCII words one space apart, without a leading or trailing
/// space: what SanitizeSingleLine leaves as it is (the empty text included).
bool IsPlainAsciiLine(std::string_view text);

/// Number of bytes in the sequence that starts with `lead`, for text already
/// known to be valid UTF-8 (1 for ASCII and for anything unexpected).
std::size_t Utf8SequenceLength(unsigned char lead);

/// Cuts `valid_utf8` to at most `max_code_points` characters, never inside one.
std::string TruncateUtf8(std::string_view valid_utf8, std::size_t max_code_points);

} // namespace cartwatch

#endif
