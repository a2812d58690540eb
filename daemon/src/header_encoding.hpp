// Header fields for outgoing reminders: RFC 2047 encoded-words, RFC 5322
// folding, and the address checks that keep database values from ever
// becoming header syntax.
#ifndef CARTWATCH_HEADER_ENCODING_HPP
#define CARTWATCH_HEADER_ENCODING_HPP

#include "result.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cartwatch {

/// Lines are folded to this length when there is whitespace to fold at
/// (RFC 5322 2.1.1 "SHOULD").
inline constexpr std::size_t kFoldedLineLength = 78;
/// No header line may ever be longer (RFC 5322 2.1.1 "MUST").
inline constexpr std::size_t kMaxLineLength = 998;
/// An encoded-word, delimiters included, never exceeds this (RFC 2047 2).
inline constexpr std::size_t kMaxEncodedWordLength = 75;

/// Splits valid UTF-8 into RFC 2047 encoded-words (`=?UTF-8?Q?...?=` or B,
/// whichever is shorter for this text) that each carry whole characters.
/// The first word is at most `first_word_limit` long, the rest at most 75.
/// Q-encoding uses the restricted set allowed inside a phrase, so the words
/// are valid both in Subject and in a display name.
std::vector<std::string> EncodeWords(std::string_view valid_utf8, std::size_t first_word_limit);

/// True for an address this daemon agrees to put in a header or an SMTP
/// envelope: printable ASCII dot-atom local part, `@`, a host name. Quoted
/// local parts, IP literals and internationalised addresses are refused
/// because relays and libcurl handle them inconsistently.
bool IsValidAddress(std::string_view address);

/// IsValidAddress, or the same with a local part beyond ASCII: RFC 6532 section 3.2 counts
/// every non-ASCII character as atext. The local part must be valid UTF-8 without controls or
/// line separators; the domain stays ASCII (its A-labels). Such an address is sent only under
/// SMTPUTF8; cartwatch allows it in To: and From: (a customer's address, smtp.from).
bool IsValidInternationalAddress(std::string_view address);

/// `Name: value` + CRLF for free text such as Subject. The value is
/// sanitised (controls removed, invalid UTF-8 replaced), encoded when it
/// holds anything but plain printable ASCII words, and folded.
Result<std::string> FormatUnstructuredField(std::string_view name, std::string_view value);

/// `Name: display name <address>` + CRLF. An empty display name gives the
/// bare address. Refuses invalid addresses instead of repairing them. An
/// address beyond ASCII (IsValidInternationalAddress) is written as it is,
/// in UTF-8 (RFC 6532); the display name is encoded as always.
Result<std::string> FormatMailboxField(std::string_view name, std::string_view display_name,
                                       std::string_view address);

/// `Name: value` + CRLF for structured values the daemon builds itself
/// (Date, Message-ID, List-Unsubscribe, Content-Type). The value must be
/// printable ASCII; it is folded at its spaces.
Result<std::string> FormatStructuredField(std::string_view name, std::string_view value);

} // namespace cartwatch

#endif
