// The wire format of cartwatch's signed links (recovery and unsubscribe). Pure C++: the HMAC
// itself is computed by the caller (PostgreSQL's pg_hmac in reminder_tokens.cpp), so unit tests
// can drive the codec with any MAC.
//
// A token is base64url (RFC 4648 §5, no padding) of 25 bytes:
//     version (1) | reminder id, big-endian (8) | MAC (16)
// The MAC is HMAC-SHA256, truncated to 128 bits (RFC 2104 §5 allows truncation to half the
// output), over version | purpose | id. The purpose is signed but not sent: a recovery token
// cannot be replayed as an unsubscribe token, and the link stays 34 characters long.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cartwatch::tokens {

enum class Purpose : uint8_t { Recovery = 'r', Unsubscribe = 'u' };

constexpr uint8_t kVersion = 1;
constexpr size_t kMacBytes = 16;
constexpr size_t kTokenBytes = 1 + 8 + kMacBytes;
constexpr size_t kTokenChars = (kTokenBytes * 8 + 5) / 6; // 34

using Mac = std::array<uint8_t, kMacBytes>;
// The bytes the MAC covers: version | purpose | id.
using SignedBytes = std::array<uint8_t, 1 + 1 + 8>;

// Parses "recovery" / "unsubscribe"; nullopt for anything else.
std::optional<Purpose> ParsePurpose(std::string_view name);

SignedBytes BytesToSign(Purpose purpose, int64_t id);

// The token text for an id and the MAC of BytesToSign(purpose, id).
std::string Encode(int64_t id, const Mac& mac);

struct DecodedToken {
    int64_t id;
    Mac mac;
};

// Splits a token into id and MAC. nullopt for anything that is not exactly one canonical
// encoding of a version-1 token with a positive id: wrong length, a character outside the
// base64url alphabet, padding, non-zero trailing bits. Canonical-only means every token has one
// spelling, so a token cannot be varied to dodge a rate limit or a log match.
std::optional<DecodedToken> Decode(std::string_view text);

// Compares two MACs in time independent of where they differ, so that the time a verification
// takes does not tell a forger how many leading bytes were right.
bool ConstantTimeEqual(const Mac& a, const Mac& b) noexcept;

std::string Base64UrlEncode(const uint8_t* data, size_t size);
// Strict decoding: no padding, no blanks, canonical trailing bits.
std::optional<std::vector<uint8_t>> Base64UrlDecode(std::string_view text);

} // namespace cartwatch::tokens
