// Escaping text for HTML: the one function behind the reminders' HTML bodies (as kainjow's
// Mustache escapes) and the daemon's unsubscribe page.
#ifndef CARTWATCH_HTML_ESCAPE_HPP
#define CARTWATCH_HTML_ESCAPE_HPP

#include <string>
#include <string_view>

namespace cartwatch {

/// `text` with & < > " and ' replaced by entities, the apostrophe by `apostrophe` ("&apos;" as
/// kainjow writes it, "&#39;" for HTML 4 readers). Text without any of the five is copied.
std::string EscapeHtml(std::string_view text, std::string_view apostrophe);

} // namespace cartwatch

#endif
