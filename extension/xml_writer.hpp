// A small streaming XML writer for exports. Pure C++ so unit tests call it directly.
//
// Why by hand: the output is a flat, fixed document shape, and the two things that matter,
// escaping and refusing characters XML 1.0 forbids, fit in a few lines. libxml2, which PostgreSQL
// itself links, would add a dependency to the extension for no gain here.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cartwatch {

using XmlAttributes = std::vector<std::pair<std::string_view, std::string_view>>;

class XmlWriter {
public:
    XmlWriter();

    void Open(std::string_view tag, const XmlAttributes& attributes = {});
    void Close();
    // <tag>text</tag>; a missing value is an empty element with nil="true".
    void Element(std::string_view tag, const std::string* text,
                 const XmlAttributes& attributes = {});
    void Element(std::string_view tag, std::string_view text, const XmlAttributes& attributes = {});

    // Closes every open element and returns the document.
    std::string Finish();

    // Escapes & < > " ' and replaces code points XML 1.0 forbids (most C0 controls, U+FFFE,
    // U+FFFF) and malformed UTF-8 with U+FFFD, so the document always parses.
    static std::string Escape(std::string_view text);

private:
    void Indent();
    void StartTag(std::string_view tag, const XmlAttributes& attributes);

    std::string text_;
    std::vector<std::string> open_;
};

} // namespace cartwatch
