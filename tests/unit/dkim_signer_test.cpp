// Signs real reminders with a throwaway RSA key and verifies them with
// libopendkim's own verifier, fed the public key from a file instead of DNS
// (DKIM_QUERY_FILE), so the test runs offline.
#include "dkim_signer.hpp"

#include "mime.hpp"
#include "sample_reminders.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include "opendkim_api.hpp"

#include <unistd.h>

#include <fstream>
#include <memory>

namespace cartwatch {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kDomain[] = "zoltapolka.example";
constexpr char kSelector[] = "mail2024";

// Writes a fresh 2048-bit key as PEM and its public half as a DNS-style
// TXT record in the format DKIM_QUERY_FILE reads ("name value" lines).
class DkimSignerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new fs::path(fs::temp_directory_path() /
                            ("cartwatch-dkim-" + std::to_string(::getpid())));
        fs::create_directories(*dir_);
        std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), EVP_PKEY_free);
        ASSERT_NE(nullptr, key);
        std::unique_ptr<BIO, decltype(&BIO_free)> pem(BIO_new(BIO_s_mem()), BIO_free);
        PEM_write_bio_PrivateKey(pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
        char* data = nullptr;
        const long size = BIO_get_mem_data(pem.get(), &data);
        std::ofstream(*dir_ / "private.pem", std::ios::binary).write(data, size);

        unsigned char* der = nullptr;
        const int der_size = i2d_PUBKEY(key.get(), &der);
        std::string base64(4 * ((der_size + 2) / 3) + 1, '\0');
        base64.resize(
            EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()), der, der_size));
        OPENSSL_free(der);
        std::ofstream(*dir_ / "keys.txt")
            << kSelector << "._domainkey." << kDomain << " v=DKIM1; k=rsa; p=" << base64 << "\n";
    }
    static void TearDownTestSuite() {
        fs::remove_all(*dir_);
        delete dir_;
    }

    static DkimSettings Settings() {
        return {kDomain, kSelector, *dir_ / "private.pem", std::nullopt};
    }

    // Runs libopendkim's verifier over a complete message.
    static DKIM_STAT Verify(const std::string& message, std::string* signed_headers = nullptr) {
        std::unique_ptr<DKIM_LIB, decltype(&dkim_close)> lib(dkim_init(nullptr, nullptr),
                                                             dkim_close);
        dkim_query_t method = DKIM_QUERY_FILE;
        dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &method, sizeof method);
        const std::string key_file = (*dir_ / "keys.txt").string();
        dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO,
                     const_cast<char*>(key_file.c_str()), key_file.size());
        DKIM_STAT status = DKIM_STAT_OK;
        std::unique_ptr<DKIM, decltype(&dkim_free)> handle(
            dkim_verify(lib.get(), reinterpret_cast<const unsigned char*>("test"), nullptr,
                        &status),
            dkim_free);
        if (!handle) {
            return status;
        }
        const std::size_t header_end = message.find("\r\n\r\n");
        std::size_t start = 0;
        while (start < header_end + 2) {
            std::size_t end = message.find("\r\n", start);
            while (message[end + 2] == ' ' || message[end + 2] == '\t') {
                end = message.find("\r\n", end + 2);
            }
            std::string field = message.substr(start, end - start);
            status = dkim_header(handle.get(), reinterpret_cast<unsigned char*>(field.data()),
                                 field.size());
            if (status != DKIM_STAT_OK) {
                return status;
            }
            start = end + 2;
        }
        if ((status = dkim_eoh(handle.get())) != DKIM_STAT_OK) {
            return status;
        }
        std::string body = message.substr(header_end + 4);
        dkim_body(handle.get(), reinterpret_cast<unsigned char*>(body.data()), body.size());
        status = dkim_eom(handle.get(), nullptr);
        if (signed_headers != nullptr) {
            const DKIM_SIGINFO* sig = dkim_getsignature(handle.get());
            if (sig != nullptr) {
                const unsigned char* h =
                    dkim_sig_gettagvalue(const_cast<DKIM_SIGINFO*>(sig), false,
                                         reinterpret_cast<unsigned char*>(const_cast<char*>("h")));
                *signed_headers = h ? reinterpret_cast<const char*>(h) : "";
            }
        }
        return status;
    }

    // `email`: the recipient, when not the sample's own.
    static std::string SignedReminder(const DkimSigner& signer, const std::string& email = "") {
        static const TemplateSet templates(samples::TemplateRoot());
        MessageOptions options = samples::FixedOptions("dkim");
        options.dkim = &signer;
        ReminderMessage reminder = samples::Typical("pl", ReminderStep::kSecond);
        if (!email.empty()) {
            reminder.email = email;
        }
        const auto built = BuildReminder(templates, reminder, options);
        EXPECT_TRUE(built.ok()) << built.error();
        return built.ok() ? built->bytes : "";
    }

    static fs::path* dir_;
};

