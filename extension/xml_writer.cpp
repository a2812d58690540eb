#include "xml_writer.hpp"

#include <cstdint>

namespace cartwatch {
namespace {

// U+FFFD as a character reference: ASCII, so the document converts to any database encoding
// (a LATIN2 database has no U+FFFD of its own), and a parser reads the same character.
constexpr std::string_view kReplacement = "&#xFFFD;";

// Length of the UTF-8 sequence starting at text[i] and its code point; 0 when malformed
// (bad lead byte, truncated, overlong, surrogate or beyond U+10FFFF).
size_t DecodeUtf8(std::string_view text, size_t i, uint32_t* code_point) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    size_t length;
    uint32_t value;
    uint32_t minimum;
    if (lead < 0x80) {
        *code_point = lead;
        return 1;
    } else if ((lead & 0xE0) == 0xC0) {
        length = 2, value = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3, value = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4, value = lead & 0x07, minimum = 0x10000;
    } else {
        return 0;
    }
    if (i + length > text.size()) {
        return 0;
    }
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) {
            return 0;
        }
        value = (value << 6) | (byte(i + k) & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        return 0;
    }
    *code_point = value;
    return length;
}

bool AllowedInXml(uint32_t c) {
    if (c < 0x20) {
        return c == '\t' || c == '\n' || c == '\r';
    }
    return c != 0xFFFE && c != 0xFFFF;
}

} // namespace

XmlWriter::XmlWriter() : text_("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") {}

std::string XmlWriter::Escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        uint32_t c = 0;
        const size_t length = DecodeUtf8(text, i, &c);
        if (length == 0) {
            out.append(kReplacement);
            ++i;
            continue;
        }
        switch (c) {
        case '&':
            out.append("&amp;");
            break;
        case '<':
            out.append("&lt;");
            break;
        case '>':
            out.append("&gt;");
            break;
        case '"':
            out.append("&quot;");
            break;
        case '\'':
            out.append("&apos;");
            break;
        case '\r':
            // A literal CR would be normalised away by every parser; keep it as a reference.
            out.append("&#13;");
            break;
        default:
            if (AllowedInXml(c)) {
                out.append(text.substr(i, length));
            } else {
                out.append(kReplacement);
            }
        }
        i += length;
    }
    return out;
}

void XmlWriter::Indent() {
    text_.append(open_.size() * 2, ' ');
}

void XmlWriter::StartTag(std::string_view tag, const XmlAttributes& attributes) {
    Indent();
    text_.push_back('<');
    text_.append(tag);
    for (const auto& [name, value] : attributes) {
        text_.push_back(' ');
        text_.append(name);
        text_.append("=\"");
        text_.append(Escape(value));
        text_.push_back('"');
    }
}

void XmlWriter::Open(std::string_view tag, const XmlAttributes& attributes) {
    StartTag(tag, attributes);
    text_.append(">\n");
    open_.emplace_back(tag);
}

void XmlWriter::Close() {
    const std::string tag = std::move(open_.back());
    open_.pop_back();
    Indent();
    text_.append("</").append(tag).append(">\n");
}

void XmlWriter::Element(std::string_view tag, const std::string* text,
                        const XmlAttributes& attributes) {
    if (text == nullptr) {
        XmlAttributes with_nil = attributes;
        with_nil.emplace_back("nil", "true");
        StartTag(tag, with_nil);
        text_.append("/>\n");
        return;
    }
    Element(tag, std::string_view(*text), attributes);
}

void XmlWriter::Element(std::string_view tag, std::string_view text,
                        const XmlAttributes& attributes) {
    StartTag(tag, attributes);
    text_.push_back('>');
    text_.append(Escape(text));
    text_.append("</").append(tag).append(">\n");
}

std::string XmlWriter::Finish() {
    while (!open_.empty()) {
        Close();
    }
    return std::move(text_);
}

} // namespace cartwatch
