// Design note: the message is built top-down as one string. Every header goes
// through header_encoding (which sanitises, encodes and folds), and both
// bodies through the quoted-printable encoder, so the output is 7-bit, uses
// CRLF only and respects the 78/998/76 line limits by construction. The one
// exception is a To: address whose local part is beyond ASCII: it has no
// 7-bit form and is written in UTF-8 (RFC 6532), and such a message is only
// sent under SMTPUTF8; the bodies stay 7-bit, so it needs no 8BITMIME. The
// boundary starts with "=_", a sequence quoted-printable output can never
// contain, so it cannot collide with either part.
//
// Hand-assembled rather than built with GMime/vmime: the structure is fixed
// (one multipart/alternative with two parts) and the exact bytes must be
// stable for golden tests and DKIM; see header_encoding.cpp for the rest of
// that reasoning.
#include "mime.hpp"

#include "dkim_signer.hpp"
#include "header_encoding.hpp"
#include "locale_format.hpp"
#include "quoted_printable.hpp"
#include "url.hpp"
#include "utf8.hpp"

#include <algorithm>
#include <random>

namespace cartwatch {
namespace {

constexpr std::size_t kMessageIdTokenLength = 24;
constexpr std::size_t kBoundaryTokenLength = 24;

// A stored Message-ID comes back from the database on retries; it is only
// reused when it still has the exact "<dot-atom@dot-atom>" shape this file
// generates, so a corrupted column cannot inject header text.
bool IsValidMessageId(std::string_view id) {
    if (id.size() < 5 || id.size() > 250 || id.front() != '<' || id.back() != '>') {
        return false;
    }
    const std::string_view inner = id.substr(1, id.size() - 2);
    return IsValidAddress(inner); // same dot-atom "@" dot-atom shape
}

std::string Domain(std::string_view address) {
    return std::string(address.substr(address.rfind('@') + 1));
}

bool IsAlnumToken(const std::string& token, std::size_t length) {
    return token.size() == length && std::all_of(token.begin(), token.end(), [](unsigned char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
           });
}

// Appends a header built by one of the header_encoding functions, passing
// on the first failure.
class HeaderBlock {
public:
    void Add(Result<std::string> field) {
        if (!error_.empty()) {
            return;
        }
        if (!field) {
            error_ = field.error();
            return;
        }
        text_ += *field;
    }
    const std::string& error() const { return error_; }
    const std::string& text() const { return text_; }

private:
    std::string text_;
    std::string error_;
};

// `encoded` is the body's quoted-printable form when the caller has it already.
void AppendPart(std::string& out, const std::string& boundary, std::string_view subtype,
                std::string_view body, const std::optional<std::string>& encoded) {
    out += "--";
    out += boundary;
    out += "\r\nContent-Type: text/";
    out += subtype;
    out += "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
    if (encoded) {
        out += *encoded;
    } else {
        AppendQuotedPrintable(body, out);
    }
    // The CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1);
    // without this one the part would lose its final line break.
    out += "\r\n";
}

} // namespace

RandomTokenSource SystemRandomTokens() {
    return [](std::size_t length) {
        static constexpr char kAlphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        std::random_device device;
        std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
        std::string token(length, 'x');
        for (char& c : token) {
            c = kAlphabet[pick(device)];
        }
        return token;
    };
}

Result<RenderedMessage> AssembleMessage(const MessageParts& parts, const MessageOptions& options) {
    const RandomTokenSource random =
        options.random_tokens ? options.random_tokens : SystemRandomTokens();
    // A sender's local part may be beyond ASCII (RFC 6532), as a recipient's may: such a
    // message goes only under SMTPUTF8, which the transport sees to. Its domain is ASCII, so
    // the Message-ID on it is too.
    if (!IsValidInternationalAddress(parts.from_address)) {
        return Fail("sender address is not a valid plain e-mail address");
    }
    if (!IsSafeHttpsUrl(parts.unsubscribe_url)) {
        return Fail("unsubscribe link is not a plain https URL");
    }
    if (!parts.unsubscribe_mailto.empty() && !IsSafeMailtoUri(parts.unsubscribe_mailto)) {
        return Fail("unsubscribe mailto is not a plain mailto: URI");
    }
    RenderedMessage message;
    message.recipient = parts.to_address;
    if (options.message_id.empty()) {
        const std::string token = random(kMessageIdTokenLength);
        if (!IsAlnumToken(token, kMessageIdTokenLength)) {
            return Fail("random source returned an unusable token");
        }
        message.message_id = "<" + token + "@" + Domain(parts.from_address) + ">";
    } else if (IsValidMessageId(options.message_id)) {
        message.message_id = options.message_id;
    } else {
        return Fail("stored Message-ID is malformed");
    }
    const std::string boundary_token = random(kBoundaryTokenLength);
    if (!IsAlnumToken(boundary_token, kBoundaryTokenLength)) {
        return Fail("random source returned an unusable token");
    }
    const std::string boundary = "=_cw" + boundary_token;

    std::string unsubscribe = "<" + parts.unsubscribe_url + ">";
    if (!parts.unsubscribe_mailto.empty()) {
        unsubscribe += ", <" + parts.unsubscribe_mailto + ">";
    }
    HeaderBlock headers;
    headers.Add(
        FormatStructuredField("Date", FormatRfc5322Date(options.date, options.utc_offset_minutes)));
    headers.Add(FormatMailboxField("From", parts.from_display_name, parts.from_address));
    headers.Add(FormatMailboxField("To", parts.to_display_name, parts.to_address));
    headers.Add(FormatUnstructuredField("Subject", parts.subject));
    headers.Add(FormatStructuredField("Message-ID", message.message_id));
    headers.Add(FormatStructuredField("MIME-Version", "1.0"));
    if (!parts.content_language.empty()) {
        headers.Add(FormatStructuredField("Content-Language", parts.content_language));
    }
    headers.Add(FormatStructuredField("List-Unsubscribe", unsubscribe));
    headers.Add(FormatStructuredField("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"));
    headers.Add(FormatStructuredField("Content-Type",
                                      "multipart/alternative; boundary=\"" + boundary + "\""));
    if (!headers.error().empty()) {
        return Fail(headers.error());
    }

    // No preamble: every MIME reader since the 1990s understands multipart,
    // and an extra text block would only be one more thing to sign.
    std::string bytes;
    const std::size_t html_size = parts.html_body_quoted_printable
                                      ? parts.html_body_quoted_printable->size()
                                      : parts.html_body.size() + parts.html_body.size() / 4;
    bytes.reserve(headers.text().size() + parts.text_body.size() + parts.text_body.size() / 4 +
                  html_size + 512);
    bytes += headers.text();
    bytes += "\r\n";
    AppendPart(bytes, boundary, "plain", parts.text_body, std::nullopt);
    AppendPart(bytes, boundary, "html", parts.html_body, parts.html_body_quoted_printable);
    bytes += "--" + boundary + "--\r\n";

    // Signing comes last and covers the finished bytes; the signature field
    // goes on top, where verifiers expect the most recent signature.
    if (options.dkim != nullptr) {
        Result<std::string> signature = options.dkim->Sign(bytes);
        if (!signature) {
            return Fail("DKIM signing failed: " + signature.error());
        }
        bytes.insert(0, *signature);
    }
    message.bytes = std::move(bytes);
    message.subject = SanitizeSingleLine(parts.subject);
    return message;
}

Result<RenderedMessage> BuildReminder(const TemplateSet& templates, const ReminderMessage& message,
                                      const MessageOptions& options) {
    Result<RenderedContent> content = templates.Render(message);
    if (!content) {
        return Fail(content.error());
    }
    RenderedContent& rendered = content.value();
    MessageParts parts;
    parts.from_display_name = message.shop.from_display_name;
    parts.from_address = message.shop.from_address;
    parts.to_display_name = message.customer_name;
    parts.to_address = message.email;
    parts.subject = rendered.subject;
    parts.content_language = rendered.locale;
    parts.unsubscribe_url = message.unsubscribe_url;
    parts.unsubscribe_mailto = message.unsubscribe_mailto;
    parts.text_body = std::move(rendered.text);
    parts.html_body = std::move(rendered.html);
    parts.html_body_quoted_printable = std::move(rendered.html_quoted_printable);
    Result<RenderedMessage> built = AssembleMessage(parts, options);
    if (!built) {
        return built;
    }
    RenderedMessage result = std::move(built).value();
    result.template_name = std::move(rendered.template_name);
    result.locale = std::move(rendered.locale);
    return result;
}

} // namespace cartwatch
