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

// ---- SMTPUTF8 (RFC 6531): a local part beyond ASCII, on both ways of sending ----------------

// Whether a line the client sent starts with `prefix`.
bool ReceivedStartingWith(const testing::ScriptedSmtpRecord& record, const std::string& prefix) {
    return std::any_of(record.lines.begin(), record.lines.end(),
                       [&prefix](const std::string& line) { return line.rfind(prefix, 0) == 0; });
}

// zoë's message, then anna's, over one transport: the two transcripts, in that order.
std::pair<SmtpTranscript, SmtpTranscript> SendUtf8ThenAscii(const ScriptedSmtpServer& server) {
    SmtpTransport transport(ScriptedServerSettings(server));
    SmtpTranscript utf8 = transport.Send(MessageTo("zoë@example.com"));
    return {std::move(utf8), transport.Send(MessageTo("anna@example.com"))};
}

// The refusal of a message beyond ASCII by a server without SMTPUTF8: permanent for that
// message (the address is not at fault, so it is not suppressed), naming the extension.
void ExpectRefusedForLackOfSmtpUtf8(const SmtpTranscript& transcript) {
    const SmtpVerdict verdict = ClassifyTranscript(transcript);
    EXPECT_EQ(OutcomeName(verdict.outcome), "permanent") << verdict.detail;
    EXPECT_NE(verdict.detail.find("does not offer SMTPUTF8"), std::string::npos) << verdict.detail;
    EXPECT_EQ(transcript.last_command, "RCPT");
}

// A server that offers SMTPUTF8 gets the UTF-8 address, with SMTPUTF8 on MAIL, in the pipelined
// envelope; an ASCII message on the same connection goes exactly as it always did.
TEST(SmtpUtf8, PipelinedOfferedTheAddressGoesInUtf8WithSmtpUtf8OnMail) {
    ScriptedSmtpServer server({[](ScriptedSmtpConnection& c) {
        c.Greet({"PIPELINING", "SIZE 1000000", "SMTPUTF8"});
        c.ServeRest();
    }});
    const auto [utf8, ascii] = SendUtf8ThenAscii(server);
    EXPECT_EQ(Outcome(utf8), "sent") << ClassifyTranscript(utf8).detail;
    EXPECT_EQ(Outcome(ascii), "sent") << ClassifyTranscript(ascii).detail;
    server.Finish();
    ASSERT_EQ(server.Connections(), 1u);
    const testing::ScriptedSmtpRecord& record = server.Record(0);
    EXPECT_TRUE(Received(record, "MAIL FROM:<shop@example.com> SIZE=20 SMTPUTF8"));
    EXPECT_TRUE(Received(record, "RCPT TO:<zoë@example.com>"));
    EXPECT_TRUE(Received(record, "MAIL FROM:<shop@example.com> SIZE=20"));
    EXPECT_TRUE(Received(record, "RCPT TO:<anna@example.com>"));
    EXPECT_EQ(server.MessageCount(), 2u);
}

// A server that does not offer SMTPUTF8 never sees the address: the message is refused before
// MAIL, as a permanent failure that names the missing extension (the address is not at fault,
// so it is not suppressed), and the connection carries the next message.
TEST(SmtpUtf8, PipelinedNotOfferedTheMessageIsNotSentAndSaysWhy) {
    ScriptedSmtpServer server({[](ScriptedSmtpConnection& c) {
        c.Greet({"PIPELINING"});
        c.ServeRest();
    }});
    const auto [refused, ascii] = SendUtf8ThenAscii(server);
    ExpectRefusedForLackOfSmtpUtf8(refused);
    EXPECT_EQ(Outcome(ascii), "sent") << ClassifyTranscript(ascii).detail;
    server.Finish();
    ASSERT_EQ(server.Connections(), 1u);
    EXPECT_FALSE(ReceivedStartingWith(server.Record(0), "RCPT TO:<zo"));
    EXPECT_TRUE(Received(server.Record(0), "MAIL FROM:<shop@example.com>"));
    EXPECT_EQ(server.MessageCount(), 1u);
}

// Without PIPELINING libcurl sends, and its smtp.c adds SMTPUTF8 to MAIL itself when the server
// offers it and an address is beyond ASCII: the first connection is the transport's look at
// the server's EHLO, the second libcurl's own.
TEST(SmtpUtf8, LibcurlOfferedTheAddressGoesInUtf8WithSmtpUtf8OnMail) {
    const auto serve = [](ScriptedSmtpConnection& c) {
        c.Greet({"SMTPUTF8"});
        c.ServeRest();
    };
    ScriptedSmtpServer server({serve, serve});
    const auto [utf8, ascii] = SendUtf8ThenAscii(server);
    EXPECT_EQ(Outcome(utf8), "sent") << ClassifyTranscript(utf8).detail;
    EXPECT_EQ(Outcome(ascii), "sent") << ClassifyTranscript(ascii).detail;
    server.Finish();
    ASSERT_EQ(server.Connections(), 2u);
    const testing::ScriptedSmtpRecord& record = server.Record(1);
    EXPECT_TRUE(Received(record, "MAIL FROM:<shop@example.com> SMTPUTF8"));
    EXPECT_TRUE(Received(record, "RCPT TO:<zoë@example.com>"));
    EXPECT_TRUE(Received(record, "MAIL FROM:<shop@example.com>"));
    EXPECT_EQ(server.MessageCount(), 2u);
}

