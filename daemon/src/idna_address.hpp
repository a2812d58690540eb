// Addresses beyond ASCII: an internationalised domain (jürgen@müller.de) goes into the envelope
// and the header fields in its ASCII form, which needs nothing of the relay; a local part beyond
// ASCII (zoë@example.de) has no ASCII form and goes as UTF-8, under SMTPUTF8 (RFC 6531). The
// same holds for the customer's address and for the shop's own (smtp.from).
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
/// For an address that must be ASCII whatever the relay offers: a mailto: link in a header.
Result<std::string> AsciiDomainAddress(std::string_view address);

/// An address as it is sent, a customer's or the shop's own: the domain as AsciiDomainAddress
/// makes it, the local part as written, so "zoë@müller.de" comes back as "zoë@xn--mller-kva.de".
/// A local part beyond ASCII stays UTF-8 (RFC 6532 section 3.2), byte for byte: mailbox names
/// are the receiving system's to interpret, so it is not normalised. Such an address can only
/// go out under SMTPUTF8, which the transport asks for, or refuses the message without.
/// Refused: text that is not valid UTF-8, and a local part with a control character or a line
/// separator; what else a local part may hold is the header check's
/// (IsValidInternationalAddress).
Result<std::string> AddressAsSent(std::string_view address);

/// Whether sending to (or from) `address` takes SMTPUTF8 (RFC 6531): it is not all ASCII. With
/// the domain in ASCII, as the two functions above return it, that is the local part.
bool NeedsSmtpUtf8(std::string_view address);

} // namespace cartwatch

#endif
