#include "smtp_reply.hpp"

#include "utf8.hpp"

#include <gtest/gtest.h>

namespace cartwatch {

// Failures print "bad_address", not the enum's bytes.
void PrintTo(SmtpOutcome outcome, std::ostream* out) {
    *out << OutcomeName(outcome);
}

namespace {

// A transcript as the sender records it: the command the last reply answered, the replies.
SmtpTranscript Transcript(int curl_code, std::string last_command, std::vector<SmtpReply> replies,
                          bool data_accepted = false) {
    SmtpTranscript t;
    t.curl_code = curl_code;
    t.last_command = std::move(last_command);
    t.replies = std::move(replies);
    t.data_accepted = data_accepted;
    return t;
}

// A reply to RCPT for customer@x.example, sent with the shop's envelope sender.
SmtpTranscript AtRcpt(int code, std::string text, std::string recipient = "customer@x.example") {
    SmtpTranscript t = Transcript(55, "RCPT", {{220, "mx.example ESMTP"}, {code, std::move(text)}});
    t.envelope_from = "shop@example.com";
    t.recipient = std::move(recipient);
    return t;
}

const SmtpReply kGreeting{220, "mx.example ESMTP"};
const SmtpReply kOk{250, "2.1.0 OK"};
const SmtpReply kData{354, "End data with <CR><LF>.<CR><LF>"};

TEST(SmtpReply, ParsesReplyLines) {
    EXPECT_EQ(ParseReplyLine("250 2.0.0 OK queued as ABC\r\n").code, 250);
    EXPECT_EQ(ParseReplyLine("250 2.0.0 OK queued as ABC\r\n").text, "2.0.0 OK queued as ABC");
    EXPECT_EQ(ParseReplyLine("250-PIPELINING\r\n").code, 250);
    EXPECT_EQ(ParseReplyLine("250").code, 250);
    EXPECT_EQ(ParseReplyLine("hello").code, 0);
    EXPECT_EQ(ParseReplyLine("25x OK").code, 0);
    EXPECT_EQ(ParseReplyLine("2500 OK").code, 0);
}

TEST(SmtpReply, FindsTheEnhancedStatusCode) {
    EXPECT_EQ(EnhancedStatus("5.1.1 <x@example.com>: User unknown"), "5.1.1");
    EXPECT_EQ(EnhancedStatus("4.7.0 Try later"), "4.7.0");
    EXPECT_EQ(EnhancedStatus("5.7.26 Unauthenticated email"), "5.7.26");
    EXPECT_EQ(EnhancedStatus("5.1.10"), "5.1.10");
    EXPECT_EQ(EnhancedStatus("User unknown"), "");
    EXPECT_EQ(EnhancedStatus("3.1.1 no such class"), "");
    EXPECT_EQ(EnhancedStatus("5.1.1x"), "");
    EXPECT_EQ(EnhancedStatus("5.1234.1 too long"), "");
}

TEST(SmtpReply, AcceptedMessageIsSent) {
    auto v = ClassifyTranscript(
        Transcript(0, ".", {kGreeting, kOk, kOk, kData, {250, "2.0.0 OK queued as 42"}}, true));
    EXPECT_EQ(v.outcome, SmtpOutcome::kSent);
    EXPECT_EQ(v.detail, "250 2.0.0 OK queued as 42");
}

// The detail goes to PostgreSQL, which refuses text that is not UTF-8, and to the log.
TEST(SmtpReply, DetailIsOneLineOfValidUtf8) {
    // "äöü" in Latin-1 after a message the server took: still sent, with U+FFFD for each byte.
    auto sent = ClassifyTranscript(
        Transcript(0, ".", {kData, {250, "2.0.0 Ok: queued as ABC \xe4\xf6\xfc"}}, true));
    EXPECT_EQ(sent.outcome, SmtpOutcome::kSent);
    EXPECT_EQ(sent.detail, "250 2.0.0 Ok: queued as ABC \uFFFD\uFFFD\uFFFD");

    // CR, LF and TAB become a space; NUL, ESC and the other controls are dropped.
    using namespace std::string_literals; // the NUL stays in the text
    auto rejected = ClassifyTranscript(
        Transcript(55, "RCPT", {{550, "5.1.1 <p@x.example>:\r\n\tUser\0 unknown\x1b[31m\x07"s}}));
    EXPECT_EQ(rejected.outcome, SmtpOutcome::kBadAddress);
    EXPECT_EQ(rejected.detail, "550 5.1.1 <p@x.example>: User unknown[31m");

    // libcurl's error text may quote the server too.
    SmtpTranscript refused = Transcript(7, "", {});
    refused.curl_error = "Failed to connect to mx\xff\n";
    EXPECT_EQ(ClassifyTranscript(refused).detail, "curl error 7: Failed to connect to mx\uFFFD");

    // A reply of any length is capped at a few hundred characters, never inside one.
    std::string huge = "2.0.0 Ok";
    for (int i = 0; i < 2000; ++i) {
        huge += " \xc3\xa4";
    }
    const std::string capped = ClassifyTranscript(Transcript(0, ".", {{250, huge}})).detail;
    EXPECT_LE(capped.size(), 1000u);
    EXPECT_TRUE(IsValidUtf8(capped));
    EXPECT_EQ(capped.rfind("250 2.0.0 Ok \xc3\xa4", 0), 0u);
    EXPECT_EQ(capped.substr(capped.size() - 3), "...");
}

TEST(SmtpReply, UnknownMailboxIsSuppressed) {
    // libcurl: CURLE_SEND_ERROR (55), last reply the RCPT's 550.
    auto v = ClassifyTranscript(
        Transcript(55, "RCPT", {kGreeting, kOk, kOk, {550, "5.1.1 <p@x.example>: User unknown"}}));
    EXPECT_EQ(v.outcome, SmtpOutcome::kBadAddress);
    EXPECT_EQ(v.detail, "550 5.1.1 <p@x.example>: User unknown");
}

// RFC 3463: only the codes that say the destination address is wrong prove the mailbox bad.
TEST(SmtpReply, OnlyBadDestinationCodesSuppress) {
    for (const char* text : {"5.1.1 <customer@x.example>: Recipient address rejected",
                             "5.1.2 Domain x.example not found", "5.1.3 Bad recipient syntax",
                             "5.1.6 Mailbox has moved", "5.1.10 Recipient domain has null MX"}) {
        EXPECT_EQ(ClassifyTranscript(AtRcpt(550, text)).outcome, SmtpOutcome::kBadAddress) << text;
    }
    // 5.1.0 "other address status" and 5.1.4 "ambiguous" say nothing certain about the mailbox.
    EXPECT_EQ(ClassifyTranscript(AtRcpt(550, "5.1.0 Address rejected")).outcome,
              SmtpOutcome::kPermanent);
    EXPECT_EQ(ClassifyTranscript(AtRcpt(550, "5.1.4 Ambiguous address")).outcome,
              SmtpOutcome::kPermanent);
    // A recipient whose address ends like the sender's is still the recipient.
    EXPECT_EQ(ClassifyTranscript(
                  AtRcpt(550, "5.1.1 <myshop@example.com>: User unknown", "myshop@example.com"))
                  .outcome,
              SmtpOutcome::kBadAddress);
    // A shop writing to its own sender address: the reply names it as the recipient.
    EXPECT_EQ(ClassifyTranscript(
                  AtRcpt(550, "5.1.1 <shop@example.com>: User unknown", "shop@example.com"))
                  .outcome,
              SmtpOutcome::kBadAddress);
}

// Postfix checks the sender at RCPT (smtpd_delay_reject): the refusal would meet every
// recipient, so it pauses sending and suppresses nobody.
TEST(SmtpReply, SenderRefusedAtRcptIsAConfigurationFault) {
    const std::vector<SmtpReply> refusals = {
        {550, "5.1.0 <shop@example.com>: Sender address rejected: User unknown in virtual "
              "mailbox table"},
        {550, "5.1.8 <shop@example.com>: Sender address rejected: Domain not found"},
        {553, "5.1.7 Bad sender mailbox syntax"},
        {553, "5.1.8 Bad sender's system address"},
        // An undeliverable sender seen through address verification carries the remote 5.1.1.
        {550, "5.1.1 <shop@example.com>: Sender address rejected: undeliverable address"},
        {504, "5.5.2 <shop>: Sender address rejected: need fully-qualified address"},
        // No "Sender address", but it names our envelope sender (in any case).
        {550, "5.7.1 <Shop@Example.com>: Access denied"},
    };
    for (const SmtpReply& refusal : refusals) {
        const SmtpVerdict verdict = ClassifyTranscript(AtRcpt(refusal.code, refusal.text));
        EXPECT_EQ(verdict.outcome, SmtpOutcome::kConfigFault) << refusal.text;
        // The reply itself is the pause reason.
        EXPECT_EQ(verdict.detail, std::to_string(refusal.code) + " " + refusal.text);
    }
    // The 4xx form (Postfix's default for a sender domain that does not resolve) waits too,
    // instead of using up every reminder's attempts.
    EXPECT_EQ(ClassifyTranscript(AtRcpt(450, "4.1.8 <shop@example.com>: Sender address "
                                             "rejected: Domain not found"))
                  .outcome,
              SmtpOutcome::kServerUnavailable);
}

// libcurl announces SIZE= with MAIL FROM: a server's size limit answers MAIL, yet refuses this
// one message, not us. Pausing would stop all sending each time that reminder came back.
TEST(SmtpReply, OversizedMessageFailsAloneAtMail) {
    const auto at_mail = [](int code, std::string text) {
        return ClassifyTranscript(Transcript(55, "MAIL", {kGreeting, {code, std::move(text)}}));
    };
    const SmtpVerdict too_big =
        at_mail(552, "5.3.4 Message size exceeds fixed maximum message size");
    EXPECT_EQ(too_big.outcome, SmtpOutcome::kPermanent);
    EXPECT_EQ(too_big.detail, "552 5.3.4 Message size exceeds fixed maximum message size");
    EXPECT_EQ(at_mail(552, "Error: message size exceeds fixed maximum message size").outcome,
              SmtpOutcome::kPermanent); // aiosmtpd, Exim: no enhanced code
    EXPECT_EQ(at_mail(554, "5.3.4 Message too big for system").outcome, SmtpOutcome::kPermanent);
    EXPECT_EQ(at_mail(552, "5.2.3 Message length exceeds administrative limit").outcome,
              SmtpOutcome::kPermanent);
    // Too big for now: retried later, this message only.
    EXPECT_EQ(at_mail(452, "4.3.4 Message too big for system").outcome, SmtpOutcome::kTransient);
    // Out of disk is the server's state, whatever the size: every message would meet it.
    EXPECT_EQ(at_mail(452, "4.3.1 Insufficient system storage").outcome,
              SmtpOutcome::kServerUnavailable);
    // An enhanced code that is not about size decides over the 552.
    EXPECT_EQ(at_mail(552, "5.7.1 Sender blocked").outcome, SmtpOutcome::kConfigFault);
    // The same limit after the message body: given up, the address kept.
    EXPECT_EQ(ClassifyTranscript(Transcript(8, ".", {kData, {552, "5.3.4 Message too big"}}, true))
                  .outcome,
              SmtpOutcome::kPermanent);
}

TEST(SmtpReply, OtherPermanentRepliesGiveUpWithoutSuppressing) {
    EXPECT_EQ(
        ClassifyTranscript(Transcript(55, "RCPT", {kGreeting, {550, "User unknown"}})).outcome,
        SmtpOutcome::kPermanent); // no enhanced code: not sure enough to suppress
    EXPECT_EQ(
        ClassifyTranscript(Transcript(55, "RCPT", {kGreeting, {550, "5.7.1 Policy rejection"}}))
            .outcome,
        SmtpOutcome::kPermanent);
    EXPECT_EQ(ClassifyTranscript(
                  Transcript(8, ".", {kGreeting, kData, {554, "5.6.0 Message rejected"}}, true))
                  .outcome,
              SmtpOutcome::kPermanent);
}

// After the message body, a refusal of the sender's domain authentication (SPF, DKIM, DMARC,
// reverse DNS) or of the sender itself would meet every message: sending pauses until the
// domain's records are fixed, instead of giving up on each reminder in turn.
TEST(SmtpReply, SenderAuthenticationRefusedAfterTheBodyIsAConfigurationFault) {
    const auto after_body = [](int code, std::string text) {
        SmtpTranscript t =
            Transcript(8, ".", {kGreeting, kOk, kOk, kData, {code, std::move(text)}}, true);
        t.envelope_from = "shop@example.com";
        t.recipient = "customer@x.example";
        return ClassifyTranscript(t);
    };
    const std::vector<SmtpReply> ours = {
        {550, "5.7.26 Unauthenticated email from example.com is not accepted due to domain's "
              "DMARC policy"},
        {550, "5.7.20 No passing DKIM signature found"},
        {550, "5.7.23 The message was rejected because of Sender Policy Framework violation"},
        {550, "5.7.25 The IP address sending this message does not have a PTR record"},
        {550, "5.7.27 Sender address has null MX"},
        {550, "5.7.509 Access denied, sending domain example.com does not pass DMARC "
              "verification"},
        {550, "5.7.515 Access denied, sending domain example.com does not meet the required "
              "authentication level"},
        {554, "5.7.1 Message rejected: SPF check failed"},
        {554, "5.7.1 <shop@example.com>: Sender address rejected: not verified"},
        {553, "5.1.8 Sender domain not found"},
    };
    for (const SmtpReply& reply : ours) {
        const SmtpVerdict verdict = after_body(reply.code, reply.text);
        EXPECT_EQ(verdict.outcome, SmtpOutcome::kConfigFault) << reply.text;
        EXPECT_NE(verdict.detail.find(reply.text), std::string::npos) << verdict.detail;
    }
    EXPECT_NE(after_body(550, "5.7.26 DMARC policy").detail.find("check the SPF, DKIM"),
              std::string::npos);
    // Temporary: the same, waiting rather than retrying each reminder.
    EXPECT_EQ(after_body(451, "4.7.24 SPF temporary error").outcome,
              SmtpOutcome::kServerUnavailable);
    // What the message says stays this message's failure: content, size, a policy on it.
    EXPECT_EQ(after_body(554, "5.7.1 Message rejected as spam").outcome, SmtpOutcome::kPermanent);
    EXPECT_EQ(after_body(552, "5.3.4 Message too big").outcome, SmtpOutcome::kPermanent);
    EXPECT_EQ(after_body(550, "5.6.0 Message content rejected").outcome, SmtpOutcome::kPermanent);
    EXPECT_EQ(after_body(451, "4.3.0 Local error").outcome, SmtpOutcome::kTransient);
}

TEST(SmtpReply, TemporaryRepliesAreRetried) {
    EXPECT_EQ(
        ClassifyTranscript(Transcript(55, "RCPT", {kGreeting, {450, "4.2.0 greylisted"}})).outcome,
        SmtpOutcome::kTransient);
    // 451 after the message body: the server said no, so nothing was delivered.
    EXPECT_EQ(
        ClassifyTranscript(Transcript(8, ".", {kData, {451, "4.3.0 Local error"}}, true)).outcome,
        SmtpOutcome::kTransient);
}

TEST(SmtpReply, HangUpAfterTheBodyIsUnknown) {
    // libcurl: CURLE_RECV_ERROR (56) and the last reply is DATA's 354.
    auto v = ClassifyTranscript(Transcript(56, ".", {kGreeting, kOk, kOk, kData}, true));
    EXPECT_EQ(v.outcome, SmtpOutcome::kUnknown);
    // A timeout waiting for the reply to "." is just as ambiguous.
    EXPECT_EQ(ClassifyTranscript(Transcript(28, ".", {kData}, true)).outcome,
              SmtpOutcome::kUnknown);
}

TEST(SmtpReply, NoServerMeansWaitNotFail) {
    auto refused = ClassifyTranscript(Transcript(7, "", {}));
    EXPECT_EQ(refused.outcome, SmtpOutcome::kServerUnavailable);
    EXPECT_EQ(refused.detail.rfind("curl error 7", 0), 0u);
    // A hang-up before DATA: nothing was sent.
    EXPECT_EQ(ClassifyTranscript(Transcript(56, "RCPT", {kGreeting, kOk})).outcome,
              SmtpOutcome::kServerUnavailable);
    EXPECT_EQ(ClassifyTranscript(Transcript(8, "", {{421, "4.3.2 Shutting down"}})).outcome,
              SmtpOutcome::kServerUnavailable);
    EXPECT_EQ(ClassifyTranscript(Transcript(55, "MAIL", {kGreeting, {451, "4.7.1 rate"}})).outcome,
              SmtpOutcome::kServerUnavailable);
}

TEST(SmtpReply, SenderSideRefusalsAreConfigurationFaults) {
    EXPECT_EQ(
        ClassifyTranscript(Transcript(67, "AUTH", {kGreeting, {535, "5.7.8 bad creds"}})).outcome,
        SmtpOutcome::kConfigFault);
    EXPECT_EQ(ClassifyTranscript(Transcript(64, "EHLO", {kGreeting})).outcome,
              SmtpOutcome::kConfigFault); // STARTTLS required, not offered
    EXPECT_EQ(ClassifyTranscript(Transcript(60, "", {})).outcome, SmtpOutcome::kConfigFault);
    EXPECT_EQ(ClassifyTranscript(Transcript(8, "", {{554, "5.7.1 go away"}})).outcome,
              SmtpOutcome::kConfigFault);
    EXPECT_EQ(
        ClassifyTranscript(Transcript(55, "MAIL", {kGreeting, {553, "5.1.8 bad sender"}})).outcome,
        SmtpOutcome::kConfigFault); // our From, not the customer's address
    const SmtpReply relay_denied{550, "5.7.1 Relay access denied"};
    EXPECT_EQ(ClassifyTranscript(Transcript(55, "MAIL", {kGreeting, relay_denied})).outcome,
              SmtpOutcome::kConfigFault);
}

// A paused daemon's log line is all an operator sees: it names the setting to change.
TEST(SmtpReply, ConfigurationFaultsSayWhichSettingToCheck) {
    const auto detail = [](const SmtpTranscript& transcript) {
        const SmtpVerdict verdict = ClassifyTranscript(transcript);
        EXPECT_EQ(verdict.outcome, SmtpOutcome::kConfigFault);
        return verdict.detail;
    };
    const std::string login = detail(Transcript(67, "AUTH", {kGreeting, {535, "5.7.8 bad"}}));
    EXPECT_EQ(login.rfind("535 5.7.8 bad (the server refused the login", 0), 0u) << login;
    EXPECT_NE(login.find("smtp.password_file"), std::string::npos);

    SmtpTranscript untrusted = Transcript(60, "", {});
    untrusted.curl_error = "SSL certificate problem: unable to get local issuer certificate";
    EXPECT_NE(detail(untrusted).find("set smtp.ca_file"), std::string::npos) << detail(untrusted);

    SmtpTranscript wrong_host = Transcript(60, "", {});
    wrong_host.curl_error = "SSL: no alternative certificate subject name matches target host "
                            "name '127.0.0.1'";
    EXPECT_NE(detail(wrong_host).find("another host name"), std::string::npos);

    EXPECT_NE(detail(Transcript(64, "EHLO", {kGreeting})).find("nothing is sent in clear"),
              std::string::npos);
    EXPECT_NE(detail(Transcript(77, "", {})).find("smtp.ca_file cannot be read"),
              std::string::npos);
    EXPECT_NE(detail(Transcript(55, "MAIL", {kGreeting, {530, "5.7.0 Authentication required"}}))
                  .find("set smtp.username"),
              std::string::npos);
    // A refusal that names its own reason gets no guess added.
    EXPECT_EQ(detail(Transcript(8, "", {{554, "5.7.1 go away"}})), "554 5.7.1 go away");
}

} // namespace
} // namespace cartwatch