// libcurl would write the UTF-8 RCPT to a server without SMTPUTF8 all the same: the transport
// stops its transfer before MAIL, deciding on the EHLO of the connection libcurl sends on (here
// it lacks SMTPUTF8 although the transport's first look saw it), and the next message goes.
TEST(SmtpUtf8, LibcurlNotOfferedTheMessageIsNotSentAndSaysWhy) {
    const auto plain = [](ScriptedSmtpConnection& c) {
        c.Greet({});
        c.ServeRest();
    };
    ScriptedSmtpServer server({[](ScriptedSmtpConnection& c) {
                                   c.Greet({"SMTPUTF8"});
                                   c.ServeRest();
                               },
                               plain, plain});
    const auto [refused, ascii] = SendUtf8ThenAscii(server);
    ExpectRefusedForLackOfSmtpUtf8(refused);
    EXPECT_EQ(Outcome(ascii), "sent") << ClassifyTranscript(ascii).detail;
    server.Finish();
    for (std::size_t i = 0; i < server.Connections(); ++i) {
        EXPECT_FALSE(ReceivedStartingWith(server.Record(i), "RCPT TO:<zo")) << i;
        EXPECT_FALSE(ReceivedStartingWith(server.Record(i), "MAIL FROM:<shop@example.com> SMTP"))
            << i;
    }
    EXPECT_EQ(server.MessageCount(), 1u);
}

// The envelope's own checks hold for UTF-8: bytes that are not UTF-8, and CR/LF, are refused
// before any byte goes out, each with its reason.
TEST(SmtpUtf8, AnAddressThatIsNotValidUtf8IsRefusedBeforeSending) {
    const SmtpVerdict latin1 =
        ClassifyTranscript(SendLocally("shop@example.com", "zo\xEB@example.com"));
    EXPECT_EQ(OutcomeName(latin1.outcome), "bad_address");
    EXPECT_EQ(latin1.detail, "553 5.1.3 address refused by cartwatchd: not valid UTF-8");
    const SmtpVerdict injected =
        ClassifyTranscript(SendLocally("shop@example.com", "zoë@example.com\r\nRSET"));
    EXPECT_EQ(injected.detail, "553 5.1.3 address refused by cartwatchd: not a plain address");
}

// A message from the shop's sender with a local part beyond ASCII (smtp.from = łucja@...).
OutgoingMessage MessageFromUtf8Sender() {
    OutgoingMessage message = MessageTo("anna@example.com");
    message.envelope_from = "łucja@example.pl";
    return message;
}

// Such a sender goes with SMTPUTF8 on MAIL where the server offers it, on both ways: pipelined,
// and over libcurl (whose smtp.c asks for it itself when the sender is beyond ASCII).
TEST(SmtpUtf8, ASenderBeyondAsciiGoesWithSmtpUtf8WhereOffered) {
    ScriptedSmtpServer pipelined({[](ScriptedSmtpConnection& c) {
        c.Greet({"PIPELINING", "SMTPUTF8"});
        c.ServeRest();
    }});
    {
        SmtpTransport transport(ScriptedServerSettings(pipelined));
        const SmtpTranscript sent = transport.Send(MessageFromUtf8Sender());
        EXPECT_EQ(Outcome(sent), "sent") << ClassifyTranscript(sent).detail;
        EXPECT_TRUE(transport.Offers("SMTPUTF8"));
    }
    pipelined.Finish();
    EXPECT_TRUE(Received(pipelined.Record(0), "MAIL FROM:<łucja@example.pl> SMTPUTF8"));
    EXPECT_TRUE(Received(pipelined.Record(0), "RCPT TO:<anna@example.com>"));

    const auto serve = [](ScriptedSmtpConnection& c) {
        c.Greet({"SMTPUTF8"});
        c.ServeRest();
    };
    ScriptedSmtpServer libcurl({serve, serve});
    {
        SmtpTransport transport(ScriptedServerSettings(libcurl));
        const SmtpTranscript sent = transport.Send(MessageFromUtf8Sender());
        EXPECT_EQ(Outcome(sent), "sent") << ClassifyTranscript(sent).detail;
    }
    libcurl.Finish();
    ASSERT_EQ(libcurl.Connections(), 2u);
    EXPECT_TRUE(Received(libcurl.Record(1), "MAIL FROM:<łucja@example.pl> SMTPUTF8"));
    EXPECT_EQ(libcurl.MessageCount(), 1u);
}

