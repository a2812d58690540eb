// The link token codec: round trips, canonical-only decoding, and MAC comparison.
#include <gtest/gtest.h>

#include "token_codec.hpp"

namespace cartwatch::tokens {
namespace {

Mac SampleMac(uint8_t seed) {
    Mac mac{};
    for (size_t i = 0; i < mac.size(); ++i)
        mac[i] = static_cast<uint8_t>(seed + 17 * i);
    return mac;
}

TEST(TokenCodec, RoundTripsIdAndMac) {
    for (int64_t id : {int64_t{1}, int64_t{42}, int64_t{1} << 40, INT64_MAX}) {
        const std::string token = Encode(id, SampleMac(3));
        EXPECT_EQ(token.size(), kTokenChars);
        const std::optional<DecodedToken> decoded = Decode(token);
        ASSERT_TRUE(decoded.has_value()) << token;
        EXPECT_EQ(decoded->id, id);
        EXPECT_TRUE(ConstantTimeEqual(decoded->mac, SampleMac(3)));
    }
}

TEST(TokenCodec, UsesTheUrlSafeAlphabetWithoutPadding) {
    const std::string token = Encode(INT64_MAX, SampleMac(0xFB));
    EXPECT_EQ(token.find_first_of("+/="), std::string::npos);
}

TEST(TokenCodec, RejectsMalformedTokens) {
    const std::string good = Encode(7, SampleMac(9));
    EXPECT_FALSE(Decode(""));
    EXPECT_FALSE(Decode(good.substr(1)));           // too short
    EXPECT_FALSE(Decode(good + "A"));               // too long
    EXPECT_FALSE(Decode(good.substr(0, 33) + "+")); // standard base64, not base64url
    EXPECT_FALSE(Decode(good.substr(0, 33) + "=")); // padding
    EXPECT_FALSE(Decode(" " + good.substr(1)));     // blank
    std::string other_version = good;
    other_version[0] = 'B'; // version byte 5
    EXPECT_FALSE(Decode(other_version));
}

TEST(TokenCodec, RejectsNonCanonicalTrailingBits) {
    const std::string good = Encode(7, SampleMac(9));
    // 25 bytes fill 200 of the 204 bits of 34 characters: the last 4 must be zero.
    std::string variant = good;
    const char last = variant.back();
    variant.back() = last == 'A' ? 'B' : 'A';
    const std::optional<DecodedToken> decoded = Decode(variant);
    if (decoded) {
        // Only a change in the significant bits may decode, and then to a different MAC.
        EXPECT_FALSE(ConstantTimeEqual(decoded->mac, SampleMac(9)));
    }
    std::string low_bit = good;
    low_bit.back() = static_cast<char>(low_bit.back() + 1); // sets a trailing bit
    EXPECT_FALSE(Decode(low_bit));
}

TEST(TokenCodec, RejectsNonPositiveIds) {
    EXPECT_FALSE(Decode(Encode(0, SampleMac(1))));
    EXPECT_FALSE(Decode(Encode(-5, SampleMac(1))));
}

TEST(TokenCodec, PurposeIsSignedNotSent) {
    EXPECT_EQ(Encode(5, SampleMac(1)), Encode(5, SampleMac(1)));
    EXPECT_NE(BytesToSign(Purpose::Recovery, 5), BytesToSign(Purpose::Unsubscribe, 5));
    EXPECT_EQ(ParsePurpose("recovery"), Purpose::Recovery);
    EXPECT_EQ(ParsePurpose("unsubscribe"), Purpose::Unsubscribe);
    EXPECT_FALSE(ParsePurpose("Recovery"));
}

TEST(TokenCodec, ConstantTimeEqualSeesEveryByte) {
    const Mac base = SampleMac(4);
    for (size_t i = 0; i < kMacBytes; ++i) {
        Mac changed = base;
        changed[i] ^= 0x01;
        EXPECT_FALSE(ConstantTimeEqual(base, changed)) << "byte " << i;
    }
    EXPECT_TRUE(ConstantTimeEqual(base, base));
}

TEST(Base64Url, MatchesRfc4648Vectors) {
    // RFC 4648 §10, without padding.
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        const std::string text(plain);
        EXPECT_EQ(Base64UrlEncode(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
                  encoded);
        const auto decoded = Base64UrlDecode(encoded);
        ASSERT_TRUE(decoded);
        EXPECT_EQ(std::string(decoded->begin(), decoded->end()), text);
    }
    const uint8_t high[] = {0xFB, 0xFF};
    EXPECT_EQ(Base64UrlEncode(high, 2), "-_8");
    EXPECT_FALSE(Base64UrlDecode("Z"));  // 1 mod 4 characters
    EXPECT_FALSE(Base64UrlDecode("Zh")); // non-zero trailing bits
}

} // namespace
} // namespace cartwatch::tokens
