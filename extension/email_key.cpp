// cartwatch.email_key(): an e-mail address as cartwatch compares addresses (what and why: the
// comment above its CREATE FUNCTION in sql/install/00_schema.sql).
//
// The domain's ASCII form comes from cartwatchd's own conversion (daemon/src/idna_address.cpp,
// compiled into the extension too), so that the key of an address and the form the daemon sends
// it in cannot disagree. A domain that is not a valid IDN stays as typed, lower-cased.
//
// An address in ASCII, nearly every one, takes the short way: ASCII lower case is what ICU's
// root mapping does to ASCII, and no IDNA conversion applies. Checkout computes the key for the
// e-mail index of every order.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "catalog/namespace.h"
#include "nodes/makefuncs.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
}

#include <algorithm>
#include <string>
#include <string_view>

#include "idna_address.hpp"
#include "pg_boundary.hpp"
#include "server_encoding.hpp"

namespace cartwatch {
namespace {

// The ICU root collation's OID in this database, looked up once per backend. PostgreSQL calls
// only (runs in PgCall).
Oid RootCollation() {
    static Oid collation = InvalidOid;
    if (!OidIsValid(collation)) {
        collation = get_collation_oid(
            list_make2(makeString(pstrdup("pg_catalog")), makeString(pstrdup("und-x-icu"))), false);
    }
    return collation;
}

// Lower case by ICU's root mapping, in the database's encoding.
std::string RootLower(std::string_view text) {
    if (IsAscii(text)) {
        std::string lowered(text);
        std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                       [](unsigned char c) { return pg_ascii_tolower(c); });
        return lowered;
    }
    return PgCall([text] {
        char* lowered = str_tolower(text.data(), text.size(), RootCollation());
        std::string result(lowered);
        pfree(lowered);
        return result;
    });
}

// The domain's key: its ASCII form when it has a valid one, else lower-cased as typed.
std::string DomainKey(std::string_view domain) {
    if (IsAscii(domain)) {
        return RootLower(domain);
    }
    const std::string utf8 = Utf8FromServer(domain.data(), domain.size());
    Result<std::string> ascii = AsciiDomain(utf8);
    return ascii ? RootLower(*ascii) : RootLower(domain);
}

std::string EmailKey(std::string_view address) {
    const std::size_t first = address.find_first_not_of(' ');
    if (first == std::string_view::npos) {
        return std::string();
    }
    address = address.substr(first, address.find_last_not_of(' ') - first + 1);
    const std::size_t at = address.rfind('@');
    if (IsAscii(address) || at == std::string_view::npos) {
        return RootLower(address);
    }
    return RootLower(address.substr(0, at + 1)) + DomainKey(address.substr(at + 1));
}

} // namespace
} // namespace cartwatch

// email_key(email text) RETURNS text, IMMUTABLE STRICT.
CW_FUNCTION(cartwatch_email_key) {
    using namespace cartwatch;
    const text* email = PG_GETARG_TEXT_PP(0);
    const std::string key =
        EmailKey(std::string_view(VARDATA_ANY(email), VARSIZE_ANY_EXHDR(email)));
    PG_RETURN_TEXT_P(PgCall([&key] { return cstring_to_text_with_len(key.data(), key.size()); }));
}
