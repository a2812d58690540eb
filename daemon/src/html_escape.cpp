#include "html_escape.hpp"

namespace cartwatch {

std::string EscapeHtml(std::string_view text, std::string_view apostrophe) {
    constexpr std::string_view kSpecial = "&<>\"'";
    std::size_t special = text.find_first_of(kSpecial);
    if (special == std::string_view::npos) {
        return std::string(text);
    }
    std::string out;
    out.reserve(text.size() + 16);
    std::size_t copied = 0;
    for (; special != std::string_view::npos; special = text.find_first_of(kSpecial, copied)) {
        out.append(text, copied, special - copied);
        switch (text[special]) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += apostrophe;
            break;
        }
        copied = special + 1;
    }
    out.append(text, copied, std::string_view::npos);
    return out;
}

} // namespace cartwatch
