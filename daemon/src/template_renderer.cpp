// Design note. Mustache (kainjow/mustache.hpp) does the rendering; this file
// adds what Mustache leaves out for e-mail:
//  - a load-time check of every tag against the names the renderer provides,
//    because Mustache silently renders an unknown name as "" and a typo in
//    one translation would otherwise ship an e-mail with a hole in it;
//  - escaping per output: HTML escaping in .html files (and a ban on the
//    unescaped {{{ }}} / {{& }} forms there), none in .subject and .txt;
//  - formatting of money and dates per language before values reach a
//    template, so translators never deal with numbers;
//  - the fallback to English, logged once per unknown locale.
//
// Parsed once, rendered many times. Parsing is what costs (a few kilobytes of
// template take kainjow about 0.25 ms, rendering the parsed tree a tenth of
// that), so the set parses every template at load, with the shared partials
// pasted in where their tags stand: kainjow would otherwise parse a partial's
// text again each time it meets the tag. Pasting renders the same bytes,
// since kainjow gives a partial no indentation or standalone-line treatment
// of its own and delimiter changes are refused. The lines that render alike for every
// reminder of a language (its layout words, no section, no value of the reminder) are then
// rendered once, at load, and quoted-printable encoded with it; those that also name the
// shop's name or address, once per shop by each thread; the runs of lines between keep a
// parsed template each (see template_source.cpp for why the runs join into the same bytes).
// For the shipped set that leaves about a third of each HTML body. kainjow's render() is not
// const (it records errors in the template object), so each thread renders
// with its own copy of the parsed set, made on its first render with this
// set; the set itself never changes after load, and a reload builds a new one.
#include "template_renderer.hpp"

#include "file_reading.hpp"
#include "html_escape.hpp"
#include "locale_format.hpp"
#include "polish_vocative.hpp"
#include "quoted_printable.hpp"
#include "template_source.hpp"
#include "url.hpp"
#include "utf8.hpp"

#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <set>

