// The few URL operations reminders need: building links from opaque tokens
// and refusing links that could break out of a header or an HTML attribute.
#ifndef CARTWATCH_URL_HPP
#define CARTWATCH_URL_HPP

#include <string>
#include <string_view>

namespace cartwatch {

/// Longest link accepted: leaves room for `<...>` on one header line.
inline constexpr std::size_t kMaxUrlLength = 900;

/// Percent-encodes everything except RFC 3986 unreserved characters, so a
/// token can be appended to a path or a query safely.
std::string PercentEncode(std::string_view raw);

/// True for an absolute https URL of printable ASCII with none of the
/// characters that end a header token or an HTML attribute (space, quotes,
/// angle brackets, backslash, ...), at most kMaxUrlLength long.
bool IsSafeHttpsUrl(std::string_view url);

/// Same rules for a `mailto:` URI carrying a valid address.
bool IsSafeMailtoUri(std::string_view uri);

} // namespace cartwatch

#endif
