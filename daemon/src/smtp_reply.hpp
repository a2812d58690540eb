// What an SMTP transaction's outcome means for the reminder: sent, retry later, give up
// (and perhaps suppress the address), or "unknown" when the server may have taken the message
// without saying so. Pure: it reads the replies libcurl saw, so unit tests feed it replies.
//
// The rules (RFC 5321 section 4.2.1, RFC 3463):
//   no error                                  -> sent
//   5xx to the greeting, EHLO, AUTH or MAIL    -> the server refuses *us*: configuration fault
//   552, X.3.4 or X.2.3 to MAIL                -> this message is too big (libcurl announces
//                                                 SIZE=): a 5xx gives it up, a 4xx retries
//                                                 it; sending goes on
//   5xx to RCPT that refuses our sender        -> configuration fault as well: X.1.7, X.1.8,
//     (Postfix checks the sender at RCPT)         "Sender address" or our envelope sender named
//   5xx to RCPT with a bad-destination code    -> permanent, suppress the address: 5.1.1, 5.1.2,
//                                                 5.1.3, 5.1.6 or 5.1.10 (null MX, RFC 7505)
//   any other 5xx to RCPT, DATA or "."         -> permanent for this message (a 5.7.x policy
//                                                 reject keeps the address: it is not at fault)
//   a 4xx reply                                -> transient: retried with the database's backoff,
//                                                 but a 4xx that refuses us (before RCPT, or
//                                                 our sender at RCPT) pauses sending instead
//   DATA was accepted (354) and no reply to
//   the final "." came                         -> unknown: never resent blindly
//   no reply at all / connection failed       -> the server is unavailable: wait, lose nothing
//   TLS, login or certificate failure          -> configuration fault: wait, lose nothing
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cartwatch {

enum class SmtpOutcome {
    kSent,              // the server took responsibility for the message
    kTransient,         // 4xx: retry later (counts as an attempt)
    kPermanent,         // 5xx: never retry this message
    kBadAddress,        // 5.1.x: never retry, and suppress the address
    kUnknown,           // maybe delivered: record it, never resend automatically
    kServerUnavailable, // nothing was sent: the reminder waits, no attempt is used
    kConfigFault,       // TLS, auth, certificate, policy (5.7.x): wait, alert, no attempt used
};

std::string_view OutcomeName(SmtpOutcome outcome);

// One reply line as the server sent it, code first: "250 2.0.0 OK queued as 1234".
struct SmtpReply {
    int code = 0;
    std::string text;
};

// What one send attempt produced.
struct SmtpTranscript {
    int curl_code = 0;              // CURLcode of the transfer (0 = CURLE_OK)
    std::string curl_error;         // libcurl's error buffer
    std::vector<SmtpReply> replies; // every reply, oldest first
    bool data_accepted = false;     // a 354 came: the message body was (being) sent
    // The verb of the command the last reply answered: "" for the greeting, "EHLO", "AUTH",
    // "STARTTLS", "MAIL", "RCPT", "DATA", or "." for the end of the message.
    std::string last_command;
    // The envelope of the attempt ("" for a probe): a reply to RCPT that names the envelope
    // sender refuses the sender, not the recipient.
    std::string envelope_from;
    std::string recipient;
};

struct SmtpVerdict {
    SmtpOutcome outcome = SmtpOutcome::kSent;
    // For logs and the database: the reply or the error as one line of valid UTF-8 without
    // control characters, at most a few hundred characters.
    std::string detail;
};

// Parses "250-SIZE" / "550 5.1.1 User unknown" into a reply; code 0 when it is not one.
SmtpReply ParseReplyLine(std::string_view line);

// The enhanced status code of a reply text ("5.1.1 User unknown" -> "5.1.1"); empty if none.
std::string EnhancedStatus(std::string_view text);

// Classifies a finished transfer by the rules above.
SmtpVerdict ClassifyTranscript(const SmtpTranscript& transcript);

} // namespace cartwatch