namespace cartwatch {
namespace {

namespace fs = std::filesystem;
using kainjow::mustache::data;
using kainjow::mustache::mustache;

constexpr std::string_view kLayoutDirectory = "_layout";
constexpr std::string_view kLayoutWordsFile = "layout.json";
constexpr std::string_view kLayoutWordsPrefix = "layout.";
// What {{layout.<key>}} becomes in the parsed templates: a plain name, which kainjow looks up
// directly, where a dotted one is split (through a stringstream) at every lookup. No template
// can use the colon form itself: the load-time check knows no such name.
constexpr std::string_view kFlatLayoutWordsPrefix = "layout:";

// Every name a template may use; see BuildView for where each comes from.
const std::set<std::string, std::less<>> kViewNames{
    "shop_name",
    "shop_address",
    "customer_name",
    "items",
    "name",
    "quantity",
    "unit_price",
    "line_total",
    "total",
    "recovery_url",
    "unsubscribe_url",
    "voucher",
    "code",
    "value",
    "expiry",
    "subject",
    "locale",
    "first_name",
    "first_name_vocative",
};

std::string ReadFile(const fs::path& path) {
    std::optional<std::string> content = ReadWholeFile(path);
    if (!content) {
        throw TemplateError("cannot read template file " + path.string());
    }
    return std::move(*content);
}

struct LocaleFiles {
    std::map<std::string, std::string> files; // "first_reminder.html" -> source
    std::map<std::string, std::string> layout_words;
};

std::map<std::string, std::string> LoadLayoutWords(const fs::path& file) {
    nlohmann::json words;
    try {
        words = nlohmann::json::parse(ReadFile(file));
    } catch (const nlohmann::json::exception& error) {
        throw TemplateError(file.string() + ": " + error.what());
    }
    if (!words.is_object()) {
        throw TemplateError(file.string() + ": expected an object of strings");
    }
    std::map<std::string, std::string> result;
    for (const auto& [key, value] : words.items()) {
        if (!value.is_string()) {
            throw TemplateError(file.string() + ": \"" + key + "\" is not a string");
        }
        result.emplace(key, value.get<std::string>());
    }
    return result;
}

std::string PartialName(const fs::path& file) {
    const std::string extension = file.extension().string();
    if (extension == ".html") {
        return "html_" + file.stem().string();
    }
    if (extension == ".txt") {
        return "text_" + file.stem().string();
    }
    throw TemplateError(file.string() + ": layout partials are .html or .txt files");
}

bool IsHtmlFile(std::string_view name) {
    return name.size() >= 5 && name.substr(name.size() - 5) == ".html";
}

std::string Identity(const std::string& text) {
    return text;
}

// Escapes as kainjow's html_escape does (the same five entities), which appends byte by byte to a
// string reserved at twice the value's size: escaping runs for every value of every HTML body, and
// most values hold none of the five characters.
std::string EscapeHtmlAsKainjow(const std::string& text) {
    return EscapeHtml(text, "&apos;");
}

// Mustache keeps the line break after a partial tag as well as the one the
// partial ends with, and an empty section leaves its blank line behind. In a
// plain-text mail that shows as stray gaps, so at most one empty line is
// kept in a row and the body ends with exactly one line break.
std::string TidyPlainText(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    std::size_t newlines = 0;
    for (const char c : text) {
        newlines = c == '\n' ? newlines + 1 : 0;
        if (newlines <= 2) {
            out.push_back(c);
        }
    }
    while (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out + "\n";
}

// The template's source with every {{layout.<key>}} name in its flat form.
std::string FlattenLayoutNames(const std::string& source, const std::string& where) {
    std::string out = source;
    for (const Tag& tag : ScanTags(source, where)) {
        if (tag.kind != '!' && tag.kind != '>' && tag.name.rfind(kLayoutWordsPrefix, 0) == 0) {
            const std::size_t name = out.find(kLayoutWordsPrefix, tag.begin);
            out.replace(name, kLayoutWordsPrefix.size(), kFlatLayoutWordsPrefix);
        }
    }
    return out;
}

// Where kainjow's stream form of render() writes: straight into a string. (Its string form
// builds an ostringstream, and a locale with it, for every render.)
struct StringSink {
    std::string& out;
    StringSink& operator<<(const std::string& piece) {
        out += piece;
        return *this;
    }
};

// The names whose values are the same in every reminder of a language: its layout words and
// the language itself. A run of lines naming no others renders once, at load.
bool IsFixedForTheLanguage(const std::string& name) {
    return name == "locale" || name.rfind(kFlatLayoutWordsPrefix, 0) == 0;
}

// The names whose values are the same in every reminder of one shop: its name and address,
// from the daemon's configuration. A run of lines naming no others is rendered once per shop.
bool IsFixedForTheShop(const std::string& name) {
    return IsFixedForTheLanguage(name) || name == "shop_name" || name == "shop_address";
}

// How often a piece of a template is rendered.
enum class PieceScope {
    kLanguage, // once, at load
    kShop,     // by each thread, once per shop (the first time, and after the shop changes)
    kReminder, // for every reminder
};

// One run of a template's lines (see SplitIntoLineRuns), with the text it renders to and that
// text's quoted-printable form where those are the same for many reminders.
struct TemplatePiece {
    PieceScope scope = PieceScope::kReminder;
    std::optional<mustache> tmpl; // a kShop or kReminder piece's
    std::string text;
    std::string quoted_printable;
    std::uint64_t rendered_for_shop = 0; // kShop: the thread's shop_generation of `text`
};

// A template as the set renders it: its runs of lines, in order.
using PiecedTemplate = std::vector<TemplatePiece>;

// Cuts a flattened template (partials pasted in) into pieces, the runs of lines that name only
// the shop's values, then within those the runs that name only the language's, and renders
// the latter with the language's values. Every run is whole lines, so its text parses as a
// template alone.
PiecedTemplate ParsePieces(const std::string& source, const std::string& where, bool html,
                           const data& language_view, const data& layout_words) {
    PiecedTemplate pieces;
    const auto add_piece = [&](const std::string& text, PieceScope scope) {
        TemplatePiece piece;
        piece.scope = scope;
        mustache tmpl(text);
        if (!tmpl.is_valid()) {
            throw TemplateError(where + " with its partials: " + tmpl.error_message());
        }
        tmpl.set_custom_escape(html ? EscapeHtmlAsKainjow : Identity);
        if (scope == PieceScope::kLanguage) {
            kainjow::mustache::context<std::string> names(&layout_words);
            names.push(&language_view);
            StringSink sink{piece.text};
            tmpl.render(names, sink);
            if (!tmpl.is_valid()) {
                throw TemplateError(where + ": " + tmpl.error_message());
            }
            piece.quoted_printable = EncodeQuotedPrintable(piece.text);
        } else {
            piece.tmpl = std::move(tmpl);
        }
        pieces.push_back(std::move(piece));
    };
    for (const LineRun& run :
         SplitIntoLineRuns(source, ScanTags(source, where), IsFixedForTheShop)) {
        const std::string text = source.substr(run.begin, run.end - run.begin);
        if (!run.fixed) {
            add_piece(text, PieceScope::kReminder);
            continue;
        }
        for (const LineRun& part :
             SplitIntoLineRuns(text, ScanTags(text, where), IsFixedForTheLanguage)) {
            add_piece(text.substr(part.begin, part.end - part.begin),
                      part.fixed ? PieceScope::kLanguage : PieceScope::kShop);
        }
    }
    return pieces;
}

// Renders a pieced template against the reminder's view, which stands on the language's layout
// words (shared, never copied), into `out`; kainjow reports section errors through is_valid()
// after rendering. A kShop piece is rendered again when this thread's shop_generation moved on.
// With `quoted_printable`, also encodes the output: quoted-printable starts afresh at every
// line break, so where each piece starts a line of the output (the output so far is empty or
// ends in a line feed) the encodings of the pieces, the shared ones made once, join into the
// encoding of the whole. Where one does not, the whole is encoded. Returns the error, if any.
std::optional<std::string> RenderPieces(PiecedTemplate& pieces, const data& view,
                                        const data& layout_words, std::uint64_t shop_generation,
                                        std::string& out, std::string* quoted_printable) {
    kainjow::mustache::context<std::string> names(&layout_words);
    names.push(&view);
    bool pieces_join = true;
    for (TemplatePiece& piece : pieces) {
        pieces_join = pieces_join && (out.empty() || out.back() == '\n');
        if (piece.scope == PieceScope::kShop && piece.rendered_for_shop != shop_generation) {
            piece.text.clear();
            StringSink sink{piece.text};
            piece.tmpl->render(names, sink);
            if (!piece.tmpl->is_valid()) {
                return "template error: " + piece.tmpl->error_message();
            }
            piece.quoted_printable = EncodeQuotedPrintable(piece.text);
            piece.rendered_for_shop = shop_generation;
        }
        if (piece.scope != PieceScope::kReminder) {
            out += piece.text;
            if (quoted_printable != nullptr && pieces_join) {
                *quoted_printable += piece.quoted_printable;
            }
            continue;
        }
        const std::size_t start = out.size();
        StringSink sink{out};
        piece.tmpl->render(names, sink);
        if (!piece.tmpl->is_valid()) {
            return "template error: " + piece.tmpl->error_message();
        }
        if (quoted_printable != nullptr && pieces_join) {
            AppendQuotedPrintable(std::string_view(out).substr(start), *quoted_printable);
        }
    }
    if (quoted_printable != nullptr && !pieces_join) {
        *quoted_printable = EncodeQuotedPrintable(out);
    }
    return std::nullopt;
}

// The parsed templates of one language and step.
struct StepTemplates {
    PiecedTemplate subject;
    PiecedTemplate text;
    PiecedTemplate html;
};

// Everything a thread renders with: copied whole, so each thread has its own.
struct ParsedTemplates {
    std::map<std::string, std::map<std::string, StepTemplates>> steps; // language -> step
    // The shop this thread's kShop pieces were rendered for, and a count of the shops seen
    // (0: none yet); the configuration can name another shop at any reload.
    std::string shop_name;
    std::string shop_address;
    std::uint64_t shop_generation = 0;
};

// Ids of template sets, so that a thread can tell its copy is of an
// older set (an address could be reused after a reload, an id is not).
std::atomic<std::uint64_t> next_set_id{1};

} // namespace

struct TemplateSet::Impl {
    std::uint64_t id = next_set_id++;
    std::map<std::string, std::string> partials;
    std::map<std::string, LocaleFiles> locales;
    std::map<std::string, data> layout_words; // language -> {{layout.*}} values, flat names
    ParsedTemplates parsed;
    mutable std::mutex warned_mutex;
    mutable std::set<std::string, std::less<>> warned_locales;

