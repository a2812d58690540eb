// Signed link tokens: encoding, decoding and MAC comparison; see token_codec.hpp.
#include "token_codec.hpp"

namespace cartwatch::tokens {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The 6-bit value of a base64url character, or -1.
int SextetOf(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

void WriteBigEndian(uint64_t value, uint8_t* out) {
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<uint8_t>(value >> (56 - 8 * i));
}

} // namespace

std::optional<Purpose> ParsePurpose(std::string_view name) {
    if (name == "recovery")
        return Purpose::Recovery;
    if (name == "unsubscribe")
        return Purpose::Unsubscribe;
    return std::nullopt;
}

SignedBytes BytesToSign(Purpose purpose, int64_t id) {
    SignedBytes bytes{};
    bytes[0] = kVersion;
    bytes[1] = static_cast<uint8_t>(purpose);
    WriteBigEndian(static_cast<uint64_t>(id), &bytes[2]);
    return bytes;
}

std::string Encode(int64_t id, const Mac& mac) {
    std::array<uint8_t, kTokenBytes> bytes{};
    bytes[0] = kVersion; // the purpose is signed, not sent
    WriteBigEndian(static_cast<uint64_t>(id), &bytes[1]);
    for (size_t i = 0; i < kMacBytes; ++i)
        bytes[9 + i] = mac[i];
    return Base64UrlEncode(bytes.data(), bytes.size());
}

std::optional<DecodedToken> Decode(std::string_view text) {
    if (text.size() != kTokenChars)
        return std::nullopt;
    std::optional<std::vector<uint8_t>> bytes = Base64UrlDecode(text);
    if (!bytes || bytes->size() != kTokenBytes || (*bytes)[0] != kVersion)
        return std::nullopt;
    uint64_t id = 0;
    for (int i = 0; i < 8; ++i)
        id = (id << 8) | (*bytes)[1 + i];
    DecodedToken token{static_cast<int64_t>(id), {}};
    if (token.id <= 0)
        return std::nullopt;
    for (size_t i = 0; i < kMacBytes; ++i)
        token.mac[i] = (*bytes)[9 + i];
    return token;
}

bool ConstantTimeEqual(const Mac& a, const Mac& b) noexcept {
    // Accumulate every difference instead of returning at the first one.
    uint8_t difference = 0;
    for (size_t i = 0; i < kMacBytes; ++i)
        difference |= static_cast<uint8_t>(a[i] ^ b[i]);
    return difference == 0;
}

std::string Base64UrlEncode(const uint8_t* data, size_t size) {
    std::string text;
    text.reserve((size * 8 + 5) / 6);
    uint32_t buffer = 0;
    int bits = 0;
    for (size_t i = 0; i < size; ++i) {
        buffer = (buffer << 8) | data[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            text.push_back(kAlphabet[(buffer >> bits) & 0x3F]);
        }
    }
    if (bits > 0)
        text.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3F]);
    return text;
}

std::optional<std::vector<uint8_t>> Base64UrlDecode(std::string_view text) {
    // A length of 1 mod 4 cannot come from any byte string.
    if (text.size() % 4 == 1)
        return std::nullopt;
    std::vector<uint8_t> bytes;
    bytes.reserve(text.size() * 6 / 8);
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        const int sextet = SextetOf(c);
        if (sextet < 0)
            return std::nullopt;
        buffer = (buffer << 6) | static_cast<uint32_t>(sextet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes.push_back(static_cast<uint8_t>(buffer >> bits));
        }
    }
    // Left-over bits must be zero, or two spellings would decode to the same bytes.
    if ((buffer & ((1u << bits) - 1)) != 0)
        return std::nullopt;
    return bytes;
}

} // namespace cartwatch::tokens