// Without SMTPUTF8 nothing goes, on either way: the sender is refused at MAIL, before any byte
// of the envelope, as a configuration fault (every message would meet it), which pauses
// sending and gives the reminder back unattempted instead of giving it up; the reason says
// what to change.
TEST(SmtpUtf8, ASenderBeyondAsciiWithoutSmtpUtf8IsAConfigurationFault) {
    const auto expect_fault = [](const SmtpTranscript& transcript) {
        EXPECT_EQ(transcript.last_command, "MAIL");
        const SmtpVerdict verdict = ClassifyTranscript(transcript);
        EXPECT_EQ(OutcomeName(verdict.outcome), "config_fault") << verdict.detail;
        EXPECT_EQ(verdict.detail,
                  "553 5.6.7 not sent by cartwatchd: the sender address (smtp.from) is not ASCII "
                  "and the SMTP server does not offer SMTPUTF8 (RFC 6531); the relay must offer "
                  "it (Postfix: smtputf8_enable = yes), or smtp.from must have an ASCII local "
                  "part");
    };
    const auto plain_with = [](std::vector<std::string> keywords) {
        return [keywords](ScriptedSmtpConnection& c) {
            c.Greet(keywords);
            c.ServeRest();
        };
    };
    ScriptedSmtpServer pipelined({plain_with({"PIPELINING"})});
    {
        SmtpTransport transport(ScriptedServerSettings(pipelined));
        expect_fault(transport.Send(MessageFromUtf8Sender()));
        EXPECT_FALSE(transport.Offers("SMTPUTF8"));
    }
    pipelined.Finish();
    EXPECT_FALSE(ReceivedStartingWith(pipelined.Record(0), "MAIL"));

    ScriptedSmtpServer libcurl({plain_with({}), plain_with({}), plain_with({})});
    {
        SmtpTransport transport(ScriptedServerSettings(libcurl));
        expect_fault(transport.Send(MessageFromUtf8Sender()));
    }
    libcurl.Finish();
    for (std::size_t i = 0; i < libcurl.Connections(); ++i) {
        EXPECT_FALSE(ReceivedStartingWith(libcurl.Record(i), "MAIL")) << i;
    }
    EXPECT_EQ(libcurl.MessageCount(), 0u);
}

// check-config's probe reads the server's EHLO: whether it offers SMTPUTF8 is known before a
// sender beyond ASCII meets a relay without it.
TEST(SmtpUtf8, AProbeTellsWhetherTheServerOffersSmtpUtf8) {
    for (const bool offered : {true, false}) {
        ScriptedSmtpServer server({[offered](ScriptedSmtpConnection& c) {
            c.Greet(offered ? std::vector<std::string>{"PIPELINING", "SMTPUTF8"}
                            : std::vector<std::string>{"PIPELINING"});
            c.ServeRest();
        }});
        {
            SmtpTransport transport(ScriptedServerSettings(server));
            const SmtpTranscript probe = transport.Probe();
            EXPECT_EQ(Outcome(probe), "sent") << probe.curl_error;
            EXPECT_EQ(transport.Offers("SMTPUTF8"), offered);
        }
        server.Finish();
    }
}

// ---- libcurl's own conversation (a server without PIPELINING) ------------------------------

// The transport's first look at a server without PIPELINING: its EHLO, then QUIT. The sends
// that follow go over libcurl's own connections.
void ServeFirstLook(ScriptedSmtpConnection& c) {
    c.Greet({});
    c.ServeRest();
}

// Greets, then answers MAIL, RCPT and DATA the way libcurl sends them, a command at a time, up
// to the 354 that asks for the message.
void ServeInTurnUpToData(ScriptedSmtpConnection& c) {
    c.Greet({});
    c.ReadLine();
    c.Write("250 2.1.0 ok\r\n");
    c.ReadLine();
    c.Write("250 2.1.5 ok\r\n");
    c.ReadLine();
    c.Write("354 go ahead\r\n");
}

