// Assembles a complete reminder e-mail: RFC 5322 headers, a
// multipart/alternative body (text first, HTML last, quoted-printable),
// RFC 8058 one-click unsubscribe headers and, optionally, a DKIM signature.
// Pure: no I/O, time and randomness come in through MessageOptions.
#ifndef CARTWATCH_MIME_HPP
#define CARTWATCH_MIME_HPP

#include "reminder_message.hpp"
#include "result.hpp"
#include "template_renderer.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace cartwatch {

class DkimSigner;

/// Returns `length` random characters from [A-Za-z0-9].
using RandomTokenSource = std::function<std::string(std::size_t length)>;

/// A RandomTokenSource backed by std::random_device (the kernel's CSPRNG on
/// Linux): Message-IDs must be unguessable so nobody can pre-empt them.
RandomTokenSource SystemRandomTokens();

struct MessageOptions {
    /// The Date header.
    std::chrono::system_clock::time_point date = std::chrono::system_clock::now();
    int utc_offset_minutes = 0;
    /// Reuse the Message-ID stored with an earlier attempt of the same
    /// reminder ("<...@...>"), so receivers can drop a duplicate; empty
    /// generates a new one on the sender's domain.
    std::string message_id;
    /// Source of the Message-ID and MIME boundary; empty uses SystemRandomTokens().
    RandomTokenSource random_tokens;
    /// Signs the message when set; must outlive the call.
    const DkimSigner* dkim = nullptr;
};

/// What the daemon sends and what it stores about the send.
struct RenderedMessage {
    std::string bytes;         // the whole message, CRLF line ends
    std::string message_id;    // "<...@sender-domain>"
    std::string recipient;     // the To address: the envelope recipient
    std::string subject;       // decoded subject, as rendered
    std::string template_name; // e.g. "de/first_reminder"
    std::string locale;        // language actually used
};

/// The headers and bodies of one message, independent of templates.
struct MessageParts {
    std::string from_display_name;
    std::string from_address;
    std::string to_display_name;
    std::string to_address;
    std::string subject;
    std::string content_language;
    std::string unsubscribe_url;    // https, required (RFC 8058)
    std::string unsubscribe_mailto; // optional
    std::string text_body;
    std::string html_body;
    /// html_body already quoted-printable encoded, when the caller has it (the template set
    /// encodes its fixed lines once, at load); it must be the encoding of html_body.
    std::optional<std::string> html_body_quoted_printable;
};

/// Builds the message bytes from already-rendered parts. Fails on an invalid
/// address, an unsafe unsubscribe link or a malformed Message-ID; never
/// lets a value add a header line.
Result<RenderedMessage> AssembleMessage(const MessageParts& parts, const MessageOptions& options);

/// Renders the reminder with `templates` and assembles it.
Result<RenderedMessage> BuildReminder(const TemplateSet& templates, const ReminderMessage& message,
                                      const MessageOptions& options);

} // namespace cartwatch

#endif
