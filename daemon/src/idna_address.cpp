#include "idna_address.hpp"

#include "utf8.hpp"

#include <idn2.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace cartwatch {

bool IsAscii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x80; });
}

namespace {

constexpr char kNoAsciiForm[] =
    "the address's local part (before the @) is not ASCII; such an address can only be sent "
    "with SMTPUTF8 (RFC 6531)";

// `address` with its domain in ASCII and its local part kept; `ascii_local_part` refuses a
// local part beyond ASCII, which has no ASCII form.
Result<std::string> WithAsciiDomain(std::string_view address, bool ascii_local_part) {
    if (IsAscii(address)) {
        return std::string(address);
    }
    if (!IsValidUtf8(address)) {
        return Error{"the address is not valid UTF-8"};
    }
    const std::size_t at = address.rfind('@');
    if (at == std::string_view::npos) {
        return Error{"the address has no @"};
    }
    const std::string_view local = address.substr(0, at);
    if (!IsAscii(local)) {
        if (ascii_local_part) {
            return Error{kNoAsciiForm};
        }
        // SanitizeSingleLine drops C0 and C1 controls and turns CR, LF and U+2028/U+2029
        // into spaces: a local part it would change holds one of them.
        if (SanitizeSingleLine(local) != local) {
            return Error{"the address's local part holds a control character or a line "
                         "separator"};
        }
    }
    Result<std::string> domain = AsciiDomain(address.substr(at + 1));
    if (!domain) {
        return Error{"the address's domain " + domain.error()};
    }
    return std::string(local) + "@" + domain.value();
}

} // namespace

Result<std::string> AsciiDomainAddress(std::string_view address) {
    return WithAsciiDomain(address, true);
}

Result<std::string> AddressAsSent(std::string_view address) {
    return WithAsciiDomain(address, false);
}

bool NeedsSmtpUtf8(std::string_view address) {
    return !IsAscii(address);
}

Result<std::string> AsciiDomain(std::string_view domain) {
    if (IsAscii(domain)) {
        return std::string(domain);
    }
    const std::string input(domain);
    char* converted = nullptr;
    const int status =
        idn2_to_ascii_8z(input.c_str(), &converted, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    const std::unique_ptr<char, decltype(&idn2_free)> owned(converted, &idn2_free);
    if (status != IDN2_OK) {
        return Error{std::string("is not a valid internationalised domain name (IDNA2008): ") +
                     idn2_strerror(status)};
    }
    return std::string(converted);
}

} // namespace cartwatch