// The kept connection ends between messages: the server hangs up at the next MAIL without a
// word, or answers it 421 (a per-connection limit). Nothing of the message was taken: it goes
// again, once, on a new connection, as on the pipelined way, instead of pausing all sending.
TEST(SmtpWithoutPipelining, AKeptConnectionEndedAtMailSendsOnceOnANewOne) {
    for (const char* ending : {"", "421 4.7.0 too many messages on this connection\r\n"}) {
        ScriptedSmtpServer server({ServeFirstLook,
                                   [ending](ScriptedSmtpConnection& c) {
                                       ServeInTurnUpToData(c);
                                       c.ReadMessage();
                                       c.Write("250 2.0.0 queued\r\n");
                                       c.ReadLine();
                                       c.Write(ending);
                                   },
                                   [](ScriptedSmtpConnection& c) {
                                       c.Greet({});
                                       c.ServeRest();
                                   }});
        {
            SmtpTransport transport(ScriptedServerSettings(server));
            EXPECT_EQ(Outcome(transport.Send(MessageTo("anna@example.com"))), "sent");
            const SmtpTranscript second = transport.Send(MessageTo("jonas@example.com"));
            EXPECT_EQ(Outcome(second), "sent") << ending << ClassifyTranscript(second).detail;
        }
        server.Finish();
        EXPECT_EQ(server.Connections(), 3u) << ending;
        EXPECT_EQ(server.MessageCount(), 2u) << ending;
    }
}

// The server goes away while libcurl writes the message: the end of the data never left
// (libcurl sends it only after the whole body), so nothing was delivered and the reminder
// waits for the server instead of being written off as "unknown".
TEST(SmtpWithoutPipelining, AConnectionLostWhileTheMessageIsWrittenDeliveredNothing) {
    ScriptedSmtpServer server({ServeFirstLook, [](ScriptedSmtpConnection& c) {
                                   ServeInTurnUpToData(c);
                                   // Returning closes the socket: what follows is refused.
                               }});
    {
        SmtpTransport transport(ScriptedServerSettings(server));
        OutgoingMessage message = MessageTo("anna@example.com");
        message.bytes += std::string(64 * 1024 * 1024, 'x') + "\r\n";
        const SmtpTranscript transcript = transport.Send(message);
        EXPECT_NE(transcript.curl_code, 0);
        EXPECT_EQ(Outcome(transcript), "server_unavailable")
            << ClassifyTranscript(transcript).detail;
    }
    server.Finish();
    EXPECT_EQ(server.MessageCount(), 0u);
}

// A server that takes DATA and then stops reading the message: libcurl's upload has no reply
// to wait for, so only a bound on a transfer that stands still ends it: smtp.response_timeout,
// after the five seconds or so over which libcurl averages the speed (7 s here for 1 s). The
// message did not go whole, so nothing was delivered.
TEST(SmtpWithoutPipelining, AServerThatStopsReadingTheMessageIsGivenUpOnInTime) {
    ScriptedSmtpServer server({ServeFirstLook, [](ScriptedSmtpConnection& c) {
                                   ServeInTurnUpToData(c);
                                   std::this_thread::sleep_for(std::chrono::seconds(12));
                               }});
    {
        SmtpSettings settings = ScriptedServerSettings(server);
        settings.response_timeout = std::chrono::seconds(1);
        SmtpTransport transport(settings);
        OutgoingMessage message = MessageTo("anna@example.com");
        message.bytes += std::string(64 * 1024 * 1024, 'x') + "\r\n";
        const auto started = std::chrono::steady_clock::now();
        const SmtpTranscript transcript = transport.Send(message);
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
        EXPECT_EQ(transcript.curl_code, 28) << transcript.curl_error; // CURLE_OPERATION_TIMEDOUT
        EXPECT_EQ(Outcome(transcript), "server_unavailable")
            << ClassifyTranscript(transcript).detail;
    }
    server.Finish();
    EXPECT_EQ(server.MessageCount(), 0u);
}

// The reply deadline holds on libcurl's way too: a reply dribbled a byte at a time cannot hold
// a sender past smtp.response_timeout.
TEST(SmtpWithoutPipelining, TheResponseTimeoutBoundsAWholeReply) {
    ScriptedSmtpServer server({ServeFirstLook, [](ScriptedSmtpConnection& c) {
                                   c.Greet({});
                                   c.ReadLine();
                                   for (const char byte :
                                        std::string("250 2.1.0 ok, in pieces\r\n")) {
                                       if (!c.Write(std::string(1, byte))) {
                                           return;
                                       }
                                       std::this_thread::sleep_for(std::chrono::milliseconds(200));
                                   }
                                   c.ServeRest();
                               }});
    {
        SmtpSettings settings = ScriptedServerSettings(server);
        settings.response_timeout = std::chrono::seconds(1);
        SmtpTransport transport(settings);
        const auto started = std::chrono::steady_clock::now();
        const SmtpTranscript transcript = transport.Send(MessageTo("anna@example.com"));
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
        EXPECT_EQ(transcript.curl_code, 28) << transcript.curl_error;
        EXPECT_EQ(Outcome(transcript), "server_unavailable");
    }
    server.Finish();
    EXPECT_EQ(server.MessageCount(), 0u);
}

} // namespace
} // namespace cartwatch
