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
// of its own and delimiter changes are refused. kainjow's render() is not
// const (it records errors in the template object), so each thread renders
// with its own copy of the parsed set, made on its first render with this
// set; the set itself never changes after load, and a reload builds a new one.
#include "template_renderer.hpp"

#include "file_reading.hpp"
#include "locale_format.hpp"
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
    "shop_name",       "shop_address", "customer_name", "items", "name",
    "quantity",        "unit_price",   "line_total",    "total", "recovery_url",
    "unsubscribe_url", "voucher",      "code",          "value", "expiry",
    "subject",         "locale",       "first_name",
};

std::string ReadFile(const fs::path& path) {
    std::optional<std::string> content = ReadWholeFile(path);
    if (!content) {
        throw TemplateError("cannot read template file " + path.string());
    }
    return std::move(*content);
}

struct Tag {
    char kind; // 0 for a variable, else one of # ^ / > & { !
    std::string name;
    std::size_t begin; // where "{{" starts in the source
    std::size_t end;   // just past the closing braces
};

// Lists the tags of a template. Good enough for checking: it follows the
// Mustache grammar for the default delimiters and refuses delimiter changes.
std::vector<Tag> ScanTags(const std::string& source, const std::string& where) {
    std::vector<Tag> tags;
    std::size_t pos = 0;
    while ((pos = source.find("{{", pos)) != std::string::npos) {
        const bool triple = source.compare(pos, 3, "{{{") == 0;
        const std::string closing = triple ? "}}}" : "}}";
        const std::size_t end = source.find(closing, pos);
        if (end == std::string::npos) {
            throw TemplateError(where + ": unclosed tag");
        }
        std::string content = source.substr(pos + 2, end - pos - 2);
        Tag tag{0, {}, pos, end + closing.size()};
        if (!content.empty() &&
            std::string_view("#^/>&{!=").find(content[0]) != std::string::npos) {
            tag.kind = content[0];
            content.erase(0, 1);
        }
        if (tag.kind == '=') {
            throw TemplateError(where + ": changing delimiters is not allowed");
        }
        const std::size_t first = content.find_first_not_of(" \t");
        const std::size_t last = content.find_last_not_of(" \t");
        tag.name = first == std::string::npos ? "" : content.substr(first, last - first + 1);
        tags.push_back(std::move(tag));
        pos = end + closing.size();
    }
    return tags;
}

// kainjow ends a parse error with the byte offset where it found it ("Unclosed section
// \"items\" at 539"); a translator editing the file needs the line and column instead.
std::string WithLineAndColumn(const std::string& message, const std::string& source) {
    const std::size_t at = message.rfind(" at ");
    if (at == std::string::npos || at + 4 == message.size() ||
        message.find_first_not_of("0123456789", at + 4) != std::string::npos) {
        return message;
    }
    const std::size_t offset =
        std::min<std::size_t>(std::stoull(message.substr(at + 4)), source.size());
    const std::size_t line_start = source.rfind('\n', offset == 0 ? 0 : offset - 1);
    const std::size_t first = line_start == std::string::npos || offset == 0 ? 0 : line_start + 1;
    const auto line = 1 + std::count(source.begin(), source.begin() + first, '\n');
    // Columns count characters, not bytes: UTF-8 continuation bytes are skipped.
    const auto column = 1 + std::count_if(source.begin() + first, source.begin() + offset,
                                          [](char c) { return (c & 0xC0) != 0x80; });
    return message.substr(0, at) + " on line " + std::to_string(line) + ", column " +
           std::to_string(column);
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

// The template's source with every partial tag replaced by the partial's own
// source, partials inside partials included. `including` holds the partials
// being pasted, to refuse a partial that includes itself.
std::string InlinePartials(const std::string& source, const std::string& where,
                           const std::map<std::string, std::string>& partials,
                           std::vector<std::string>& including) {
    std::string out;
    out.reserve(source.size());
    std::size_t copied = 0;
    for (const Tag& tag : ScanTags(source, where)) {
        if (tag.kind != '>') {
            continue;
        }
        if (std::find(including.begin(), including.end(), tag.name) != including.end()) {
            throw TemplateError(where + ": partial " + tag.name + " includes itself");
        }
        const auto partial = partials.find(tag.name);
        if (partial == partials.end()) {
            throw TemplateError(where + ": unknown partial " + tag.name);
        }
        out.append(source, copied, tag.begin - copied);
        including.push_back(tag.name);
        out += InlinePartials(partial->second, "_layout partial " + tag.name, partials, including);
        including.pop_back();
        copied = tag.end;
    }
    out.append(source, copied, std::string::npos);
    return out;
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

// Renders one parsed template against the reminder's view, which stands on the language's
// layout words (shared, never copied); kainjow reports section errors through is_valid()
// after rendering.
Result<std::string> RenderOne(mustache& tmpl, const data& view, const data& layout_words) {
    kainjow::mustache::context<std::string> names(&layout_words);
    names.push(&view);
    std::string out;
    out.reserve(4096);
    StringSink sink{out};
    tmpl.render(names, sink);
    if (!tmpl.is_valid()) {
        return Fail("template error: " + tmpl.error_message());
    }
    return out;
}

// The parsed templates of one language and step.
struct StepTemplates {
    mustache subject;
    mustache text;
    mustache html;
};

// Everything a thread renders with: copied whole, so each thread has its own.
struct ParsedTemplates {
    std::map<std::string, std::map<std::string, StepTemplates>> steps; // language -> step
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
        for (const ReminderStep step : {ReminderStep::kFirst, ReminderStep::kSecond}) {
            const std::string name(StepTemplateName(step));
            const auto parse = [&](const std::string& extension) {
                const std::string where = language + "/" + name + extension;
                std::vector<std::string> including;
                mustache tmpl(FlattenLayoutNames(
                    InlinePartials(files.files.at(name + extension), where, partials, including),
                    where));
                if (!tmpl.is_valid()) {
                    throw TemplateError(where + " with its partials: " + tmpl.error_message());
                }
                if (extension != ".html") {
                    tmpl.set_custom_escape(Identity);
                }
                return tmpl;
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
    view.set("items", items);
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
        view.set("voucher", voucher);
    }

    return view;
}

Result<RenderedContent> TemplateSet::Render(const ReminderMessage& message) const {
    RenderedContent content;
    content.locale = ResolveLocale(message.locale);
    const std::string step(StepTemplateName(message.step));
    content.template_name = content.locale + "/" + step;
    StepTemplates& parsed = impl_->ForThisThread().steps.at(content.locale).at(step);

    Result<data> view = impl_->BuildView(message, content.locale);
    if (!view) {
        return Fail(view.error());
    }
    // The layout's words are plain values, not templates: a translation can
    // never inject a tag, and the same partials serve every language.
    const data& words = impl_->layout_words.at(content.locale);
    Result<std::string> subject = RenderOne(parsed.subject, *view, words);
    if (!subject) {
        return Fail(subject.error());
    }
    // A subject is one line whatever the template's trailing newline or the
    // values inside it; the HTML <title> then reuses the final text.
    content.subject = SanitizeSingleLine(*subject);
    view.value().set("subject", content.subject);

    Result<std::string> text = RenderOne(parsed.text, *view, words);
    Result<std::string> html = RenderOne(parsed.html, *view, words);
    if (!text || !html) {
        return Fail(!text ? text.error() : html.error());
    }
    content.text = TidyPlainText(*text);
    content.html = std::move(html).value();
    return content;
}

} // namespace cartwatch
