#include "smtp_sender.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

// Nothing listens on port 9 here, and nothing connects: these sends stop before any I/O.
SmtpTranscript SendLocally(std::string envelope_from, std::string recipient) {
    SmtpSettings settings;
    settings.url = "smtp://127.0.0.1:9";
    SmtpTransport transport(settings);
    OutgoingMessage message;
    message.reminder_id = 1;
    message.envelope_from = std::move(envelope_from);
    message.recipient = std::move(recipient);
    message.bytes = "Subject: x\r\n\r\nx\r\n";
    return transport.Send(message);
}

// DATA's transparency: a line of the message that starts with "." would otherwise end it
// early, and what follows would reach the server as commands.
TEST(SmtpSender, DotStuffingDoublesLeadingDotsAndEndsTheData) {
    EXPECT_EQ(DotStuffed("Subject: x\r\n\r\nbody\r\n"), "Subject: x\r\n\r\nbody\r\n.\r\n");
    EXPECT_EQ(DotStuffed(".first\r\nsecond\r\n.\r\n..third\r\nlast"),
              "..first\r\nsecond\r\n..\r\n...third\r\nlast\r\n.\r\n");
    // A dot inside a line stays as it is; an empty message is just the end.
    EXPECT_EQ(DotStuffed("a.b\r\n"), "a.b\r\n.\r\n");
    EXPECT_EQ(DotStuffed(""), "\r\n.\r\n");
}

TEST(SmtpSender, AnAddressThatIsNotPlainIsRefusedBeforeSending) {
    const SmtpVerdict verdict =
        ClassifyTranscript(SendLocally("shop@example.com", "anna@example.com\r\nRSET"));
    EXPECT_EQ(OutcomeName(verdict.outcome), "bad_address");
    EXPECT_EQ(verdict.detail, "553 5.1.3 address refused by cartwatchd: not a plain address");
}

// A broken smtp.from would meet every recipient: it pauses sending, suppressing nobody.
TEST(SmtpSender, ASenderThatIsNotPlainIsAConfigurationFault) {
    const SmtpTranscript transcript = SendLocally("shop @example.com", "anna@example.com");
    EXPECT_EQ(transcript.last_command, "MAIL");
    EXPECT_EQ(OutcomeName(ClassifyTranscript(transcript).outcome), "config_fault");
}

// The transfer loop waits on libcurl's sockets: through a name that cannot resolve (the
// resolver's wait) and a port nobody listens on (a refused connection) it comes back with
// libcurl's error, and the send is one to retry once the server is there.
TEST(SmtpSender, AServerThatIsNotThereComesBackAsUnavailable) {
    for (const char* url : {"smtp://cartwatch-test.invalid:25", "smtp://127.0.0.1:9"}) {
        SmtpSettings settings;
        settings.url = url;
        settings.require_starttls = false;
        settings.connect_timeout = std::chrono::seconds(5);
        SmtpTransport transport(settings);
        OutgoingMessage message;
        message.reminder_id = 1;
        message.envelope_from = "shop@example.com";
        message.recipient = "anna@example.com";
        message.bytes = "Subject: x\r\n\r\nx\r\n";
        const SmtpTranscript transcript = transport.Send(message);
        EXPECT_NE(transcript.curl_code, 0) << url;
        EXPECT_FALSE(transcript.curl_error.empty()) << url;
        EXPECT_EQ(OutcomeName(ClassifyTranscript(transcript).outcome), "server_unavailable")
            << url << ": " << transcript.curl_error;
    }
}

} // namespace
} // namespace cartwatch
