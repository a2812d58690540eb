#include "idna_address.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

TEST(IdnaAddress, AnAsciiAddressIsUnchanged) {
    const Result<std::string> address = AsciiDomainAddress("Anna.Nowak+shop@Example.COM");
    ASSERT_TRUE(address) << address.error();
    EXPECT_EQ(*address, "Anna.Nowak+shop@Example.COM");
}

TEST(IdnaAddress, AnInternationalDomainTakesItsAsciiForm) {
    const Result<std::string> german = AsciiDomainAddress("jan@müller.de");
    ASSERT_TRUE(german) << german.error();
    EXPECT_EQ(*german, "jan@xn--mller-kva.de");
    // Every label on its own, ASCII ones kept; upper case folded (UTS #46 mapping).
    const Result<std::string> polish = AsciiDomainAddress("sklep@Poczta.ŻÓŁW.pl");
    ASSERT_TRUE(polish) << polish.error();
    EXPECT_EQ(*polish, "sklep@poczta.xn--w-uga1v8h.pl");
    // The same letters composed or not (NFC): one domain.
    EXPECT_EQ(AsciiDomainAddress("jan@mu\xcc\x88ller.de").value(), "jan@xn--mller-kva.de");
}

TEST(IdnaAddress, NonTransitionalProcessingKeepsTheSharpS) {
    // "straße.de" is its own domain since IDNA2008 (not "strasse.de"), as browsers resolve it.
    EXPECT_EQ(AsciiDomainAddress("info@straße.de").value(), "info@xn--strae-oqa.de");
}

TEST(IdnaAddress, ANonAsciiLocalPartIsRefusedWithTheReason) {
    const Result<std::string> address = AsciiDomainAddress("zoë@example.com");
    ASSERT_FALSE(address);
    EXPECT_NE(address.error().find("local part"), std::string::npos) << address.error();
    EXPECT_NE(address.error().find("SMTPUTF8"), std::string::npos) << address.error();
}

// A customer's address keeps a local part beyond ASCII as it is, byte for byte (not even NFC):
// mailbox names are the receiving system's; the domain still takes its ASCII form.
TEST(IdnaAddress, ARecipientKeepsALocalPartBeyondAscii) {
    EXPECT_EQ(AddressAsSent("zoë@example.com").value(), "zoë@example.com");
    EXPECT_EQ(AddressAsSent("zoë@müller.de").value(), "zoë@xn--mller-kva.de");
    EXPECT_EQ(AddressAsSent("zoe\xcc\x88@example.com").value(), "zoe\xcc\x88@example.com");
    EXPECT_EQ(AddressAsSent("jan@müller.de").value(), "jan@xn--mller-kva.de");
    EXPECT_TRUE(NeedsSmtpUtf8(AddressAsSent("zoë@example.com").value()));
    EXPECT_FALSE(NeedsSmtpUtf8(AddressAsSent("jan@müller.de").value()));
}

TEST(IdnaAddress, ARecipientThatIsNotValidUtf8OrHoldsAControlIsRefused) {
    const Result<std::string> latin1 = AddressAsSent("zo\xEB@example.com");
    ASSERT_FALSE(latin1);
    EXPECT_EQ(latin1.error(), "the address is not valid UTF-8");
    for (const char* address :
         {"zo\xC2\x85@example.com", "zo\xE2\x80\xA8@example.com", "zoë\r\n@example.com"}) {
        const Result<std::string> refused = AddressAsSent(address);
        ASSERT_FALSE(refused) << address;
        EXPECT_NE(refused.error().find("control character"), std::string::npos) << refused.error();
    }
}

TEST(IdnaAddress, ADomainThatIsNoIdnIsRefused) {
    // A symbol is not a letter IDNA2008 allows in a label.
    const Result<std::string> symbol = AsciiDomainAddress("jan@☃.example");
    ASSERT_FALSE(symbol);
    EXPECT_NE(symbol.error().find("not a valid internationalised domain name"), std::string::npos)
        << symbol.error();
    EXPECT_FALSE(AsciiDomainAddress("jan-at-müller.de"));
}

} // namespace
} // namespace cartwatch
