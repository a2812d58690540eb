// Reminder templates: loaded once from mail_templates/ at start-up, then
// rendered for every reminder without touching the disk.
//
// Layout of the template directory:
//   _layout/<part>.html, _layout/<part>.txt   shared partials, used as
//                                              {{> html_<part>}}, {{> text_<part>}}
//   <locale>/<step>.subject|.txt|.html        one set per language and step
//   <locale>/layout.json                      the layout's words in that language,
//                                              used as {{layout.<key>}}
#ifndef CARTWATCH_TEMPLATE_RENDERER_HPP
#define CARTWATCH_TEMPLATE_RENDERER_HPP

#include "reminder_message.hpp"
#include "result.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cartwatch {

/// Thrown only while loading: a broken template set must stop start-up.
class TemplateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The three renderings of one reminder, before MIME encoding.
struct RenderedContent {
    std::string subject;               // one line, sanitised
    std::string text;                  // plain-text body, LF line ends
    std::string html;                  // HTML body, LF line ends
    std::string html_quoted_printable; // html as the message carries it (RFC 2045 6.7, CRLF)
    std::string locale;                // the language actually used ("en" after a fallback)
    std::string template_name;         // e.g. "pl/second_reminder", stored with the send
};

class TemplateSet {
public:
    /// The language used when a customer's locale has no templates.
    static constexpr std::string_view kFallbackLocale = "en";

    /// Reads and checks every template below `root`. Throws TemplateError
    /// when a file is missing or unreadable, when a template does not parse,
    /// uses a name the renderer does not provide, or an HTML template uses
    /// an unescaped tag ({{{...}}} or {{&...}}).
    explicit TemplateSet(const std::filesystem::path& root);
    ~TemplateSet();
    TemplateSet(TemplateSet&&) noexcept;
    TemplateSet& operator=(TemplateSet&&) noexcept;

    /// Renders subject, text and HTML. Fails (never throws) on data that
    /// cannot be shown: an amount that is not a number, an unsafe link.
    Result<RenderedContent> Render(const ReminderMessage& message) const;

    /// The languages found on disk, sorted.
    std::vector<std::string> Locales() const;

    /// The language the templates will use for `requested`; logs a warning
    /// the first time each unknown language falls back to English.
    std::string ResolveLocale(std::string_view requested) const;

    /// Drops the calling thread's copy of the parsed templates (about 0.8 MB for the shipped
    /// set), for a thread that rendered once and will not again (a check at start-up).
    static void ReleaseThreadCopy();

    /// File names every language must provide (relative to its folder).
    static const std::vector<std::string>& RequiredFiles();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Step name as used in file names: "first_reminder", "second_reminder".
std::string_view StepTemplateName(ReminderStep step);

} // namespace cartwatch

#endif
