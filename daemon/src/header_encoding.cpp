// Design note. Every header is built as a list of indivisible tokens that
// are joined by single spaces; folding then only chooses which of those
// spaces becomes CRLF + space, so unfolding (RFC 5322 3.2.2) restores exactly
// the joined text. Non-ASCII text is turned into encoded-words that are
// sized so the first one still fits on the `Name: ` line.
//
// A Subject that needs encoding is encoded as a whole: adjacent encoded-words
// swallow the whitespace between them, so one run with the spaces inside is
// the form every reader decodes alike. Display names instead keep plain
// words raw and encode only runs of words that need it (EncodePhrase).
//
// Why not GMime (libgmime-3.0-dev): it drags GLib and GObject into the daemon
// for the ~150 lines below, and its encoder decides folding, charset and
// Q/B choice on its own; cartwatch needs byte-stable output for golden tests
// and DKIM, so a small encoder covered by unit, round-trip (Python `email`)
// and fuzz tests is the smaller risk.
#include "header_encoding.hpp"

#include "utf8.hpp"

#include <algorithm>
#include <optional>

namespace cartwatch {
namespace {

constexpr std::string_view kQPrefix = "=?UTF-8?Q?";
constexpr std::string_view kBPrefix = "=?UTF-8?B?";
constexpr std::string_view kWordSuffix = "?=";
constexpr std::size_t kWordOverhead = 12; // prefix (10) + suffix (2)
constexpr char kHexDigits[] = "0123456789ABCDEF";
constexpr char kBase64Digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool IsAsciiAlnum(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 2047 5(3): the only characters a Q word may carry literally in a phrase.
bool IsQLiteral(unsigned char c) {
    return IsAsciiAlnum(c) || c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

void AppendQ(std::string& out, unsigned char c) {
    if (c == ' ') {
        out.push_back('_');
    } else if (IsQLiteral(c)) {
        out.push_back(static_cast<char>(c));
    } else {
        out.push_back('=');
        out.push_back(kHexDigits[c >> 4]);
        out.push_back(kHexDigits[c & 0x0F]);
    }
}

std::size_t QLength(std::string_view bytes) {
    std::size_t length = 0;
    for (const unsigned char c : bytes) {
        length += (c == ' ' || IsQLiteral(c)) ? 1 : 3;
    }
    return length;
}

std::size_t BLength(std::size_t byte_count) {
    return 4 * ((byte_count + 2) / 3);
}

std::string Base64(std::string_view bytes) {
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                           (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                           static_cast<unsigned char>(bytes[i + 2]);
        out += {kBase64Digits[v >> 18], kBase64Digits[(v >> 12) & 63], kBase64Digits[(v >> 6) & 63],
                kBase64Digits[v & 63]};
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2) {
            v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        }
        out += kBase64Digits[v >> 18];
        out += kBase64Digits[(v >> 12) & 63];
        out += rest == 2 ? kBase64Digits[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

// Joins tokens with single spaces, breaking before a token whenever the line
// would pass 78 characters. A token longer than the room is kept whole; the
// caller guarantees every token is under the 998 limit.
std::string FoldTokens(std::string_view name, const std::vector<std::string>& tokens) {
    std::string out(name);
    out.push_back(':');
    std::size_t line_length = out.size();
    bool line_has_token = false;
    for (const auto& token : tokens) {
        if (line_has_token && line_length + 1 + token.size() > kFoldedLineLength) {
            out += "\r\n";
            line_length = 0;
        }
        out.push_back(' ');
        out += token;
        line_length += 1 + token.size();
        line_has_token = true;
    }
    out += "\r\n";
    return out;
}

std::vector<std::string> SplitOnSpaces(std::string_view text) {
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find(' ', start), text.size());
        if (end > start) {
            words.emplace_back(text.substr(start, end - start));
        }
        start = end + 1;
    }
    return words;
}

bool IsPrintableAscii(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return c >= 0x20 && c <= 0x7E; });
}

// A raw word that a reader could take for an encoded-word, or one too long to
// fold, is safer encoded.
bool NeedsEncoding(const std::vector<std::string>& words) {
    return std::any_of(words.begin(), words.end(), [](const std::string& word) {
        return !IsPrintableAscii(word) || word.find("=?") != std::string::npos ||
               word.size() > kFoldedLineLength - 1;
    });
}

// RFC 5322 3.2.3 atext: may appear in a display name without quoting.
bool IsAtext(unsigned char c) {
    return IsAsciiAlnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
                                  std::string_view::npos;
}

std::string QuotedString(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

bool IsPlainPhraseWord(const std::string& word) {
    return word.rfind("=?", 0) != 0 && word.size() < kFoldedLineLength &&
           std::all_of(word.begin(), word.end(), IsAtext);
}

// A display name mixing plain words and encoded runs: "pracownia" stays
// readable, and each run of words that need encoding (with the spaces inside
// it) becomes one encoded-word when it fits. Encoding the whole name instead
// would split it into adjacent encoded-words wherever it is long; RFC 2047
// decoders join those, but Python's `email` phrase parser (3.11) keeps the
// folding space between them, so readers would disagree on the name.
std::vector<std::string> EncodePhrase(const std::vector<std::string>& words,
                                      std::size_t first_word_room) {
    std::vector<std::string> tokens;
    std::string run;
    const auto flush_run = [&] {
        if (!run.empty()) {
            for (auto& word :
                 EncodeWords(run, tokens.empty() ? first_word_room : kMaxEncodedWordLength)) {
                tokens.push_back(std::move(word));
            }
            run.clear();
        }
    };
    for (const std::string& word : words) {
        if (IsPlainPhraseWord(word)) {
            flush_run();
            tokens.push_back(word);
        } else {
            run += run.empty() ? word : " " + word;
        }
    }
    flush_run();
    return tokens;
}

std::size_t FirstWordRoom(std::string_view name) {
    // "Name: " occupies the start of the first line.
    const std::size_t used = name.size() + 2;
    const std::size_t room = used < kFoldedLineLength ? kFoldedLineLength - used : 0;
    return std::clamp<std::size_t>(room, kWordOverhead + 12, kMaxEncodedWordLength);
}

bool IsValidFieldName(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return c > 0x20 && c < 0x7F && c != ':';
    });
}

// `Name: value` + CRLF when that is what folding the value's words would write: a value of
// printable ASCII words, one space between each, short enough for one line. Most of the
// daemon's header fields are, and take this way past SplitOnSpaces and FoldTokens.
std::optional<std::string> UnfoldedField(std::string_view name, std::string_view value) {
    if (value.empty() || name.size() + 2 + value.size() > kFoldedLineLength ||
        !IsPlainAsciiLine(value)) {
        return std::nullopt;
    }
    std::string field;
    field.reserve(name.size() + value.size() + 4);
    field.append(name);
    field += ": ";
    field.append(value);
    field += "\r\n";
    return field;
}

Result<std::string> CheckLineLengths(std::string field) {
    std::size_t line_start = 0;
    while (line_start < field.size()) {
        const std::size_t end = field.find("\r\n", line_start);
        if (end - line_start > kMaxLineLength) {
            return Fail("header line longer than 998 characters: " + field.substr(0, 40));
        }
        line_start = end + 2;
    }
    return field;
}

} // namespace