    void CheckTemplate(const std::string& source, const std::string& where, bool html,
                       const LocaleFiles* locale) const;
    void Parse();
    ParsedTemplates& ForThisThread() const;
    Result<data> BuildView(const ReminderMessage& message, const std::string& language) const;
};

const std::vector<std::string>& TemplateSet::RequiredFiles() {
    static const std::vector<std::string> kFiles{
        "first_reminder.subject",      "first_reminder.txt",  "first_reminder.html",
        "second_reminder.subject",     "second_reminder.txt", "second_reminder.html",
        std::string(kLayoutWordsFile),
    };
    return kFiles;
}

std::string_view StepTemplateName(ReminderStep step) {
    return step == ReminderStep::kSecond ? "second_reminder" : "first_reminder";
}

void TemplateSet::Impl::CheckTemplate(const std::string& source, const std::string& where,
                                      bool html, const LocaleFiles* locale) const {
    if (!IsValidUtf8(source)) {
        throw TemplateError(where + ": not valid UTF-8");
    }
    const mustache parsed(source);
    if (!parsed.is_valid()) {
        throw TemplateError(where + ": " + WithLineAndColumn(parsed.error_message(), source));
    }
    for (const Tag& tag : ScanTags(source, where)) {
        if (tag.kind == '!') {
            continue;
        }
        if (html && (tag.kind == '&' || tag.kind == '{')) {
            throw TemplateError(where + ": unescaped tag {{" + std::string(1, tag.kind) + tag.name +
                                "}} in HTML");
        }
        if (tag.kind == '>') {
            if (partials.count(tag.name) == 0) {
                throw TemplateError(where + ": unknown partial " + tag.name);
            }
            continue;
        }
        if (tag.name.rfind(kLayoutWordsPrefix, 0) == 0) {
            // Partials are shared, so they are checked against English words;
            // every language must have the same keys (checked at load).
            const std::string key = tag.name.substr(kLayoutWordsPrefix.size());
            const LocaleFiles& words = locale ? *locale : locales.at(std::string(kFallbackLocale));
            if (words.layout_words.count(key) == 0) {
                throw TemplateError(where + ": unknown layout word " + tag.name);
            }
            continue;
        }
        const std::string bare = tag.name.rfind("voucher.", 0) == 0 ? tag.name.substr(8) : tag.name;
        if (kViewNames.count(bare) == 0) {
            throw TemplateError(where + ": unknown name {{" + tag.name + "}}");
        }
    }
}

TemplateSet::TemplateSet(const std::filesystem::path& root) : impl_(std::make_unique<Impl>()) {
    if (!fs::is_directory(root)) {
        throw TemplateError("template directory " + root.string() + " does not exist");
    }
    const fs::path layout_dir = root / kLayoutDirectory;
    if (!fs::is_directory(layout_dir)) {
        throw TemplateError("missing shared layout folder " + layout_dir.string());
    }
    for (const auto& entry : fs::directory_iterator(layout_dir)) {
        if (entry.is_regular_file()) {
            impl_->partials.emplace(PartialName(entry.path()), ReadFile(entry.path()));
        }
    }
    for (const auto& entry : fs::directory_iterator(root)) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_directory() || name == kLayoutDirectory) {
            continue;
        }
        if (NormalizeLocale(name) != name) {
            throw TemplateError("template folder " + name + " is not a language code");
        }
        LocaleFiles files;
        for (const std::string& file : RequiredFiles()) {
            const fs::path path = entry.path() / file;
            if (!fs::is_regular_file(path)) {
                throw TemplateError("missing template " + path.string());
            }
            if (file == kLayoutWordsFile) {
                files.layout_words = LoadLayoutWords(path);
            } else {
                files.files.emplace(file, ReadFile(path));
            }
        }
        impl_->locales.emplace(name, std::move(files));
    }
    const auto fallback = impl_->locales.find(std::string(kFallbackLocale));
    if (fallback == impl_->locales.end()) {
        throw TemplateError("the fallback language en has no templates in " + root.string());
    }
    for (const auto& [language, files] : impl_->locales) {
        for (const auto& [key, _] : fallback->second.layout_words) {
            if (files.layout_words.count(key) == 0) {
                throw TemplateError(language + "/layout.json lacks \"" + key + "\"");
            }
        }
        for (const auto& [file, source] : files.files) {
            impl_->CheckTemplate(source, language + "/" + file, IsHtmlFile(file), &files);
        }
    }
    for (const auto& [name, source] : impl_->partials) {
        impl_->CheckTemplate(source, "_layout partial " + name, name.rfind("html_", 0) == 0,
                             nullptr);
    }
    impl_->Parse();
}

