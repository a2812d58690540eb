// Design note on SplitIntoLineRuns. kainjow renders a template one output line at a time: it
// collects a line in a buffer and, at each line break, writes it out (or drops it, when the
// line held only section tags and whitespace, Mustache's "standalone" rule), then starts the
// next line with an empty buffer. So at a line break outside every section its state is the
// same as at the start of a template, and rendering two runs of whole lines one after the
// other writes the same bytes as rendering them as one template. Delimiter changes, which
// would carry state across lines, are refused at load; partials are pasted in before this.
#include "template_source.hpp"

#include "template_renderer.hpp"

#include <algorithm>
#include <string_view>

namespace cartwatch {

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

// A translator editing the file needs the line and column, not kainjow's byte offset.
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

std::vector<LineRun>
SplitIntoLineRuns(const std::string& source, const std::vector<Tag>& tags,
                  const std::function<bool(const std::string&)>& is_fixed_name) {
    const auto is_fixed_tag = [&](const Tag& tag) {
        return tag.kind == '!' ||
               ((tag.kind == 0 || tag.kind == '&' || tag.kind == '{') && is_fixed_name(tag.name));
    };
    std::vector<LineRun> runs;
    const auto add_line = [&runs](std::size_t begin, std::size_t end, bool fixed) {
        if (!runs.empty() && runs.back().fixed == fixed) {
            runs.back().end = end;
        } else {
            runs.push_back({begin, end, fixed});
        }
    };
    std::size_t next_tag = 0;
    std::size_t line_start = 0;
    std::size_t pos = 0;
    int sections_open = 0;
    bool line_fixed = true;
    while (pos < source.size()) {
        const std::size_t line_feed = source.find('\n', pos);
        if (next_tag < tags.size() && tags[next_tag].begin < line_feed) {
            // A tag before the line feed: a line feed inside it does not end the line.
            const Tag& tag = tags[next_tag++];
            sections_open += (tag.kind == '#' || tag.kind == '^') ? 1 : tag.kind == '/' ? -1 : 0;
            line_fixed = line_fixed && is_fixed_tag(tag);
            pos = tag.end;
            continue;
        }
        if (line_feed == std::string::npos) {
            break;
        }
        pos = line_feed + 1;
        if (sections_open == 0) {
            add_line(line_start, pos, line_fixed);
            line_start = pos;
            line_fixed = true;
        }
    }
    if (line_start < source.size()) {
        add_line(line_start, source.size(), line_fixed);
    }
    return runs;
}

} // namespace cartwatch