std::vector<std::string> EncodeWords(std::string_view valid_utf8, std::size_t first_word_limit) {
    // Q keeps Polish, German and French text readable in the raw message
    // (and is what filters expect for Latin text); B is used once most
    // characters are non-ASCII (emoji, other scripts), where Q would spend
    // up to 12 characters on each of them.
    std::size_t characters = 0;
    std::size_t non_ascii = 0;
    for (std::size_t i = 0; i < valid_utf8.size();
         i += Utf8SequenceLength(static_cast<unsigned char>(valid_utf8[i]))) {
        ++characters;
        non_ascii += static_cast<unsigned char>(valid_utf8[i]) >= 0x80 ? 1 : 0;
    }
    const bool use_q = non_ascii * 2 <= characters;
    std::vector<std::string> words;
    std::size_t limit = std::min(first_word_limit, kMaxEncodedWordLength);
    std::size_t pos = 0;
    while (pos < valid_utf8.size()) {
        std::size_t end = pos;
        std::size_t encoded = 0;
        // Take whole characters while the word still fits.
        while (end < valid_utf8.size()) {
            const std::size_t char_length =
                std::min(Utf8SequenceLength(static_cast<unsigned char>(valid_utf8[end])),
                         valid_utf8.size() - end);
            const std::string_view piece = valid_utf8.substr(end, char_length);
            const std::size_t next =
                use_q ? encoded + QLength(piece) : BLength(end + char_length - pos);
            if (end > pos && kWordOverhead + next > limit) {
                break;
            }
            encoded = next;
            end += char_length;
        }
        const std::string_view chunk = valid_utf8.substr(pos, end - pos);
        std::string word(use_q ? kQPrefix : kBPrefix);
        if (use_q) {
            for (const unsigned char c : chunk) {
                AppendQ(word, c);
            }
        } else {
            word += Base64(chunk);
        }
        word += kWordSuffix;
        words.push_back(std::move(word));
        pos = end;
        limit = kMaxEncodedWordLength;
    }
    return words;
}

