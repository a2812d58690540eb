// In-process DKIM signing (RFC 6376) with libopendkim, for deployments whose
// relay does not sign. RFC 8058 one-click unsubscribe is only honoured when a
// valid signature covers both List-Unsubscribe headers.
#ifndef CARTWATCH_DKIM_SIGNER_HPP
#define CARTWATCH_DKIM_SIGNER_HPP

#include "result.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// libopendkim's library handle, kept opaque so its header stays in the .cpp.
struct dkim_lib;

namespace cartwatch {

class DkimError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct DkimSettings {
    std::string domain;                     // d=, normally the From domain (DMARC alignment)
    std::string selector;                   // s=
    std::filesystem::path private_key_file; // PEM RSA key
    /// Fixes the t= timestamp; only tests set it.
    std::optional<std::uint64_t> fixed_time;
};

class DkimSigner {
public:
    /// Header fields covered by every signature, in h= order.
    static const std::vector<std::string>& SignedHeaders();

    /// Reads the key and signs a probe message so that an unreadable or
    /// unusable key stops start-up. Throws DkimError.
    explicit DkimSigner(DkimSettings settings);
    ~DkimSigner();
    DkimSigner(const DkimSigner&) = delete;
    DkimSigner& operator=(const DkimSigner&) = delete;

    /// Returns the "DKIM-Signature: ..." field (folded, ending in CRLF) to
    /// put in front of `message`, which must be a complete CRLF message.
    Result<std::string> Sign(std::string_view message) const;

private:
    DkimSettings settings_;
    std::string private_key_;
    std::unique_ptr<dkim_lib, void (*)(dkim_lib*)> library_;
};

} // namespace cartwatch

#endif
