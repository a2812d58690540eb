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

} // namespace
} // namespace cartwatch
