// A scripted SMTP server on a loopback port, for the SMTP transport's tests: the n-th connection
// it accepts runs the n-th script, on a thread of its own, and the script reads the client's
// lines and writes whatever bytes the test wants: replies split, joined, multi-line, out of
// the ordinary. Everything the client sent is kept, per connection, for the test to check.
//
// It does not stand in for a mail server: every flow (TLS, AUTH, refusals, size limits, drops,
// idle connections) runs against a real one in tests/integration (aiosmtpd with
// tests/smtp/cartwatch_test_smtp.py). This one gives the transport the replies a real server
// sends only at an unlucky moment (a 421 in the middle of a pipelined group, a hang-up right
// after a refusal, a reply dribbled a byte at a time) on cue.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace cartwatch::testing {

// What one connection received.
struct ScriptedSmtpRecord {
    std::vector<std::string> lines;    // every line the client sent, without CRLF
    std::vector<std::string> messages; // every message that ended with "." (as sent, stuffed)
};

class ScriptedSmtpConnection {
public:
    ScriptedSmtpConnection(int socket, ScriptedSmtpRecord& record)
        : socket_(socket), record_(record) {}

    // The client's next line without its CRLF; nullopt once it closed (or said nothing in 10 s).
    std::optional<std::string> ReadLine();
    // The three lines of a pipelined envelope (MAIL, RCPT, DATA); false if the client left.
    bool ReadEnvelope();
    // The lines after DATA up to the lone "." (kept as messages); false if the client left.
    bool ReadMessage();
    // False once the client is gone.
    bool Write(std::string_view bytes);
    // Sends a FIN (the server hangs up); the script may still read what is in flight.
    void Close();

    // The 220 greeting, and EHLO answered with these keywords.
    void Greet(const std::vector<std::string>& keywords = {"PIPELINING"});
    // Answers as an ordinary server until the client leaves: 250 to MAIL, RCPT, RSET and
    // NOOP, 354 to DATA and 250 to the message, 221 to QUIT.
    void ServeRest();

private:
    int socket_;
    ScriptedSmtpRecord& record_;
    std::string received_;
};

class ScriptedSmtpServer {
public:
    using Script = std::function<void(ScriptedSmtpConnection&)>;

    // One script per connection expected; a connection beyond them is closed at once.
    explicit ScriptedSmtpServer(std::vector<Script> scripts);
    ~ScriptedSmtpServer();
    ScriptedSmtpServer(const ScriptedSmtpServer&) = delete;
    ScriptedSmtpServer& operator=(const ScriptedSmtpServer&) = delete;

    std::string Url() const; // smtp://127.0.0.1:<port>

    // Waits until every script has returned (the client closed its connections first), then
    // stops listening. The records below may be read only after this.
    void Finish();
    std::size_t Connections() const { return records_.size(); }
    const ScriptedSmtpRecord& Record(std::size_t connection) const {
        return records_.at(connection);
    }
    // How many messages all connections received.
    std::size_t MessageCount() const;

private:
    void Accept();

    std::vector<Script> scripts_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::vector<ScriptedSmtpRecord> records_; // reserved up front: threads hold references
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

} // namespace cartwatch::testing
