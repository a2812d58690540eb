// Sending one message: over SMTP with libcurl (one persistent connection per sender), or, for
// a dry run, into a folder of .eml files. Both are a MessageTransport, used from one sender
// thread at a time.
#pragma once

#include "smtp_reply.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace cartwatch {

struct OutgoingMessage {
    std::int64_t reminder_id = 0;
    std::string envelope_from;
    std::string recipient;
    std::string bytes; // RFC 5322, CRLF line ends, not dot-stuffed (libcurl does that)
};

class MessageTransport {
public:
    virtual ~MessageTransport() = default;
    // Sends and reports what happened; never throws.
    virtual SmtpTranscript Send(const OutgoingMessage& message) = 0;
};

struct SmtpSettings {
    std::string url; // smtp://host:port or smtps://host:port
    std::string helo_name;
    std::string username;
    std::string password;
    bool require_starttls = true;
    std::string ca_file;
    bool verify_peer = true;
    std::chrono::milliseconds connect_timeout{15000};
    std::chrono::milliseconds response_timeout{60000};
    std::chrono::milliseconds idle_timeout{60000};
};

// One libcurl easy handle: consecutive sends reuse its connection (libcurl sends QUIT when the
// handle is destroyed, and reconnects by itself after a failed transfer).
class SmtpTransport final : public MessageTransport {
public:
    explicit SmtpTransport(SmtpSettings settings);
    ~SmtpTransport() override;
    SmtpTransport(const SmtpTransport&) = delete;
    SmtpTransport& operator=(const SmtpTransport&) = delete;

    SmtpTranscript Send(const OutgoingMessage& message) override;

    // Connects, greets, upgrades to TLS and logs in, then stops: check-config's proof that
    // the settings work, without sending anything.
    SmtpTranscript Probe();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Writes <dir>/<reminder_id>-<recipient>.eml and reports a 250 reply.
class DryRunTransport final : public MessageTransport {
public:
    explicit DryRunTransport(std::string directory) : directory_(std::move(directory)) {}
    SmtpTranscript Send(const OutgoingMessage& message) override;

private:
    std::string directory_;
};

// The URL libcurl is given: its path is the EHLO name (smtp://host:587/client.example).
std::string SmtpUrlWithHelo(const std::string& url, const std::string& helo_name);

// Whether an address is safe on an SMTP command line: libcurl 7.88 passes CR and LF through.
bool IsPlainAddress(const std::string& address);

} // namespace cartwatch
