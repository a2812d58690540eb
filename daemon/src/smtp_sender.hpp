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

// One SMTP connection, kept between sends. libcurl connects, verifies the certificate,
// upgrades to TLS and logs in; when the server offers PIPELINING (RFC 2920) the transport then
// writes MAIL, RCPT and DATA in one go over libcurl's connection and reads their replies
// together, two round trips a message instead of libcurl's four. Without PIPELINING libcurl
// sends the message itself. A connection the server dropped while idle is opened again, and
// the message sent on it, before anything is reported. An envelope beyond ASCII (a local part
// in UTF-8) goes with SMTPUTF8 on MAIL, on both ways, and only to a server that offers it;
// to one that does not it is refused before MAIL: a recipient's as a permanent failure of that
// message, the sender's (smtp.from) as a configuration fault, since every message would meet it.
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

    // Whether the server's last EHLO, on a probe or a send, offered an extension ("SMTPUTF8").
    bool Offers(const std::string& keyword) const;

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
// Bytes beyond ASCII must be valid UTF-8 (RFC 6531 addresses).
bool IsPlainAddress(const std::string& address);

// A message (CRLF line ends) as DATA carries it: every line that starts with "." gets another
// (RFC 5321 section 4.5.2), and CRLF "." CRLF ends it.
std::string DotStuffed(const std::string& bytes);

} // namespace cartwatch
