#include "idna_address.hpp"

#include <idn2.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace cartwatch {

bool IsAscii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x80; });
}

Result<std::string> AsciiDomainAddress(std::string_view address) {
    if (IsAscii(address)) {
        return std::string(address);
    }
    const std::size_t at = address.rfind('@');
    if (at == std::string_view::npos) {
        return Error{"the address has no @"};
    }
    if (!IsAscii(address.substr(0, at))) {
        return Error{"the address's local part (before the @) is not ASCII; such an address can "
                     "only be sent with SMTPUTF8, which cartwatchd does not use"};
    }
    Result<std::string> domain = AsciiDomain(address.substr(at + 1));
    if (!domain) {
        return Error{"the address's domain " + domain.error()};
    }
    return std::string(address.substr(0, at + 1)) + domain.value();
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
