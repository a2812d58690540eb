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
    const std::string domain(address.substr(at + 1));
    char* converted = nullptr;
    const int status =
        idn2_to_ascii_8z(domain.c_str(), &converted, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    const std::unique_ptr<char, decltype(&idn2_free)> owned(converted, &idn2_free);
    if (status != IDN2_OK) {
        return Error{std::string("the address's domain is not a valid internationalised domain "
                                 "name (IDNA2008): ") +
                     idn2_strerror(status)};
    }
    return std::string(address.substr(0, at + 1)) + converted;
}

} // namespace cartwatch