namespace {

// `utf8_local_part`: the local part may hold UTF-8 beyond ASCII, as RFC 6532 allows.
bool IsValidAddressOf(std::string_view address, bool utf8_local_part) {
    if (address.size() > 254) {
        return false;
    }
    const std::size_t at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || at > 64 || at + 1 >= address.size()) {
        return false;
    }
    const std::string_view local = address.substr(0, at);
    const std::string_view domain = address.substr(at + 1);
    const auto valid_dot_string = [](std::string_view part, auto&& allowed) {
        if (part.front() == '.' || part.back() == '.' ||
            part.find("..") != std::string_view::npos) {
            return false;
        }
        return std::all_of(part.begin(), part.end(),
                           [&](unsigned char c) { return c == '.' || allowed(c); });
    };
    const bool utf8 = utf8_local_part && !IsPrintableAscii(local);
    // SanitizeSingleLine changes a local part with a C1 control or U+2028/U+2029 in it (C0
    // controls and spaces are no atext anyway).
    if (utf8 && (!IsValidUtf8(local) || SanitizeSingleLine(local) != local)) {
        return false;
    }
    return valid_dot_string(
               local, [utf8](unsigned char c) { return IsAtext(c) || (utf8 && c >= 0x80); }) &&
           valid_dot_string(domain, [](unsigned char c) { return IsAsciiAlnum(c) || c == '-'; });
}

} // namespace

bool IsValidAddress(std::string_view address) {
    return IsValidAddressOf(address, false);
}

bool IsValidInternationalAddress(std::string_view address) {
    return IsValidAddressOf(address, true);
}

Result<std::string> FormatUnstructuredField(std::string_view name, std::string_view value) {
    if (!IsValidFieldName(name)) {
        return Fail("invalid header field name");
    }
    const std::string clean = SanitizeSingleLine(value);
    // A raw "=?" would read as an encoded-word: such a value is always encoded.
    if (clean.find("=?") == std::string::npos) {
        if (std::optional<std::string> field = UnfoldedField(name, clean)) {
            return std::move(*field);
        }
    }
    std::vector<std::string> tokens = SplitOnSpaces(clean);
    if (NeedsEncoding(tokens)) {
        tokens = EncodeWords(clean, FirstWordRoom(name));
    }
    return CheckLineLengths(FoldTokens(name, tokens));
}

Result<std::string> FormatMailboxField(std::string_view name, std::string_view display_name,
                                       std::string_view address) {
    if (!IsValidFieldName(name)) {
        return Fail("invalid header field name");
    }
    if (!IsValidInternationalAddress(address)) {
        // Never echo the raw value: it may hold the very CR/LF being refused.
        return Fail(std::string(name) + " address is not a valid plain e-mail address");
    }
    // An address beyond ASCII goes raw (RFC 6532: it has no other form), but the display name
    // is encoded as in any message, although RFC 6532 would let it go raw as well: encoded-
    // words stay valid under SMTPUTF8, the field then differs from an ASCII recipient's in the
    // address alone (one encoder, the same golden output), and a reader that downgrades the
    // message (RFC 6857) has only the address left to deal with.
    const std::string clean = SanitizeSingleLine(display_name);
    std::vector<std::string> tokens;
    if (!clean.empty()) {
        const std::vector<std::string> words = SplitOnSpaces(clean);
        if (std::all_of(words.begin(), words.end(), IsPlainPhraseWord)) {
            tokens = words;
        } else if (std::string quoted = QuotedString(clean);
                   IsPrintableAscii(clean) && clean.find("=?") == std::string::npos &&
                   name.size() + 2 + quoted.size() <= kFoldedLineLength) {
            // A quoted-string cannot be folded, so it must fit on the first line.
            tokens.push_back(std::move(quoted));
        } else {
            tokens = EncodePhrase(words, FirstWordRoom(name));
        }
    }
    tokens.push_back(clean.empty() ? std::string(address) : "<" + std::string(address) + ">");
    return CheckLineLengths(FoldTokens(name, tokens));
}

Result<std::string> FormatStructuredField(std::string_view name, std::string_view value) {
    if (!IsValidFieldName(name)) {
        return Fail("invalid header field name");
    }
    if (!IsPrintableAscii(value)) {
        return Fail(std::string(name) + " value holds control or non-ASCII characters");
    }
    if (std::optional<std::string> field = UnfoldedField(name, value)) {
        return std::move(*field);
    }
    return CheckLineLengths(FoldTokens(name, SplitOnSpaces(value)));
}

} // namespace cartwatch
