// Fuzzes everything that turns untrusted text into header or body bytes:
// RFC 2047 encoding and folding, mailbox formatting, quoted-printable, UTF-8
// repair, money/date formatting and the items JSON parser. Beyond "does not
// crash" it checks the output invariants and that encoded text decodes back
// to the sanitised input.
#include "fuzz_checks.hpp"
#include "header_encoding.hpp"
#include "locale_format.hpp"
#include "quoted_printable.hpp"
#include "reference_decoders.hpp"
#include "reminder_row.hpp"
#include "utf8.hpp"

#include <cstdint>
#include <string>

namespace {

using cartwatch::fuzz::Require;

std::string DecodeEncodedWord(std::string_view word) {
    Require(word.size() <= cartwatch::kMaxEncodedWordLength, "encoded-word at most 75");
    const auto decoded = cartwatch::decoders::DecodeEncodedWord(word);
    Require(decoded.has_value(), "well-formed encoded-word");
    Require(cartwatch::IsValidUtf8(*decoded), "each encoded-word carries whole characters");
    return *decoded;
}

// Unfolds a Subject field and decodes it; the subject is encoded either as
// plain words or entirely as encoded-words.
std::string DecodeSubject(const std::string& field) {
    std::string value = field.substr(std::string("Subject:").size());
    value.resize(value.size() - 2);
    std::string unfolded;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value.compare(i, 2, "\r\n") == 0) {
            ++i;
        } else {
            unfolded.push_back(value[i]);
        }
    }
    if (unfolded.find(" =?UTF-8?") != 0) {
        return unfolded.empty() ? unfolded : unfolded.substr(1);
    }
    std::string decoded;
    std::size_t pos = 1;
    while (pos < unfolded.size()) {
        const std::size_t end = unfolded.find(' ', pos);
        decoded += DecodeEncodedWord(std::string_view(unfolded).substr(pos, end - pos));
        pos = end == std::string::npos ? unfolded.size() : end + 1;
    }
    return decoded;
}

// Every line after the first must be a continuation: no value may start a
// header field of its own.
void RequireSingleField(const std::string& field) {
    for (std::size_t pos = field.find("\r\n"); pos + 2 < field.size();
         pos = field.find("\r\n", pos + 2)) {
        Require(field[pos + 2] == ' ', "one header field only");
    }
}

std::string NormaliseLineBreaks(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            out.push_back('\n');
            if (i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
        } else {
            out.push_back(text[i]);
        }
    }
    if (!out.empty() && out.back() != '\n') {
        out.push_back('\n');
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::string clean = cartwatch::SanitizeSingleLine(input);
    switch (data[0] % 6) {
    case 0: {
        const auto field = cartwatch::FormatUnstructuredField("Subject", input);
        if (field.ok()) {
            cartwatch::fuzz::RequireLineDiscipline(*field, false);
            RequireSingleField(*field);
            Require(DecodeSubject(*field) == clean, "Subject decodes to the sanitised input");
        }
        break;
    }
    case 1: {
        const auto field = cartwatch::FormatMailboxField("From", input, "shop@example.com");
        Require(field.ok(), "a display name alone never fails");
        cartwatch::fuzz::RequireLineDiscipline(*field, false);
        RequireSingleField(*field);
        break;
    }
    case 2: {
        const auto field = cartwatch::FormatMailboxField("To", "Anna", input);
        Require(field.ok() == cartwatch::IsValidInternationalAddress(input),
                "address check is consistent");
        if (field.ok()) {
            cartwatch::fuzz::RequireLineDiscipline(*field, false,
                                                   !cartwatch::fuzz::AllAscii(input));
        }
        break;
    }
    case 3: {
        const std::string encoded = cartwatch::EncodeQuotedPrintable(input);
        cartwatch::fuzz::RequireLineDiscipline("X: y\r\n\r\n" + encoded, true);
        Require(cartwatch::decoders::DecodeQuotedPrintable(encoded) == NormaliseLineBreaks(input) ||
                    (input.empty() && encoded.empty()),
                "quoted-printable round trip");
        break;
    }
    case 4: {
        const std::string repaired = cartwatch::ReplaceInvalidUtf8(input);
        Require(cartwatch::IsValidUtf8(repaired), "repair yields valid UTF-8");
        Require(cartwatch::IsValidUtf8(clean), "sanitised text is valid UTF-8");
        const std::size_t limit = 24 + (size % 52);
        std::string joined;
        for (const auto& word : cartwatch::EncodeWords(repaired, limit)) {
            joined += DecodeEncodedWord(word);
        }
        Require(joined == repaired, "encoded-words decode to the input");
        break;
    }
    default: {
        for (const char* language : {"en", "pl", "de", "fr"}) {
            const auto money = cartwatch::FormatMoney(input, "EUR", language);
            if (money.ok()) {
                Require(cartwatch::IsValidUtf8(*money), "money is valid UTF-8");
            }
            (void)cartwatch::FormatLongDate(input, language);
        }
        (void)cartwatch::ParseCartItems(input);
        break;
    }
    }
    return 0;
}
