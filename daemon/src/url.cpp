// Links are checked rather than repaired: a link that needs repair means a
// misconfigured prefix or a corrupted token, and sending it would either
// break the e-mail or send the customer somewhere unintended.
#include "url.hpp"

#include "header_encoding.hpp"

#include <algorithm>

namespace cartwatch {
namespace {

bool IsUnreserved(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

// RFC 3986 reserved and unreserved characters plus '%'; everything a
// well-formed URI may contain literally. Excludes space " < > \ ^ ` { | }.
bool IsUriCharacter(unsigned char c) {
    return IsUnreserved(c) || std::string_view(":/?#[]@!$&'()*+,;=%").find(static_cast<char>(c)) !=
                                  std::string_view::npos;
}

bool HasOnlyUriCharacters(std::string_view text) {
    // A single quote is legal in a URI but would close an HTML attribute that
    // a template author quoted with ''; refusing it costs nothing.
    return std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return IsUriCharacter(c) && c != '\''; });
}

} // namespace

std::string PercentEncode(std::string_view raw) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : raw) {
        if (IsUnreserved(c)) {
            out.push_back(static_cast<char>(c));
        } else {
            out += {'%', kHex[c >> 4], kHex[c & 0x0F]};
        }
    }
    return out;
}

bool IsSafeHttpsUrl(std::string_view url) {
    constexpr std::string_view kScheme = "https://";
    return url.size() > kScheme.size() && url.size() <= kMaxUrlLength &&
           url.substr(0, kScheme.size()) == kScheme && url[kScheme.size()] != '/' &&
           HasOnlyUriCharacters(url);
}

bool IsSafeMailtoUri(std::string_view uri) {
    constexpr std::string_view kScheme = "mailto:";
    if (uri.size() <= kScheme.size() || uri.size() > kMaxUrlLength ||
        uri.substr(0, kScheme.size()) != kScheme || !HasOnlyUriCharacters(uri)) {
        return false;
    }
    const std::string_view rest = uri.substr(kScheme.size());
    return IsValidAddress(rest.substr(0, rest.find('?')));
}

} // namespace cartwatch
