#include "smtp_reply.hpp"

#include "utf8.hpp"

#include <algorithm>
#include <cctype>

namespace cartwatch {
namespace {

// The CURLcode values that matter here, copied so this file needs no curl header. They are
// part of libcurl's stable ABI (curl/curl.h, "CURLcode").
constexpr int kCurlOk = 0;
constexpr int kCurlRemoteAccessDenied = 9;
constexpr int kCurlSslConnectError = 35;
constexpr int kCurlPeerFailedVerification = 60;
constexpr int kCurlUseSslFailed = 64;
constexpr int kCurlLoginDenied = 67;
constexpr int kCurlSslCacertBadFile = 77;
constexpr int kCurlSslIssuerError = 83;

bool IsConfigFault(int curl_code) {
    switch (curl_code) {
    case kCurlRemoteAccessDenied:
    case kCurlSslConnectError:
    case kCurlPeerFailedVerification:
    case kCurlUseSslFailed:
    case kCurlLoginDenied:
    case kCurlSslCacertBadFile:
    case kCurlSslIssuerError:
        return true;
    default:
        return false;
    }
}

// Enough for any reply a person would read; the start of a reply says what happened.
constexpr std::size_t kMaxDetailCharacters = 300;

// The verdict's text goes to the database, the log and the pause reason, and a server sends
// what it likes: Latin-1, terminal escapes, NUL. PostgreSQL refuses text that is not UTF-8,
// and then the whole report batch fails and its delivered reminders stay claimed until the
// lease runs out. So the detail is one line of valid UTF-8, capped.
std::string CleanDetail(std::string_view text) {
    const std::string line = SanitizeSingleLine(text);
    std::string capped = TruncateUtf8(line, kMaxDetailCharacters);
    if (capped.size() < line.size()) {
        capped += "...";
    }
    return capped;
}

std::string Describe(const SmtpTranscript& transcript, const SmtpReply* reply) {
    if (reply) {
        return CleanDetail(std::to_string(reply->code) + " " + reply->text);
    }
    std::string text = "curl error " + std::to_string(transcript.curl_code);
    if (!transcript.curl_error.empty()) {
        text += ": " + transcript.curl_error;
    }
    return CleanDetail(text);
}

bool ContainsIgnoringCase(std::string_view text, std::string_view part) {
    const auto equal = [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
    };
    return std::search(text.begin(), text.end(), part.begin(), part.end(), equal) != text.end();
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ContainsIgnoringCase(a, b);
}

// Whether an enhanced status code ends in subject_detail, whatever its class: "4.1.8" and
// "5.1.8" both end in ".1.8".
bool HasSubjectDetail(std::string_view status, std::string_view subject_detail) {
    return status.size() > 1 && status.substr(1) == subject_detail;
}

// The RFC 3463 address codes that say the recipient's address itself is wrong: 5.1.1 bad
// destination mailbox, 5.1.2 bad destination system, 5.1.3 bad destination mailbox syntax,
// 5.1.6 mailbox moved, 5.1.10 null MX (RFC 7505). The others prove nothing against it: 5.1.0
// is "other address status", 5.1.4 an ambiguous address, 5.1.7 and 5.1.8 are our sender's.
bool IsBadDestinationStatus(std::string_view status) {
    return status == "5.1.1" || status == "5.1.2" || status == "5.1.3" || status == "5.1.6" ||
           status == "5.1.10";
}

// Whether a reply to RCPT refuses our envelope sender. Postfix checks the sender restrictions
// at RCPT (smtpd_delay_reject = yes), so "550 5.1.0 <shop@example.com>: Sender address
// rejected: User unknown in virtual mailbox table" answers RCPT although every recipient
// would get it; suppressing the recipient would suppress every customer.
bool RefusesSender(const SmtpTranscript& transcript, const SmtpReply& reply) {
    const std::string status = EnhancedStatus(reply.text);
    // X.1.7 bad sender mailbox syntax, X.1.8 bad sender system address.
    if (HasSubjectDetail(status, ".1.7") || HasSubjectDetail(status, ".1.8")) {
        return true;
    }
    if (ContainsIgnoringCase(reply.text, "sender address")) {
        return true;
    }
    // A reply naming our sender is about it, unless the recipient is that very address.
    return !transcript.envelope_from.empty() &&
           !EqualsIgnoringCase(transcript.envelope_from, transcript.recipient) &&
           ContainsIgnoringCase(reply.text, "<" + transcript.envelope_from + ">");
}

// Whether a reply to the message (DATA or the final ".") refuses how the shop sends rather
// than what this message says: the relay checked the sender's domain against SPF, DKIM or
// DMARC, or its reverse DNS, and every message would meet the same refusal. Burning each
// reminder as a permanent failure would end the campaign one message at a time while the
// fix is a DNS record. The RFC 7372 codes: X.7.20-X.7.22 DKIM, X.7.23 and X.7.24 SPF, X.7.25
// reverse DNS, X.7.26 several checks (DMARC); X.7.27 the sender's domain takes no mail
// (RFC 7505); and any X.7 reply that names the check, as Microsoft's 5.7.509 ("does not pass
// DMARC verification") and many relays word theirs.
bool RefusesSenderAuthentication(const SmtpReply& reply) {
    const std::string status = EnhancedStatus(reply.text);
    if (status.size() < 4 || status.compare(1, 3, ".7.") != 0) {
        return false;
    }
    const std::string_view detail = std::string_view(status).substr(4);
    // 515: Microsoft's "sending domain ... does not meet the required authentication level".
    if (detail == "20" || detail == "21" || detail == "22" || detail == "23" || detail == "24" ||
        detail == "25" || detail == "26" || detail == "27" || detail == "515") {
        return true;
    }
    return ContainsIgnoringCase(reply.text, "DMARC") || ContainsIgnoringCase(reply.text, "SPF") ||
           ContainsIgnoringCase(reply.text, "DKIM");
}

// What the operator should look at when a configuration fault pauses sending: the reply or
// libcurl's error says what happened, this says which setting to change. Empty when there is
// nothing more useful to say than the reply itself.
std::string ConfigFaultHint(const SmtpTranscript& transcript, const SmtpReply* reply) {
    if (reply && transcript.last_command == "AUTH") {
        return "the server refused the login: check smtp.username and the password "
               "(smtp.password_file or CARTWATCH_SMTP_PASSWORD)";
    }
    if (reply && reply->code == 530) {
        return "the server wants a login: set smtp.username and smtp.password_file";
    }
    if (reply && (transcript.last_command == "." || transcript.last_command == "DATA") &&
        RefusesSenderAuthentication(*reply)) {
        return "the relay refuses the sender's domain authentication: check the SPF, DKIM "
               "and DMARC records of smtp.from's domain, and that the relay signs for it";
    }
    if (reply) {
        return {};
    }
    switch (transcript.curl_code) {
    case kCurlUseSslFailed:
        return "the server does not offer STARTTLS and smtp.starttls = \"required\": nothing is "
               "sent in clear";
    case kCurlPeerFailedVerification:
        if (transcript.curl_error.find("name") != std::string::npos) {
            return "the server's certificate is for another host name: put a name it was "
                   "issued for in smtp.url";
        }
        return "the server's certificate is not trusted: set smtp.ca_file to the CA "
               "certificate that signed it";
    case kCurlSslIssuerError:
        return "the server's certificate was not issued by smtp.ca_file's CA";
    case kCurlSslCacertBadFile:
        return "smtp.ca_file cannot be read or holds no CA certificate";
    case kCurlSslConnectError:
        return "the TLS handshake failed: smtps:// is for a port that speaks TLS from the "
               "start (465), smtp:// with STARTTLS for one that upgrades (587)";
    case kCurlLoginDenied:
        return "the server refused the login: check smtp.username and the password "
               "(smtp.password_file or CARTWATCH_SMTP_PASSWORD)";
    default:
        return {};
    }
}

SmtpVerdict ConfigFault(const SmtpTranscript& transcript, const SmtpReply* reply) {
    std::string detail = Describe(transcript, reply);
    const std::string hint = ConfigFaultHint(transcript, reply);
    if (!hint.empty()) {
        detail += " (" + hint + ")";
    }
    return {SmtpOutcome::kConfigFault, detail};
}

// Whether a reply to MAIL refuses this message's size, not us: libcurl announces SIZE= with
// MAIL FROM (RFC 1870), so "552 5.3.4 Message size exceeds fixed maximum message size" comes
// before the recipient is known. An enhanced code decides when there is one: X.3.4 "message
// too big for system", X.2.3 "message length exceeds administrative limit"; without one, 552.
bool RefusesMessageSize(const SmtpReply& reply) {
    const std::string status = EnhancedStatus(reply.text);
    if (status.empty()) {
        return reply.code == 552;
    }
    return HasSubjectDetail(status, ".3.4") || HasSubjectDetail(status, ".2.3");
}

// Whom a 4xx or 5xx reply turns down.
enum class Refused {
    kUs,      // the client: its connection, login or envelope sender; every message would fail
    kMessage, // this one message
    kAddress, // the recipient's address: it does not exist
};

Refused WhatIsRefused(const SmtpTranscript& transcript, const SmtpReply& reply) {
    const std::string& command = transcript.last_command;
    if (command == "DATA" || command == ".") {
        return RefusesSender(transcript, reply) || RefusesSenderAuthentication(reply)
                   ? Refused::kUs
                   : Refused::kMessage;
    }
    if (command == "RCPT") {
        if (RefusesSender(transcript, reply)) {
            return Refused::kUs;
        }
        return IsBadDestinationStatus(EnhancedStatus(reply.text)) ? Refused::kAddress
                                                                  : Refused::kMessage;
    }
    if (command == "MAIL" && RefusesMessageSize(reply)) {
        return Refused::kMessage;
    }
    // The greeting, EHLO, STARTTLS, AUTH and MAIL come before anything about the message.
    return Refused::kUs;
}

} // namespace

std::string_view OutcomeName(SmtpOutcome outcome) {
    switch (outcome) {
    case SmtpOutcome::kSent:
        return "sent";
    case SmtpOutcome::kTransient:
        return "transient";
    case SmtpOutcome::kPermanent:
        return "permanent";
    case SmtpOutcome::kBadAddress:
        return "bad_address";
    case SmtpOutcome::kUnknown:
        return "unknown";
    case SmtpOutcome::kServerUnavailable:
        return "server_unavailable";
    case SmtpOutcome::kConfigFault:
        return "config_fault";
    }
    return "?";
}

SmtpReply ParseReplyLine(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.remove_suffix(1);
    }
    if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
        !std::isdigit(static_cast<unsigned char>(line[1])) ||
        !std::isdigit(static_cast<unsigned char>(line[2])) ||
        (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
        return {};
    }
    SmtpReply reply;
    reply.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    reply.text = std::string(line.size() > 4 ? line.substr(4) : std::string_view());
    return reply;
}