// Pastes the partials in and parses every template once; the checks above
// passed, so a failure here can only come from how the pieces fit together.
void TemplateSet::Impl::Parse() {
    for (const auto& entry : locales) {
        // Named copies: a lambda cannot capture structured bindings in C++17.
        const std::string& language = entry.first;
        const LocaleFiles& files = entry.second;
        data words;
        for (const auto& [key, text] : files.layout_words) {
            words.set(std::string(kFlatLayoutWordsPrefix) + key, text);
        }
        layout_words.emplace(language, std::move(words));
        data language_view;
        language_view.set("locale", language);
        for (const ReminderStep step : {ReminderStep::kFirst, ReminderStep::kSecond}) {
            const std::string name(StepTemplateName(step));
            const auto parse = [&](const std::string& extension) {
                const std::string where = language + "/" + name + extension;
                std::vector<std::string> including;
                const std::string source = FlattenLayoutNames(
                    InlinePartials(files.files.at(name + extension), where, partials, including),
                    where);
                const mustache whole(source);
                if (!whole.is_valid()) {
                    throw TemplateError(where + " with its partials: " + whole.error_message());
                }
                return ParsePieces(source, where, extension == ".html", language_view,
                                   layout_words.at(language));
            };
            parsed.steps[language].emplace(
                name, StepTemplates{parse(".subject"), parse(".txt"), parse(".html")});
        }
    }
}

