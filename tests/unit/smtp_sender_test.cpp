#include "smtp_sender.hpp"

#include "scripted_smtp_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

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

// ---- The pipelined session, against a scripted server ----------------------------------

using testing::ScriptedSmtpConnection;
using testing::ScriptedSmtpServer;

SmtpSettings ScriptedServerSettings(const ScriptedSmtpServer& server) {
    SmtpSettings settings;
    settings.url = server.Url();
    settings.require_starttls = false;
    settings.connect_timeout = std::chrono::seconds(5);
    settings.response_timeout = std::chrono::seconds(5);
    return settings;
}

OutgoingMessage MessageTo(const std::string& recipient) {
    OutgoingMessage message;
    message.reminder_id = 1;
    message.envelope_from = "shop@example.com";
    message.recipient = recipient;
    message.bytes = "Subject: x\r\n\r\nbody\r\n";
    return message;
}

std::string Outcome(const SmtpTranscript& transcript) {
    return std::string(OutcomeName(ClassifyTranscript(transcript).outcome));
}

bool Received(const testing::ScriptedSmtpRecord& record, const std::string& line) {
    return std::find(record.lines.begin(), record.lines.end(), line) != record.lines.end();
}

// Serves one message the ordinary way: MAIL, RCPT and DATA, the message, 250.
void ServeOneMessage(ScriptedSmtpConnection& c) {
    c.ReadEnvelope();
    c.Write("250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n");
    c.ReadMessage();
    c.Write("250 2.0.0 queued\r\n");
}

// Replies come as the network delivers them: one split over two reads, several in one, and
// multi-line ones (RFC 5321 section 4.2.1), whose last line alone carries the verdict.
TEST(SmtpPipelining, RepliesSplitJoinedAndMultiLineAreReadInOrder) {
    ScriptedSmtpServer server({[](ScriptedSmtpConnection& c) {
        c.Greet();
        c.ReadEnvelope();
        c.Write("250-2.1.0 sender ok\r\n250 2.1");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        c.Write(".0 ok\r\n250-2.1.5 first\r\n250-2.1.5 second\r\n250 2.1.5 ok\r\n3");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        c.Write("54 go ahead\r\n");
        c.ReadMessage();
        c.Write("250-2.0.0 a line before\r\n250 2.0.0 queued as 7\r");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        c.Write("\n");
        c.ServeRest();
    }});
    {
        SmtpTransport transport(ScriptedServerSettings(server));
        const SmtpTranscript transcript = transport.Send(MessageTo("anna@example.com"));
        EXPECT_EQ(Outcome(transcript), "sent") << transcript.curl_error;
        EXPECT_EQ(ClassifyTranscript(transcript).detail, "250 2.0.0 queued as 7");
    }
    server.Finish();
    ASSERT_EQ(server.MessageCount(), 1u);
    EXPECT_EQ(server.Record(0).messages[0], "Subject: x\r\n\r\nbody\r\n");
}

// RFC 2920 section 3.1: a server may take DATA (354) although it refused every recipient. The
// client must then end the data at once with a lone ".", never send the message, and the
// refusal decides; RSET readies the connection for the next message.
TEST(SmtpPipelining, DataTakenAfterARefusedRecipientGetsNoMessage) {
    ScriptedSmtpServer server({[](ScriptedSmtpConnection& c) {
        c.Greet();
        c.ReadEnvelope();
        c.Write("250 2.1.0 ok\r\n550 5.1.1 no such user\r\n354 go ahead\r\n");
        c.ReadMessage();
        c.Write("554 5.5.1 no valid recipients\r\n");
        c.ServeRest();
    }});
    {
        SmtpTransport transport(ScriptedServerSettings(server));
        const SmtpTranscript refused = transport.Send(MessageTo("gone@example.com"));
        EXPECT_EQ(Outcome(refused), "bad_address");
        EXPECT_EQ(refused.last_command, "RCPT");
        EXPECT_FALSE(refused.data_accepted);
        EXPECT_EQ(Outcome(transport.Send(MessageTo("anna@example.com"))), "sent");
    }
    server.Finish();
    ASSERT_EQ(server.Connections(), 1u);
    const testing::ScriptedSmtpRecord& record = server.Record(0);
    ASSERT_EQ(record.messages.size(), 2u);
    EXPECT_EQ(record.messages[0], "");
    EXPECT_TRUE(Received(record, "RSET"));
}

// A refused recipient, and the server hangs up instead of answering the pipelined DATA (as
// Exim logs "Remote host closed connection in response to pipelined DATA"): the refusal is
// the server's word on this message and decides, or the bad address would come back forever.
TEST(SmtpPipelining, ARefusalDecidesWhenTheServerHangsUpBeforeTheNextReply) {
    ScriptedSmtpServer server({[](ScriptedSmtpConnection& c) {
                                   c.Greet();
                                   c.ReadEnvelope();
                                   c.Write("250 2.1.0 ok\r\n550 5.1.1 no such user\r\n");
                                   c.Close();
                               },
                               [](ScriptedSmtpConnection& c) {
                                   c.Greet();
                                   c.ReadEnvelope();
                                   c.Write("451 4.7.1 sender rate limited\r\n");
                                   c.Close();
                               }});
    {
        SmtpTransport transport(ScriptedServerSettings(server));
        const SmtpTranscript refused = transport.Send(MessageTo("gone@example.com"));
        EXPECT_EQ(Outcome(refused), "bad_address") << ClassifyTranscript(refused).detail;
        EXPECT_EQ(refused.last_command, "RCPT");
        // A 4xx to MAIL is about us, not the message: sending pauses, no attempt is used.
        const SmtpTranscript deferred = transport.Send(MessageTo("anna@example.com"));
        EXPECT_EQ(deferred.last_command, "MAIL");
        EXPECT_EQ(Outcome(deferred), "server_unavailable") << ClassifyTranscript(deferred).detail;
    }
    server.Finish();
    EXPECT_EQ(server.MessageCount(), 0u);
}