std::string EnhancedStatus(std::string_view text) {
    // class "." subject "." detail: 2, 4 or 5, then 1-3 digits, then 1-3 digits (RFC 3463).
    std::size_t pos = 0;
    if (text.empty() || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text.size() < 5 ||
        text[1] != '.') {
        return {};
    }
    pos = 2;
    for (int part = 0; part < 2; ++part) {
        const std::size_t start = pos;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
            ++pos;
        }
        if (pos == start || pos - start > 3) {
            return {};
        }
        if (part == 0) {
            if (pos >= text.size() || text[pos] != '.') {
                return {};
            }
            ++pos;
        }
    }
    if (pos < text.size() && text[pos] != ' ') {
        return {};
    }
    return std::string(text.substr(0, pos));
}

SmtpVerdict ClassifyTranscript(const SmtpTranscript& transcript) {
    const SmtpReply* last = transcript.replies.empty() ? nullptr : &transcript.replies.back();
    if (transcript.curl_code == kCurlOk) {
        return {SmtpOutcome::kSent, last ? Describe(transcript, last) : "sent"};
    }
    // A 4xx or 5xx reply is the server's word, whatever libcurl made of it.
    if (last && last->code >= 500) {
        switch (WhatIsRefused(transcript, *last)) {
        case Refused::kUs:
            return ConfigFault(transcript, last);
        case Refused::kAddress:
            return {SmtpOutcome::kBadAddress, Describe(transcript, last)};
        case Refused::kMessage:
            return {SmtpOutcome::kPermanent, Describe(transcript, last)};
        }
    }
    if (last && last->code >= 400) {
        // 421 closes the session, and a 4xx to us is about the server or us (rate limits,
        // greylisting of the client, a sender domain that does not resolve yet): nothing about
        // this message was judged.
        if (last->code == 421 || WhatIsRefused(transcript, *last) == Refused::kUs) {
            return {SmtpOutcome::kServerUnavailable, Describe(transcript, last)};
        }
        return {SmtpOutcome::kTransient, Describe(transcript, last)};
    }
    if (IsConfigFault(transcript.curl_code)) {
        return ConfigFault(transcript, nullptr);
    }
    // No 4xx/5xx reply. After a 354 the body went out; a missing reply to the final "." means
    // the server may have queued it (RFC 5321 section 4.5.3.2.6 warns of duplicates here).
    if (transcript.data_accepted) {
        return {SmtpOutcome::kUnknown,
                Describe(transcript, nullptr) + " after the message body was sent"};
    }
    return {SmtpOutcome::kServerUnavailable, Describe(transcript, nullptr)};
}

} // namespace cartwatch
