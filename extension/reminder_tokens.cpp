// The SQL face of cartwatch's signed links: HMAC-SHA256 on PostgreSQL's own SHA-256 (the
// server's OpenSSL, no second crypto library in the backend) and key material from
// pg_strong_random. The token format lives in token_codec.hpp; the keys live in
// cartwatch.token_keys, which only the extension owner can read, so these functions take the
// key as an argument and the SECURITY DEFINER SQL functions pass it in.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "port.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

#include <cstring>
#include <string>

#include "pg_boundary.hpp"
#include "token_codec.hpp"

namespace cartwatch {
namespace {

constexpr int kMinKeyBytes = 32; // a key shorter than the hash output weakens HMAC-SHA256
constexpr int kMaxRandomBytes = 1024;

struct KeyBytes {
    const uint8_t* data;
    size_t size;
};

KeyBytes KeyOf(bytea* key) {
    const int size = VARSIZE_ANY_EXHDR(key);
    if (size < kMinKeyBytes) {
        throw UserError(ErrorKind::InvalidParameter, "token key is too short",
                        "A key must have at least 32 bytes; this one has " + std::to_string(size) +
                            ".");
    }
    return {reinterpret_cast<const uint8_t*>(VARDATA_ANY(key)), static_cast<size_t>(size)};
}

tokens::Purpose PurposeOf(text* name) {
    // text_to_cstring pallocs: run it under PgCall so an out-of-memory error unwinds C++.
    const char* raw = PgCall([name] { return text_to_cstring(name); });
    std::optional<tokens::Purpose> purpose = tokens::ParsePurpose(raw);
    if (!purpose) {
        throw UserError(ErrorKind::InvalidParameter,
                        std::string("unknown token purpose \"") + raw + "\"",
                        "The purpose is \"recovery\" or \"unsubscribe\".");
    }
    return *purpose;
}

// HMAC-SHA256(key, version | purpose | id), truncated to the token's MAC length. The RFC 2104
// construction, on PostgreSQL's SHA-256, because pg_hmac under OpenSSL 3 sets up three digest
// contexts per call: 5 us, against 1.3 us here, and a claim signs two tokens for every row.
// The regress test reminders_links pins the output for a fixed key, so a change here that
// altered a single token (and broke every link already sent) would fail it.
tokens::Mac MacOf(KeyBytes key, tokens::Purpose purpose, int64_t id) {
    const tokens::SignedBytes message = tokens::BytesToSign(purpose, id);
    uint8_t digest[PG_SHA256_DIGEST_LENGTH];
    const bool ok = PgCall([&] {
        pg_cryptohash_ctx* context = pg_cryptohash_create(PG_SHA256);
        if (context == nullptr) {
            ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
        }
        // A key longer than the block is replaced by its hash, as the RFC says.
        uint8_t block_key[PG_SHA256_BLOCK_LENGTH] = {};
        bool done = true;
        if (key.size > sizeof(block_key)) {
            done = pg_cryptohash_init(context) == 0 &&
                   pg_cryptohash_update(context, key.data, key.size) == 0 &&
                   pg_cryptohash_final(context, block_key, PG_SHA256_DIGEST_LENGTH) == 0;
        } else {
            memcpy(block_key, key.data, key.size);
        }
        uint8_t inner_pad[PG_SHA256_BLOCK_LENGTH];
        uint8_t outer_pad[PG_SHA256_BLOCK_LENGTH];
        for (size_t i = 0; i < sizeof(block_key); ++i) {
            inner_pad[i] = block_key[i] ^ 0x36;
            outer_pad[i] = block_key[i] ^ 0x5c;
        }
        uint8_t inner[PG_SHA256_DIGEST_LENGTH];
        done = done && pg_cryptohash_init(context) == 0 &&
               pg_cryptohash_update(context, inner_pad, sizeof(inner_pad)) == 0 &&
               pg_cryptohash_update(context, message.data(), message.size()) == 0 &&
               pg_cryptohash_final(context, inner, sizeof(inner)) == 0 &&
               pg_cryptohash_init(context) == 0 &&
               pg_cryptohash_update(context, outer_pad, sizeof(outer_pad)) == 0 &&
               pg_cryptohash_update(context, inner, sizeof(inner)) == 0 &&
               pg_cryptohash_final(context, digest, sizeof(digest)) == 0;
        pg_cryptohash_free(context);
        return done;
    });
    if (!ok) {
        throw UserError(ErrorKind::Internal, "could not compute HMAC-SHA256");
    }
    tokens::Mac mac{};
    for (size_t i = 0; i < tokens::kMacBytes; ++i)
        mac[i] = digest[i];
    return mac;
}

} // namespace
} // namespace cartwatch