// A 421 closes the session (RFC 5321 section 3.8) wherever it comes, even from a server that
// keeps the socket open: no RSET after it. On a kept connection a 421 to MAIL is the server
// ending it between messages (an idle or per-connection limit), so the message goes again,
// once, on a new connection.
TEST(SmtpPipelining, A421ToMailOnAKeptConnectionSendsOnceOnANewOne) {
    ScriptedSmtpServer server({[](ScriptedSmtpConnection& c) {
                                   c.Greet();
                                   ServeOneMessage(c);
                                   c.ReadLine();
                                   c.Write("421 4.7.0 too many messages on this connection\r\n");
                                   while (c.ReadLine()) {
                                   }
                               },
                               [](ScriptedSmtpConnection& c) {
                                   c.Greet();
                                   c.ServeRest();
                               }});
    {
        SmtpTransport transport(ScriptedServerSettings(server));
        EXPECT_EQ(Outcome(transport.Send(MessageTo("anna@example.com"))), "sent");
        const SmtpTranscript second = transport.Send(MessageTo("jonas@example.com"));
        EXPECT_EQ(Outcome(second), "sent") << ClassifyTranscript(second).detail;
    }
    server.Finish();
    ASSERT_EQ(server.Connections(), 2u);
    EXPECT_EQ(server.MessageCount(), 2u);
    EXPECT_FALSE(Received(server.Record(0), "RSET"));
}

// The server dropped a kept connection so that only the next write finds out: the message
// goes again on a new connection, and arrives once.
TEST(SmtpPipelining, AKeptConnectionDroppedAtMailIsOpenedAgain) {
    ScriptedSmtpServer server({[](ScriptedSmtpConnection& c) {
                                   c.Greet();
                                   ServeOneMessage(c);
                                   c.ReadLine();
                               },
                               [](ScriptedSmtpConnection& c) {
                                   c.Greet();
                                   c.ServeRest();
                               }});
    {
        SmtpTransport transport(ScriptedServerSettings(server));
        EXPECT_EQ(Outcome(transport.Send(MessageTo("anna@example.com"))), "sent");
        EXPECT_EQ(Outcome(transport.Send(MessageTo("jonas@example.com"))), "sent");
    }
    server.Finish();
    EXPECT_EQ(server.Connections(), 2u);
    EXPECT_EQ(server.MessageCount(), 2u);
}

// The server goes away while the message is still being written: its end (CRLF "." CRLF)
// never left, so nothing can have been delivered, and the reminder waits for the server
// instead of being written off as "unknown" (maybe delivered, never resent).
TEST(SmtpPipelining, AConnectionLostWhileTheMessageIsWrittenDeliveredNothing) {
    ScriptedSmtpServer server({[](ScriptedSmtpConnection& c) {
        c.Greet();
        c.ReadEnvelope();
        c.Write("250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n");
        // Returning closes the socket: what the client writes next is refused (RST).
    }});
    {
        SmtpTransport transport(ScriptedServerSettings(server));
        OutgoingMessage message = MessageTo("anna@example.com");
        // Far more than the socket buffers hold, so that writing it meets the closed socket.
        message.bytes += std::string(64 * 1024 * 1024, 'x') + "\r\n";
        const SmtpTranscript transcript = transport.Send(message);
        EXPECT_NE(transcript.curl_code, 0);
        EXPECT_FALSE(transcript.data_accepted);
        EXPECT_EQ(Outcome(transcript), "server_unavailable")
            << ClassifyTranscript(transcript).detail;
    }
    server.Finish();
    EXPECT_EQ(server.MessageCount(), 0u);
}

// smtp.response_timeout bounds the wait for a whole reply, as libcurl's does: a server that
// dribbles a reply a byte at a time cannot hold a sender past it.
TEST(SmtpPipelining, TheResponseTimeoutBoundsAWholeReply) {
    ScriptedSmtpServer server({[](ScriptedSmtpConnection& c) {
        c.Greet();
        c.ReadEnvelope();
        const std::string reply = "250 2.1.0 ok, in a great many small pieces\r\n";
        for (const char byte : reply) {
            if (!c.Write(std::string(1, byte))) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        c.Write("250 2.1.5 ok\r\n354 go ahead\r\n");
        c.ReadMessage();
        c.Write("250 2.0.0 queued\r\n");
        c.ServeRest();
    }});
    {
        SmtpSettings settings = ScriptedServerSettings(server);
        settings.response_timeout = std::chrono::seconds(1);
        SmtpTransport transport(settings);
        const SmtpTranscript transcript = transport.Send(MessageTo("anna@example.com"));
        EXPECT_EQ(transcript.curl_code, 28) << transcript.curl_error; // CURLE_OPERATION_TIMEDOUT
        EXPECT_EQ(Outcome(transcript), "server_unavailable");
    }
    server.Finish();
    EXPECT_EQ(server.MessageCount(), 0u);
}

} // namespace
} // namespace cartwatch