// This thread's copy of the parsed templates, made on its first render with
// this set (about 0.5 ms for four languages) and replaced when the thread
// first renders with a newer set.
namespace {

struct ThreadCopy {
    std::uint64_t set_id = 0;
    std::unique_ptr<ParsedTemplates> templates;
};
thread_local ThreadCopy thread_copy;

} // namespace

void TemplateSet::ReleaseThreadCopy() {
    thread_copy = ThreadCopy{};
}

ParsedTemplates& TemplateSet::Impl::ForThisThread() const {
    ThreadCopy& copy = thread_copy;
    if (copy.set_id != id) {
        copy.templates = std::make_unique<ParsedTemplates>(parsed);
        copy.set_id = id;
    }
    return *copy.templates;
}

TemplateSet::~TemplateSet() = default;
TemplateSet::TemplateSet(TemplateSet&&) noexcept = default;
TemplateSet& TemplateSet::operator=(TemplateSet&&) noexcept = default;

std::vector<std::string> TemplateSet::Locales() const {
    std::vector<std::string> names;
    for (const auto& [name, _] : impl_->locales) {
        names.push_back(name);
    }
    return names;
}

std::string TemplateSet::ResolveLocale(std::string_view requested) const {
    const std::string language = NormalizeLocale(requested);
    if (impl_->locales.count(language) != 0) {
        return language;
    }
    {
        std::lock_guard<std::mutex> lock(impl_->warned_mutex);
        // Keyed by language, not by the raw value, so garbage locales in the
        // data cannot grow the set without bound (at most 26^3 + 1 keys).
        if (impl_->warned_locales.emplace(language).second) {
            // The locale comes from the shop's data: log it sanitised and short.
            spdlog::warn("no reminder templates for locale \"{}\", using {}",
                         TruncateUtf8(SanitizeSingleLine(requested), 40), kFallbackLocale);
        }
    }
    return std::string(kFallbackLocale);
}

