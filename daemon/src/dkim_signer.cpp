// Design note: libopendkim wants the message as separate header fields
// (folding kept, final CRLF dropped), then the body. The message built by
// mime.cpp is split at the first empty line and fed that way; relaxed/relaxed
// canonicalisation makes the signature survive relays that refold headers.
// The returned field uses CRLF like the rest of the message (the library
// folds with a bare LF).
#include "dkim_signer.hpp"

#include "file_reading.hpp"
#include "opendkim_api.hpp"

#include <memory>

namespace cartwatch {
namespace {

// RFC 8058 3.1 requires List-Unsubscribe and List-Unsubscribe-Post to be
// signed; the rest are what RFC 6376 5.4.1 recommends for this message.
const std::vector<std::string> kSignedHeaders{
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Language",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
};

struct HandleCloser {
    void operator()(DKIM* handle) const { dkim_free(handle); }
};
using DkimHandle = std::unique_ptr<DKIM, HandleCloser>;

std::string ReadKey(const std::filesystem::path& path) {
    std::optional<std::string> key = ReadWholeFile(path);
    if (!key || key->empty()) {
        throw DkimError("cannot read DKIM private key " + path.string());
    }
    return std::move(*key);
}

std::string StatusText(DKIM_STAT status, DKIM* handle) {
    std::string text = dkim_getresultstr(status);
    const char* detail = handle != nullptr ? dkim_geterror(handle) : nullptr;
    if (detail != nullptr && *detail != '\0') {
        text += std::string(" (") + detail + ")";
    }
    return text;
}

// Splits "Name: value\r\n folded\r\nNext: ..." into fields without their
// final CRLF, as dkim_header() expects.
std::vector<std::string_view> SplitHeaderFields(std::string_view header_block) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (start < header_block.size()) {
        std::size_t end = header_block.find("\r\n", start);
        while (end != std::string_view::npos && end + 2 < header_block.size() &&
               (header_block[end + 2] == ' ' || header_block[end + 2] == '\t')) {
            end = header_block.find("\r\n", end + 2);
        }
        if (end == std::string_view::npos) {
            end = header_block.size();
        }
        fields.push_back(header_block.substr(start, end - start));
        start = end + 2;
    }
    return fields;
}

} // namespace

const std::vector<std::string>& DkimSigner::SignedHeaders() {
    return kSignedHeaders;
}

DkimSigner::DkimSigner(DkimSettings settings)
    : settings_(std::move(settings)), library_(dkim_init(nullptr, nullptr), [](dkim_lib* lib) {
          if (lib != nullptr) {
              dkim_close(lib);
          }
      }) {
    if (!library_) {
        throw DkimError("libopendkim failed to initialise");
    }
    if (settings_.domain.empty() || settings_.selector.empty()) {
        throw DkimError("DKIM needs a domain and a selector");
    }
    private_key_ = ReadKey(settings_.private_key_file);
    if (settings_.fixed_time) {
        std::uint64_t fixed = *settings_.fixed_time;
        dkim_options(library_.get(), DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &fixed, sizeof fixed);
    }
    // A key that libopendkim cannot use must fail here, not on every send.
    const Result<std::string> probe =
        Sign("From: probe@" + settings_.domain + "\r\nSubject: probe\r\n\r\nprobe\r\n");
    if (!probe) {
        throw DkimError("DKIM key " + settings_.private_key_file.string() +
                        " cannot sign: " + probe.error());
    }
}

DkimSigner::~DkimSigner() = default;

Result<std::string> DkimSigner::Sign(std::string_view message) const {
    const std::size_t header_end = message.find("\r\n\r\n");
    if (header_end == std::string_view::npos) {
        return Fail("message has no header/body separator");
    }
    DKIM_STAT status = DKIM_STAT_OK;
    // libopendkim's API is not const-correct; it copies what it is given.
    auto* key = reinterpret_cast<dkim_sigkey_t>(const_cast<char*>(private_key_.c_str()));
    DkimHandle handle(
        dkim_sign(library_.get(), reinterpret_cast<const unsigned char*>("cartwatch"), nullptr, key,
                  reinterpret_cast<const unsigned char*>(settings_.selector.c_str()),
                  reinterpret_cast<const unsigned char*>(settings_.domain.c_str()),
                  DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &status));
    if (!handle) {
        return Fail(StatusText(status, nullptr));
    }
    // Per handle rather than as a library default, so the list stays next
    // to the RFC 8058 requirement it implements.
    std::vector<const char*> names;
    for (const std::string& name : kSignedHeaders) {
        names.push_back(name.c_str());
    }
    names.push_back(nullptr);
    status = dkim_signhdrs(handle.get(), names.data());
    for (std::string_view field : SplitHeaderFields(message.substr(0, header_end + 2))) {
        if (status != DKIM_STAT_OK) {
            break;
        }
        // dkim_header() takes a non-const buffer although it only reads it.
        std::string copy(field);
        status =
            dkim_header(handle.get(), reinterpret_cast<unsigned char*>(copy.data()), copy.size());
    }
    if (status == DKIM_STAT_OK) {
        status = dkim_eoh(handle.get());
    }
    if (status == DKIM_STAT_OK) {
        std::string body(message.substr(header_end + 4));
        status =
            dkim_body(handle.get(), reinterpret_cast<unsigned char*>(body.data()), body.size());
    }
    if (status == DKIM_STAT_OK) {
        status = dkim_eom(handle.get(), nullptr);
    }
    unsigned char* signature = nullptr;
    std::size_t signature_length = 0;
    const std::string field_name = DKIM_SIGNHEADER;
    if (status == DKIM_STAT_OK) {
        status =
            dkim_getsighdr_d(handle.get(), field_name.size() + 2, &signature, &signature_length);
    }
    if (status != DKIM_STAT_OK) {
        return Fail(StatusText(status, handle.get()));
    }
    std::string field = field_name + ": ";
    for (std::size_t i = 0; i < signature_length; ++i) {
        const char c = static_cast<char>(signature[i]);
        if (c == '\n' && (i == 0 || signature[i - 1] != '\r')) {
            field += '\r';
        }
        field += c;
    }
    field += "\r\n";
    return field;
}

} // namespace cartwatch