using namespace cartwatch;

// strong_random_bytes(count integer) RETURNS bytea: key material from the server's strong
// random source (OpenSSL's RAND_bytes or /dev/urandom, as the server was built).
CW_FUNCTION(cartwatch_strong_random_bytes) {
    const int32 count = PG_GETARG_INT32(0);
    if (count < 1 || count > kMaxRandomBytes) {
        throw UserError(ErrorKind::InvalidParameter,
                        "random byte count " + std::to_string(count) + " is out of range",
                        "Ask for 1 to 1024 bytes.");
    }
    bytea* result = PgCall([count] {
        auto* bytes = static_cast<bytea*>(palloc(VARHDRSZ + count));
        SET_VARSIZE(bytes, VARHDRSZ + count);
        if (!pg_strong_random(VARDATA(bytes), count)) {
            ereport(ERROR,
                    (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate random bytes")));
        }
        return bytes;
    });
    PG_RETURN_BYTEA_P(result);
}

// token_sign(key bytea, purpose text, id bigint) RETURNS text. STRICT.
CW_FUNCTION(cartwatch_token_sign) {
    const KeyBytes key = KeyOf(PG_GETARG_BYTEA_PP(0));
    const tokens::Purpose purpose = PurposeOf(PG_GETARG_TEXT_PP(1));
    const int64 id = PG_GETARG_INT64(2);
    if (id <= 0) {
        throw UserError(ErrorKind::InvalidParameter, "token id must be positive");
    }
    const std::string token = tokens::Encode(id, MacOf(key, purpose, id));
    PG_RETURN_TEXT_P(
        PgCall([&token] { return cstring_to_text_with_len(token.data(), token.size()); }));
}

// token_verify(keys bytea[], purpose text, token text) RETURNS bigint. STRICT. The id the token
// was signed for, if one of the keys signed it for this purpose; NULL for anything else.
CW_FUNCTION(cartwatch_token_verify) {
    ArrayType* keys = PG_GETARG_ARRAYTYPE_P(0);
    const tokens::Purpose purpose = PurposeOf(PG_GETARG_TEXT_PP(1));
    text* token_text = PG_GETARG_TEXT_PP(2);
    const std::string_view token(VARDATA_ANY(token_text), VARSIZE_ANY_EXHDR(token_text));

    const std::optional<tokens::DecodedToken> decoded = tokens::Decode(token);
    if (!decoded) {
        PG_RETURN_NULL();
    }
    Datum* elements = nullptr;
    bool* nulls = nullptr;
    int count = 0;
    PgCall([&] {
        deconstruct_array(keys, BYTEAOID, -1, false, TYPALIGN_INT, &elements, &nulls, &count);
    });
    for (int i = 0; i < count; ++i) {
        if (nulls[i])
            continue;
        bytea* key = PgCall([&] { return DatumGetByteaPP(elements[i]); });
        if (tokens::ConstantTimeEqual(MacOf(KeyOf(key), purpose, decoded->id), decoded->mac)) {
            PG_RETURN_INT64(decoded->id);
        }
    }
    PG_RETURN_NULL();
}
