// Sending one message: over SMTP with libcurl (one persistent connection per sender), or, for
// a dry run, into a folder of .eml files. Both are a MessageTransport, used from one sender
// thread at a time.
#pragma once

#include "smtp_reply.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace cartwatch {

struct OutgoingMessage {
    std::int64_t reminder_id = 0;
    std::string envelope_from;
    std::string recipient;
    std::string bytes; // RFC 5322, CRLF line ends, not dot-stuffed (libcurl does that)
};

// Work a sender thread can do while its transport waits for the server: preparing the next
// message. Called at most once per send, on the sending thread.
using WhileWaiting = std::function<void()>;

class MessageTransport {
public:
    virtual ~MessageTransport() = default;
    // Sends and reports what happened; never throws. `while_waiting` (may be empty) runs at
    // most once, on this thread, once the message's first command is on its way and before
    // Send returns; a transport that never waits may not call it at all.
    virtual SmtpTranscript Send(const OutgoingMessage& message,
                                const WhileWaiting& while_waiting) = 0;
    SmtpTranscript Send(const OutgoingMessage& message) { return Send(message, WhileWaiting()); }
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

// One libcurl easy handle, driven through a multi handle of its own: consecutive sends reuse
// its connection (libcurl sends QUIT when the transport is destroyed, and reconnects by
// itself after a failed transfer), and the thread gets control back while the server thinks
// over MAIL, RCPT and DATA: one of those waits is when while_waiting runs.
class SmtpTransport final : public MessageTransport {
public:
    explicit SmtpTransport(SmtpSettings settings);
    ~SmtpTransport() override;
    SmtpTransport(const SmtpTransport&) = delete;
    SmtpTransport& operator=(const SmtpTransport&) = delete;

    using MessageTransport::Send;
    SmtpTranscript Send(const OutgoingMessage& message, const WhileWaiting& while_waiting) override;

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
    using MessageTransport::Send;
    // Calls while_waiting before it writes the file.
    SmtpTranscript Send(const OutgoingMessage& message, const WhileWaiting& while_waiting) override;

private:
    std::string directory_;
};

// The URL libcurl is given: its path is the EHLO name (smtp://host:587/client.example).
std::string SmtpUrlWithHelo(const std::string& url, const std::string& helo_name);

// Whether an address is safe on an SMTP command line: libcurl 7.88 passes CR and LF through.
bool IsPlainAddress(const std::string& address);

} // namespace cartwatch