fs::path* DkimSignerTest::dir_ = nullptr;

TEST_F(DkimSignerTest, SignatureVerifiesAndCoversTheRequiredHeaders) {
    const DkimSigner signer(Settings());
    const std::string message = SignedReminder(signer);
    ASSERT_THAT(message,
                testing::StartsWith(
                    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=zoltapolka.example;"));
    std::string signed_headers;
    EXPECT_EQ(DKIM_STAT_OK, Verify(message, &signed_headers)) << message.substr(0, 800);
    for (const char* name : {"From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe",
                             "List-Unsubscribe-Post", "MIME-Version", "Content-Type"}) {
        EXPECT_THAT(":" + signed_headers + ":", HasSubstr(std::string(":") + name + ":"))
            << signed_headers;
    }
    // The signature header follows the message's own line rules.
    const std::string signature = message.substr(0, message.find("\r\nDate:"));
    for (std::size_t pos = 0; (pos = signature.find('\n', pos)) != std::string::npos; ++pos) {
        EXPECT_EQ('\r', signature[pos - 1]);
    }
}

// A To: in UTF-8 (RFC 6532, sent under SMTPUTF8) is signed as the bytes it is: the signature
// verifies, covers To, and breaks when the address changes by one letter.
TEST_F(DkimSignerTest, ASignatureOverAUtf8AddressVerifies) {
    const DkimSigner signer(Settings());
    std::string message = SignedReminder(signer, "zoë@example.de");
    ASSERT_NE(message.find("<zoë@example.de>\r\n"), std::string::npos) << message.substr(0, 800);
    std::string signed_headers;
    EXPECT_EQ(DKIM_STAT_OK, Verify(message, &signed_headers)) << message.substr(0, 800);
    EXPECT_THAT(":" + signed_headers + ":", HasSubstr(":To:")) << signed_headers;
    message.replace(message.find("zoë@"), std::string("zoë").size(), "zoé");
    EXPECT_NE(DKIM_STAT_OK, Verify(message));
}

TEST_F(DkimSignerTest, TamperedMessageFailsVerification) {
    const DkimSigner signer(Settings());
    std::string message = SignedReminder(signer);
    const std::size_t subject = message.find("\r\nSubject: ");
    message.insert(subject + 11, "X");
    EXPECT_NE(DKIM_STAT_OK, Verify(message));

    message = SignedReminder(signer);
    message.replace(message.find("Razem"), 5, "RAZEM");
    EXPECT_NE(DKIM_STAT_OK, Verify(message));
}

TEST_F(DkimSignerTest, FixedTimeMakesSignaturesReproducible) {
    DkimSettings settings = Settings();
    settings.fixed_time = 1730811787;
    const DkimSigner signer(settings);
    const std::string first = SignedReminder(signer);
    EXPECT_EQ(first, SignedReminder(signer));
    EXPECT_THAT(first, HasSubstr("t=1730811787;"));
}

TEST_F(DkimSignerTest, BadKeysFailAtStartUpWithAClearError) {
    std::ofstream(*dir_ / "garbage.pem")
        << "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";
    DkimSettings settings = Settings();
    settings.private_key_file = *dir_ / "garbage.pem";
    try {
        DkimSigner signer(settings);
        FAIL() << "a garbage key was accepted";
    } catch (const DkimError& error) {
        EXPECT_THAT(error.what(), HasSubstr("garbage.pem"));
    }
    settings.private_key_file = *dir_ / "missing.pem";
    EXPECT_THROW(DkimSigner{settings}, DkimError);
    settings = Settings();
    settings.selector.clear();
    EXPECT_THROW(DkimSigner{settings}, DkimError);
}

TEST_F(DkimSignerTest, RefusesSomethingThatIsNotAMessage) {
    const DkimSigner signer(Settings());
    EXPECT_FALSE(signer.Sign("no header/body separator").ok());
}

} // namespace
} // namespace cartwatch
