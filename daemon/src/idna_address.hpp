// Addresses with an internationalised domain (jürgen@müller.de): the form that goes into the
// envelope and the To: field of a message sent without SMTPUTF8.
#ifndef CARTWATCH_IDNA_ADDRESS_HPP
#define CARTWATCH_IDNA_ADDRESS_HPP

#include "result.hpp"

#include <string>
#include <string_view>

namespace cartwatch {

/// True when every byte of `text` is ASCII.
bool IsAscii(std::string_view text);

/// A domain name in ASCII: each non-ASCII label as its A-label ("żółw.pl" -> "xn--w-uga1v8h.pl");
/// an ASCII name comes back unchanged. Refused when it is not a valid IDN.
Result<std::string> AsciiDomain(std::string_view domain);

/// `address` with its domain in ASCII: each non-ASCII label as its A-label (IDNA2008 with the
/// UTS #46 non-transitional mapping, as browsers and mail providers resolve them), so
/// "jan@müller.de" comes back as "jan@xn--mller-kva.de". The local part must be ASCII:
/// a non-ASCII local part has no ASCII form (it needs SMTPUTF8, RFC 6531, end to end) and is
/// refused, as is a domain that is not a valid IDN. An all-ASCII address comes back unchanged.
Result<std::string> AsciiDomainAddress(std::string_view address);

} // namespace cartwatch

#endif
