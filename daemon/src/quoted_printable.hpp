// Quoted-printable body encoding (RFC 2045 6.7).
#ifndef CARTWATCH_QUOTED_PRINTABLE_HPP
#define CARTWATCH_QUOTED_PRINTABLE_HPP

#include <string>
#include <string_view>

namespace cartwatch {

/// Encodes a text body. Line breaks in `text` (LF, CRLF or a lone CR) become
/// hard CRLF breaks; everything else is encoded so that the result is 7-bit,
/// every line is at most 76 characters and ends in CRLF, trailing spaces are
/// protected, and a line never starts with "." or "From " (which some relays
/// and mbox tools would alter, breaking a DKIM signature).
std::string EncodeQuotedPrintable(std::string_view text);

/// Appends the encoding of `text` to `out`. Encoding starts afresh at every line break, so
/// where `text` ends in a line feed, appending the encoding of what follows gives the encoding of
/// the two texts joined.
void AppendQuotedPrintable(std::string_view text, std::string& out);

} // namespace cartwatch

#endif
