extern "C" {
#include "postgres.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
}

#include "server_encoding.hpp"

#include "pg_boundary.hpp"

namespace cartwatch {

std::string Utf8FromServer(const char* data, std::size_t length) {
    return PgCall([&] {
        const char* converted = pg_server_to_any(data, static_cast<int>(length), PG_UTF8);
        // Unconverted, it is `data` itself, which has no terminating zero.
        return converted == data ? std::string(data, length) : std::string(converted);
    });
}

Datum ServerText(const std::string& utf8) {
    const char* converted = pg_any_to_server(utf8.c_str(), static_cast<int>(utf8.size()), PG_UTF8);
    return PointerGetDatum(cstring_to_text(converted));
}

} // namespace cartwatch