Result<data> TemplateSet::Impl::BuildView(const ReminderMessage& message,
                                          const std::string& language) const {
    const auto money = [&](const std::string& amount,
                           const std::string& what) -> Result<std::string> {
        Result<std::string> formatted = FormatMoney(amount, message.currency, language);
        if (!formatted) {
            return Fail(what + ": " + formatted.error());
        }
        return formatted;
    };
    if (!IsSafeHttpsUrl(message.recovery_url)) {
        return Fail("recovery link is not a plain https URL");
    }
    if (!IsSafeHttpsUrl(message.unsubscribe_url)) {
        return Fail("unsubscribe link is not a plain https URL");
    }
    data view;
    view.set("locale", language);
    view.set("shop_name", SanitizeSingleLine(message.shop.name));
    view.set("shop_address", SanitizeSingleLine(message.shop.address));
    const std::string customer = SanitizeSingleLine(message.customer_name);
    // false (not "") so templates can branch with {{#customer_name}} and
    // {{^customer_name}}: an empty string is truthy in kainjow's Mustache.
    view.set("customer_name", customer.empty() ? data(false) : data(customer));
    // The greeting's name; false likewise, so each language words its nameless greeting.
    const std::string first_name = SanitizeSingleLine(message.first_name);
    view.set("first_name", first_name.empty() ? data(false) : data(first_name));
    // Polish greets in the vocative ("Cześć Anno!"): the common Polish names declined, any
    // other name as it is.
    view.set("first_name_vocative",
             first_name.empty() ? data(false) : data(PolishVocative(first_name)));
    view.set("recovery_url", message.recovery_url);
    view.set("unsubscribe_url", message.unsubscribe_url);

    data items(data::type::list);
    for (std::size_t i = 0; i < message.items.size(); ++i) {
        const CartItem& item = message.items[i];
        const std::string where = "item " + std::to_string(i + 1);
        Result<std::string> unit_price = money(item.unit_price, where + " unit price");
        Result<std::string> line_total = money(item.line_total, where + " line total");
        if (!unit_price || !line_total) {
            return Fail(!unit_price ? unit_price.error() : line_total.error());
        }
        data line;
        line.set("name", SanitizeSingleLine(item.name));
        line.set("quantity", std::to_string(item.quantity));
        line.set("unit_price", *unit_price);
        line.set("line_total", *line_total);
        items.push_back(line);
    }
    // Moved in: set() would copy the list, and every line's object with it.
    view["items"] = std::move(items);
    Result<std::string> total = money(message.total, "cart total");
    if (!total) {
        return Fail(total.error());
    }
    view.set("total", *total);

    // Only the second reminder offers a voucher, whatever the caller passes.
    if (message.voucher && message.step == ReminderStep::kSecond) {
        Result<std::string> value = money(message.voucher->value, "voucher value");
        Result<std::string> expiry = FormatLongDate(message.voucher->expiry_date, language);
        if (!value || !expiry) {
            return Fail(!value ? value.error() : "voucher expiry: " + expiry.error());
        }
        const std::string code = SanitizeSingleLine(message.voucher->code);
        if (code.empty()) {
            return Fail("voucher code is empty");
        }
        data voucher;
        voucher.set("code", code);
        voucher.set("value", *value);
        voucher.set("expiry", *expiry);
        view["voucher"] = std::move(voucher);
    }

    return view;
}

Result<RenderedContent> TemplateSet::Render(const ReminderMessage& message) const {
    RenderedContent content;
    content.locale = ResolveLocale(message.locale);
    const std::string step(StepTemplateName(message.step));
    content.template_name = content.locale + "/" + step;
    ParsedTemplates& thread_templates = impl_->ForThisThread();
    StepTemplates& parsed = thread_templates.steps.at(content.locale).at(step);
    if (thread_templates.shop_generation == 0 || thread_templates.shop_name != message.shop.name ||
        thread_templates.shop_address != message.shop.address) {
        thread_templates.shop_name = message.shop.name;
        thread_templates.shop_address = message.shop.address;
        thread_templates.shop_generation++;
    }
    const std::uint64_t shop = thread_templates.shop_generation;

    Result<data> view = impl_->BuildView(message, content.locale);
    if (!view) {
        return Fail(view.error());
    }
    // The layout's words are plain values, not templates: a translation can
    // never inject a tag, and the same partials serve every language.
    const data& words = impl_->layout_words.at(content.locale);
    std::string subject;
    if (std::optional<std::string> error =
            RenderPieces(parsed.subject, *view, words, shop, subject, nullptr)) {
        return Fail(*error);
    }
    // A subject is one line whatever the template's trailing newline or the
    // values inside it; the HTML <title> then reuses the final text.
    content.subject = SanitizeSingleLine(subject);
    view.value().set("subject", content.subject);

    std::string text;
    text.reserve(2048);
    content.html.reserve(8192);
    content.html_quoted_printable.reserve(9216);
    std::optional<std::string> error = RenderPieces(parsed.text, *view, words, shop, text, nullptr);
    if (!error) {
        error = RenderPieces(parsed.html, *view, words, shop, content.html,
                             &content.html_quoted_printable);
    }
    if (error) {
        return Fail(*error);
    }
    content.text = TidyPlainText(text);
    return content;
}

} // namespace cartwatch
