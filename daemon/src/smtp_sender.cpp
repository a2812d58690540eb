#include "smtp_sender.hpp"

#include "idna_address.hpp"
#include "utf8.hpp"

#include <curl/curl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>

namespace cartwatch {
namespace {

// libcurl must be initialised once per process before any thread uses it.
void InitCurlOnce() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The first word of an SMTP line, upper case: a command's verb ("RCPT TO:<a@b>" -> "RCPT"), or
// the keyword an EHLO reply line offers ("size 10240000" -> "SIZE").
std::string CommandVerb(const char* data, std::size_t size) {
    std::size_t end = 0;
    while (end < size && data[end] != ' ' && data[end] != '\r' && data[end] != '\n') {
        ++end;
    }
    std::string verb(data, end);
    std::transform(verb.begin(), verb.end(), verb.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return verb;
}

// Takes the first whole line (up to and with its LF) out of what was received so far.
std::optional<std::string> TakeLine(std::string& received) {
    const std::size_t newline = received.find('\n');
    if (newline == std::string::npos) {
        return std::nullopt;
    }
    std::string line = received.substr(0, newline + 1);
    received.erase(0, newline + 1);
    return line;
}

// A line of a multi-line reply before its last ("250-PIPELINING"): it carries no verdict.
bool ContinuesReply(const std::string& line) {
    return line.size() > 3 && line[3] == '-';
}

// A 421 ends the session wherever it comes (RFC 5321 section 3.8): the server is closing the
// connection, perhaps after a delay, and answers nothing more on it.
bool ClosesSession(const SmtpReply& reply) {
    return reply.code == 421;
}

// A send refused before any byte goes out, worded as the server's refusal of that command.
void RefuseLocally(SmtpTranscript& transcript, const char* command, SmtpReply reply) {
    transcript.curl_code = CURLE_SEND_ERROR;
    transcript.last_command = command;
    transcript.replies.push_back(std::move(reply));
}

// An envelope beyond ASCII for a server whose EHLO did not offer SMTPUTF8: RFC 6531 lets such
// a message go only under the extension, and a local part beyond ASCII has no ASCII form to
// fall back on, so it is refused here, as an SMTPUTF8-aware relay refuses it for a next hop
// without the extension (X.6.7, "non-ASCII addresses not permitted", RFC 5248). Refused at
// RCPT it is a permanent failure of this message alone: the reminder is given up with this
// reason and the address is not suppressed (nothing is wrong with it), while every other
// reminder goes on. Retrying would not help: a relay gains SMTPUTF8 by a configuration change,
// not in minutes, and the reason says which. A sender beyond ASCII (smtp.from's local part) is
// refused at MAIL: every message would meet it, so it is a configuration fault, which pauses
// sending and gives every reminder back unattempted, none given up, until the relay or
// smtp.from changes (a reload tries again at once).
void RefuseWithoutSmtpUtf8(const OutgoingMessage& message, SmtpTranscript& transcript) {
    if (NeedsSmtpUtf8(message.envelope_from)) {
        RefuseLocally(transcript, "MAIL",
                      {553, "5.6.7 not sent by cartwatchd: the sender address (smtp.from) is not "
                            "ASCII and the SMTP server does not offer SMTPUTF8 (RFC 6531); the "
                            "relay must offer it (Postfix: smtputf8_enable = yes), or smtp.from "
                            "must have an ASCII local part"});
    } else {
        RefuseLocally(transcript, "RCPT",
                      {553, "5.6.7 not sent by cartwatchd: the address is not ASCII and the SMTP "
                            "server does not offer SMTPUTF8 (RFC 6531); the relay must offer it "
                            "(Postfix: smtputf8_enable = yes)"});
    }
}

} // namespace

// The message as DATA carries it (RFC 5321 section 4.5.2): a line that starts with "." gets
// another, and the end is CRLF "." CRLF.
std::string DotStuffed(const std::string& bytes) {
    std::string out;
    out.reserve(bytes.size() + 64);
    if (!bytes.empty() && bytes[0] == '.') {
        out += '.';
    }
    std::size_t start = 0;
    for (std::size_t at; (at = bytes.find("\n.", start)) != std::string::npos; start = at + 1) {
        out.append(bytes, start, at + 1 - start);
        out += '.';
    }
    out.append(bytes, start, std::string::npos);
    if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) {
        out += "\r\n";
    }
    out += ".\r\n";
    return out;
}

struct SmtpTransport::Impl {
    SmtpSettings settings;
    std::string url;
    CURL* curl = nullptr;
    // Keeps the connection between sends, as curl_easy_perform's own multi handle would.
    CURLM* multi = nullptr;
    char error_buffer[CURL_ERROR_SIZE] = {};

    // The pipelining session (RFC 2920): a connection libcurl opened, greeted, upgraded to
    // TLS and logged in on (CURLOPT_CONNECT_ONLY), over which the envelope goes in one write.
    CURL* session = nullptr;
    std::chrono::steady_clock::time_point session_used;
    std::string inbox;             // bytes received on the session, not yet read as replies
    std::set<std::string> ehlo;    // the keywords of the server's last EHLO reply
    bool reading_ehlo = false;     // the lines coming in answer EHLO
    bool pipelining_known = false; // a session was opened: `pipelining` says what it offered
    bool pipelining = false;

    // Per send.
    const std::string* payload = nullptr;
    std::size_t offset = 0;
    SmtpTranscript* transcript = nullptr;
    std::string pending_line;      // a reply line split across debug callbacks
    bool quitting = false;         // QUIT was sent: what follows is not about the message
    bool in_sasl_exchange = false; // a 334 came: the next line out is an AUTH response
    bool needs_smtputf8 = false;   // the envelope is beyond ASCII (NeedsSmtpUtf8)
    bool refused_smtputf8 = false; // libcurl's transfer stopped: the server lacks SMTPUTF8

    // The server does not offer SMTPUTF8 on the connection libcurl is about to send a message
    // beyond ASCII over. libcurl would send it all the same (its smtp.c adds SMTPUTF8 to MAIL
    // only when the server offers it, and writes the UTF-8 RCPT in any case), so the transfer
    // stops here. libcurl calls this after it connected, or took a kept connection, and
    // greeted (EHLO, STARTTLS, AUTH), before MAIL: `ehlo` is that connection's.
    static int Prerequest(void* user, char*, char*, int, int) {
        auto* self = static_cast<Impl*>(user);
        if (self->needs_smtputf8 && self->ehlo.count("SMTPUTF8") == 0) {
            self->refused_smtputf8 = true;
            return CURL_PREREQFUNC_ABORT;
        }
        return CURL_PREREQFUNC_OK;
    }

    static std::size_t Read(char* buffer, std::size_t size, std::size_t count, void* user) {
        auto* self = static_cast<Impl*>(user);
        const std::size_t room = size * count;
        const std::size_t left = self->payload->size() - self->offset;
        const std::size_t n = std::min(room, left);
        std::memcpy(buffer, self->payload->data() + self->offset, n);
        self->offset += n;
        return n;
    }

    // Sees every command sent and every reply received, which is how the transcript knows
    // which command a failing reply answered.
    static int Debug(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
        auto* self = static_cast<Impl*>(user);
        if (self->transcript == nullptr) {
            return 0; // a session closed outside a send: its QUIT is about no message
        }
        SmtpTranscript& t = *self->transcript;
        if (type == CURLINFO_HEADER_OUT) {
            const std::string verb = CommandVerb(data, size);
            self->reading_ehlo = verb == "EHLO";
            if (self->reading_ehlo) {
                self->ehlo.clear();
            }
            // libcurl says QUIT after a failed command: its 221 must not hide the failure.
            if (verb == "QUIT") {
                self->quitting = true;
            } else if (self->in_sasl_exchange) {
                // A line answering a 334 challenge is the login itself (base64 of the user
                // name and password), not a command: the reply that follows still answers AUTH.
                self->in_sasl_exchange = false;
            } else if (!t.data_accepted) {
                // After a 354 the next reply answers the final ".", whatever libcurl logs.
                t.last_command = verb;
            }
        } else if (type == CURLINFO_HEADER_IN && !self->quitting) {
            self->pending_line.append(data, size);
            while (const std::optional<std::string> line = TakeLine(self->pending_line)) {
                SmtpReply reply = ParseReplyLine(*line);
                if (reply.code == 0) {
                    continue;
                }
                if (self->reading_ehlo && reply.code == 250) {
                    // The keyword a line offers: "SIZE 10240000" -> "SIZE".
                    self->ehlo.insert(CommandVerb(reply.text.data(), reply.text.size()));
                }
                if (ContinuesReply(*line)) {
                    continue;
                }
                if (reply.code == 334) {
                    self->in_sasl_exchange = true;
                }
                if (reply.code == 354) {
                    t.data_accepted = true;
                    t.last_command = ".";
                }
                t.replies.push_back(std::move(reply));
            }
        }
        return 0;
    }

    void Configure() {
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, &Impl::Read);
        curl_easy_setopt(curl, CURLOPT_READDATA, this);
        curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
        curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, &Impl::Debug);
        curl_easy_setopt(curl, CURLOPT_DEBUGDATA, this);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
        // Sender threads: no signals (libcurl-thread(3)).
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(settings.connect_timeout.count()));
        curl_easy_setopt(
            curl, CURLOPT_SERVER_RESPONSE_TIMEOUT,
            static_cast<long>(std::max<long long>(1, settings.response_timeout.count() / 1000)));
        curl_easy_setopt(curl, CURLOPT_MAXAGE_CONN,
                         static_cast<long>(settings.idle_timeout.count() / 1000));
        // While libcurl writes the message it waits for no reply, so the response timeout does
        // not bound that: a server that takes DATA and stops reading would hold the sender for
        // good. A transfer that stands still (under a byte a second) for as long ends with
        // CURLE_OPERATION_TIMEDOUT, as the pipelined session's writes do; libcurl judges the
        // speed over its last five seconds or so, which come on top.
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(
            curl, CURLOPT_LOW_SPEED_TIME,
            static_cast<long>(std::max<long long>(1, settings.response_timeout.count() / 1000)));
        if (url.rfind("smtp://", 0) == 0 && settings.require_starttls) {
            curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
        }
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, settings.verify_peer ? 1L : 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, settings.verify_peer ? 2L : 0L);
        if (!settings.ca_file.empty()) {
            curl_easy_setopt(curl, CURLOPT_CAINFO, settings.ca_file.c_str());
        }
        if (!settings.username.empty()) {
            curl_easy_setopt(curl, CURLOPT_USERNAME, settings.username.c_str());
            curl_easy_setopt(curl, CURLOPT_PASSWORD, settings.password.c_str());
        }
    }

    // curl_easy_perform's loop, waiting with curl_multi_wait instead of curl_multi_poll:
    // curl_multi_poll also watches the multi handle's wake-up socket pair, which nothing here
    // uses, at every one of the nine or so waits of a send. When libcurl has no socket to
    // wait on (a name being resolved without one), curl_multi_poll's sleep stands in, so
    // the loop never spins.
    CURLcode Perform() {
        CURLMcode status = curl_multi_add_handle(multi, curl);
        int running = 0;
        if (status == CURLM_OK) {
            status = curl_multi_perform(multi, &running);
        }
        while (status == CURLM_OK && running > 0) {
            int ready = 0;
            status = curl_multi_wait(multi, nullptr, 0, 1000, &ready);
            if (status == CURLM_OK && ready == 0) {
                status = curl_multi_poll(multi, nullptr, 0, 10, nullptr);
            }
            if (status == CURLM_OK) {
                status = curl_multi_perform(multi, &running);
            }
        }
        // A failing multi call is libcurl's own trouble, reported as curl_easy_perform does.
        CURLcode code = status == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY
                        : status != CURLM_OK          ? CURLE_BAD_FUNCTION_ARGUMENT
                                                      : CURLE_OK;
        int left = 0;
        while (const CURLMsg* message = curl_multi_info_read(multi, &left)) {
            if (message->msg == CURLMSG_DONE && message->easy_handle == curl) {
                code = message->data.result;
            }
        }
        curl_multi_remove_handle(multi, curl);
        return code;
    }

    // Readies the per-send state for one attempt of `message`, reported into `t`.
    void BeginAttempt(const OutgoingMessage& message, SmtpTranscript& t) {
        payload = &message.bytes;
        offset = 0;
        transcript = &t;
        pending_line.clear();
        quitting = false;
        in_sasl_exchange = false;
        error_buffer[0] = '\0';
        needs_smtputf8 = NeedsSmtpUtf8(message.envelope_from) || NeedsSmtpUtf8(message.recipient);
        refused_smtputf8 = false;
    }

    // One message in libcurl's own conversation (a server without PIPELINING).
    CURLcode SendWithLibcurl(const OutgoingMessage& message, SmtpTranscript& t) {
        const std::string from = "<" + message.envelope_from + ">";
        curl_slist* recipients =
            curl_slist_append(nullptr, ("<" + message.recipient + ">").c_str());
        curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
        curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                         static_cast<curl_off_t>(message.bytes.size()));
        // Only around this transfer: the handles duplicated from this one (the pipelining
        // session, the probe) connect and stop, and libcurl asks them too.
        curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, &Impl::Prerequest);
        curl_easy_setopt(curl, CURLOPT_PREREQDATA, this);
        const CURLcode code = Perform();
        curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, nullptr);
        // The list must outlive the transfer (CURLOPT_MAIL_RCPT is not copied).
        curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, nullptr);
        curl_slist_free_all(recipients);
        if (code != CURLE_OK && t.data_accepted) {
            // libcurl writes the end of the data (CRLF "." CRLF) only after the whole body
            // went out, and never after a failed write (smtp.c's smtp_done): with part of the
            // body still unsent the server cannot have taken the message, so the reminder is
            // not written off as "unknown". Counted on the wire, dots doubled, so "all of it"
            // may still mean an unfinished end: then it stays unknown.
            curl_off_t uploaded = 0;
            curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &uploaded);
            t.data_accepted = uploaded >= static_cast<curl_off_t>(message.bytes.size());
        }
        return code;
    }

    // Whether libcurl's transfer met the end of the connection it kept from the last message,
    // before anything of this one was judged: no reply to MAIL (the server dropped it while
    // idle), or a 421 to it (an idle or a per-connection limit). The message may go again.
    bool EndedKeptConnectionAtMail(CURLcode code, const SmtpTranscript& t) const {
        long connects = 0;
        curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
        return code != CURLE_OK && connects == 0 && t.last_command == "MAIL" &&
               (t.replies.empty() || ClosesSession(t.replies.back()));
    }

    // ---- The pipelining session -------------------------------------------------------
    // libcurl talks SMTP one command at a time: MAIL, RCPT, DATA and the body are four round
    // trips a message, each a sleep and a wake-up on both sides. When the server offers
    // PIPELINING, the envelope goes in one write and its three replies come back together, so a
    // message costs two. libcurl still does everything up to the envelope: it connects,
    // verifies the certificate, upgrades to TLS, logs in (CURLOPT_CONNECT_ONLY), and carries
    // the bytes (curl_easy_send and curl_easy_recv), so TLS and the login stay its work.

    // Closes the session. Politely (QUIT, waiting for its reply) only when the connection is
    // known to be well, at the end; otherwise the socket is shut first, so that libcurl's QUIT
    // fails at once instead of waiting out the response timeout on a server gone quiet.
    void CloseSession(bool polite = false) {
        if (session != nullptr) {
            const curl_socket_t socket = SessionSocket();
            if (!polite && socket != CURL_SOCKET_BAD) {
                ::shutdown(socket, SHUT_RDWR);
            }
            curl_easy_cleanup(session);
            session = nullptr;
        }
        inbox.clear();
    }

    // Connects, greets, upgrades and logs in; the transcript gets what libcurl saw.
    CURLcode OpenSession() {
        CloseSession();
        quitting = false; // what follows is the new connection's
        session = curl_easy_duphandle(curl);
        if (session == nullptr) {
            return CURLE_FAILED_INIT;
        }
        curl_easy_setopt(session, CURLOPT_CONNECT_ONLY, 1L);
        const CURLcode code = curl_easy_perform(session);
        if (code != CURLE_OK) {
            CloseSession();
            return code;
        }
        pipelining_known = true;
        pipelining = ehlo.count("PIPELINING") > 0;
        session_used = std::chrono::steady_clock::now();
        return CURLE_OK;
    }

    curl_socket_t SessionSocket() const {
        curl_socket_t socket = CURL_SOCKET_BAD;
        curl_easy_getinfo(session, CURLINFO_ACTIVESOCKET, &socket);
        return socket;
    }

    // Waits, until the deadline at the latest, for the session's socket to be ready for
    // `events`. A connection libcurl no longer has (CURL_SOCKET_BAD) is never ready.
    bool WaitFor(short events, std::chrono::steady_clock::time_point deadline) const {
        pollfd fd{SessionSocket(), events, 0};
        if (fd.fd == CURL_SOCKET_BAD) {
            return false;
        }
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return false;
            }
            const int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
            if (ready >= 0 || errno != EINTR) {
                return ready > 0;
            }
        }
    }

    std::chrono::steady_clock::time_point ResponseDeadline() const {
        return std::chrono::steady_clock::now() + settings.response_timeout;
    }

    // Writes all of `data`. The response timeout bounds each wait for room to write, not the
    // whole write: a large message on a slow link takes as long as it takes while it moves.
    CURLcode SendAll(std::string_view data) {
        while (!data.empty()) {
            std::size_t sent = 0;
            const CURLcode code = curl_easy_send(session, data.data(), data.size(), &sent);
            if (code == CURLE_AGAIN) {
                if (!WaitFor(POLLOUT, ResponseDeadline())) {
                    return CURLE_OPERATION_TIMEDOUT;
                }
                continue;
            }
            if (code != CURLE_OK) {
                return code;
            }
            data.remove_prefix(sent);
        }
        return CURLE_OK;
    }

    // Reads one whole reply: the last line of a multi-line one. The response timeout bounds
    // the whole reply, as libcurl's does, so a server dribbling bytes cannot hold the sender.
    CURLcode ReadReply(SmtpReply& reply) {
        const auto deadline = ResponseDeadline();
        for (;;) {
            if (const std::optional<std::string> line = TakeLine(inbox)) {
                SmtpReply parsed = ParseReplyLine(*line);
                if (parsed.code == 0) {
                    return CURLE_WEIRD_SERVER_REPLY;
                }
                if (ContinuesReply(*line)) {
                    continue;
                }
                reply = std::move(parsed);
                return CURLE_OK;
            }
            if (inbox.size() > 65536) {
                return CURLE_WEIRD_SERVER_REPLY; // no line end in sight
            }
            char buffer[4096];
            std::size_t received = 0;
            const CURLcode code = curl_easy_recv(session, buffer, sizeof buffer, &received);
            if (code == CURLE_AGAIN) {
                if (!WaitFor(POLLIN, deadline)) {
                    return CURLE_OPERATION_TIMEDOUT;
                }
                continue;
            }
            if (code != CURLE_OK) {
                return code;
            }
            if (received == 0) {
                return CURLE_RECV_ERROR; // the server closed the connection
            }
            inbox.append(buffer, received);
        }
    }

    // Whether the kept session can carry another message: not idle past the idle timeout,
    // and nothing from the server since (a 421 or a closed connection ends it). A TLS record
    // without data (a TLS 1.3 session ticket) makes the socket readable and leaves it usable.
    bool SessionUsable() {
        if (session == nullptr || !inbox.empty() ||
            std::chrono::steady_clock::now() - session_used > settings.idle_timeout) {
            return false;
        }
        // Asked of libcurl, not of the socket: under TLS a notice the server sent meanwhile (a
        // 421 for the idle time) may already sit in libcurl's buffer with nothing left on the
        // socket. Nothing to read is the one good answer; bytes or an end mean the server
        // spoke or hung up.
        char buffer[512];
        std::size_t received = 0;
        return curl_easy_recv(session, buffer, sizeof buffer, &received) == CURLE_AGAIN;
    }

    // After a refused envelope: a DATA the server took anyway gets an empty end, then RSET
    // makes the session ready for the next message; if that fails, the session goes.
    void ResetTransaction(const SmtpReply& data_reply) {
        SmtpReply reply;
        bool usable = true;
        if (data_reply.code == 354) {
            usable = SendAll(".\r\n") == CURLE_OK && ReadReply(reply) == CURLE_OK &&
                     !ClosesSession(reply);
        }
        usable = usable && SendAll("RSET\r\n") == CURLE_OK && ReadReply(reply) == CURLE_OK &&
                 reply.code / 100 == 2;
        if (!usable) {
            CloseSession();
        }
    }

    // One message over the session. `stale`: it failed before the server answered MAIL, or
    // MAIL got a 421, which on a kept session means the server had dropped it or was ending
    // it (an idle or a per-connection limit); nothing was taken, the message may go again.
    CURLcode SendPipelined(const OutgoingMessage& message, SmtpTranscript& t, bool& stale) {
        stale = false;
        const bool smtputf8 =
            NeedsSmtpUtf8(message.envelope_from) || NeedsSmtpUtf8(message.recipient);
        if (smtputf8 && ehlo.count("SMTPUTF8") == 0) {
            RefuseWithoutSmtpUtf8(message, t); // nothing sent: the session stays as it was
            return CURLE_SEND_ERROR;
        }
        std::string envelope = "MAIL FROM:<" + message.envelope_from + ">";
        if (ehlo.count("SIZE") > 0) {
            envelope += " SIZE=" + std::to_string(message.bytes.size());
        }
        // RFC 6531 section 3.4: the parameter only when the envelope or the message needs it,
        // so an ASCII message goes as it always did. After SIZE, where libcurl puts it. No
        // BODY=8BITMIME: it declares an 8-bit body (RFC 6152), and the bodies are
        // quoted-printable; the UTF-8 in To: is what SMTPUTF8 itself announces.
        if (smtputf8) {
            envelope += " SMTPUTF8";
        }
        envelope += "\r\nRCPT TO:<" + message.recipient + ">\r\nDATA\r\n";
        t.last_command = "MAIL";
        // The three replies, in order.
        struct Step {
            const char* command;
            SmtpReply reply;
            bool answered = false;
        };
        Step steps[] = {{"MAIL", {}}, {"RCPT", {}}, {"DATA", {}}};
        CURLcode code = SendAll(envelope);
        bool closing = false; // a 421 came: nothing more will
        for (Step& step : steps) {
            if (code != CURLE_OK || closing) {
                break;
            }
            code = ReadReply(step.reply);
            step.answered = code == CURLE_OK;
            closing = step.answered && ClosesSession(step.reply);
        }
        if (!steps[0].answered || ClosesSession(steps[0].reply)) {
            stale = true;
            if (steps[0].answered) {
                t.replies.push_back(steps[0].reply);
            }
            CloseSession();
            return code == CURLE_OK ? CURLE_SEND_ERROR : code;
        }
        // RFC 2920 section 3.1: every reply of the group is checked, and the first refusal
        // decides, even when the server hangs up instead of answering what followed it (Exim
        // logs "Remote host closed connection in response to pipelined DATA"). Lost there, a
        // refused address would come back as "server unavailable", again and again.
        for (const Step& step : steps) {
            if (!step.answered) {
                // No verdict yet and no reply to this command: the connection failed.
                t.last_command = step.command;
                CloseSession();
                return code;
            }
            t.replies.push_back(step.reply);
            t.last_command = step.command;
            const bool is_data = &step == &steps[2];
            if (is_data ? step.reply.code != 354 : step.reply.code / 100 != 2) {
                if (code == CURLE_OK && !closing) {
                    ResetTransaction(steps[2].reply);
                } else {
                    CloseSession(); // no RSET: the rest went unread, or the server is closing
                }
                return is_data ? CURLE_WEIRD_SERVER_REPLY : CURLE_SEND_ERROR;
            }
        }
        t.last_command = ".";
        SmtpReply done;
        code = SendAll(DotStuffed(message.bytes));
        if (code != CURLE_OK) {
            // The final CRLF "." CRLF never left whole, so the server cannot have taken the
            // message (RFC 5321 section 4.1.1.4: the end of the data makes the transaction):
            // nothing was delivered, and the reminder is not to be written off as "unknown".
            CloseSession();
            return code;
        }
        // From here on a lost reply means the message may have been queued.
        t.data_accepted = true;
        code = ReadReply(done);
        if (code != CURLE_OK) {
            CloseSession();
            return code;
        }
        t.replies.push_back(done);
        session_used = std::chrono::steady_clock::now();
        if (ClosesSession(done)) {
            CloseSession();
        }
        return done.code / 100 == 2 ? CURLE_OK : CURLE_WEIRD_SERVER_REPLY;
    }
};

SmtpTransport::SmtpTransport(SmtpSettings settings) : impl_(std::make_unique<Impl>()) {
    InitCurlOnce();
    impl_->settings = std::move(settings);
    impl_->url = SmtpUrlWithHelo(impl_->settings.url, impl_->settings.helo_name);
    impl_->curl = curl_easy_init();
    impl_->multi = curl_multi_init();
    if (impl_->curl) {
        impl_->Configure();
    }
}

SmtpTransport::~SmtpTransport() {
    impl_->CloseSession(true);
    // The multi handle first: closing it sends QUIT on the connection it keeps.
    if (impl_->multi) {
        curl_multi_cleanup(impl_->multi);
    }
    if (impl_->curl) {
        curl_easy_cleanup(impl_->curl);
    }
}

SmtpTranscript SmtpTransport::Send(const OutgoingMessage& message) {
    SmtpTranscript transcript;
    // A transcript of this message alone; an attempt that goes again reports its last try.
    const auto start_over = [&transcript, &message] {
        transcript = SmtpTranscript();
        transcript.envelope_from = message.envelope_from;
        transcript.recipient = message.recipient;
    };
    start_over();
    if (!impl_->curl || !impl_->multi) {
        transcript.curl_code = CURLE_FAILED_INIT;
        transcript.curl_error = impl_->curl ? "curl_multi_init failed" : "curl_easy_init failed";
        return transcript;
    }
    // A bad sender is smtp.from's fault, so it is refused at MAIL (a configuration fault):
    // refused at RCPT it would count against, and suppress, every customer.
    if (!IsPlainAddress(message.envelope_from)) {
        RefuseLocally(transcript, "MAIL",
                      {553, "5.1.7 sender address refused by cartwatchd: not a plain address"});
        return transcript;
    }
    if (!IsPlainAddress(message.recipient)) {
        RefuseLocally(transcript, "RCPT",
                      {553, IsValidUtf8(message.recipient)
                                ? "5.1.3 address refused by cartwatchd: not a plain address"
                                : "5.1.3 address refused by cartwatchd: not valid UTF-8"});
        return transcript;
    }
    Impl& impl = *impl_;
    impl.BeginAttempt(message, transcript);

    // Pipelined unless the server does not offer it. Either way an envelope beyond ASCII goes
    // only where the server offered SMTPUTF8, and asks for it on MAIL; the addresses come with
    // their domains in ASCII (AddressAsSent), so what is beyond ASCII is a local part.
    if (!impl.pipelining_known || impl.pipelining) {
        const bool kept = impl.SessionUsable();
        CURLcode code = kept ? CURLE_OK : impl.OpenSession();
        bool stale = false;
        if (code == CURLE_OK && impl.pipelining) {
            code = impl.SendPipelined(message, transcript, stale);
            if (code != CURLE_OK && stale && kept) {
                // The server dropped the kept connection: once more on a fresh one.
                start_over();
                code = impl.OpenSession();
                if (code == CURLE_OK) {
                    code = impl.SendPipelined(message, transcript, stale);
                }
            }
        }
        if (code != CURLE_OK || impl.pipelining) {
            impl.transcript = nullptr;
            transcript.curl_code = static_cast<int>(code);
            if (code != CURLE_OK) {
                transcript.curl_error =
                    impl.error_buffer[0] ? impl.error_buffer : curl_easy_strerror(code);
            }
            return transcript;
        }
        // No PIPELINING on offer: libcurl's own conversation from now on.
        impl.CloseSession(true);
        impl.quitting = false;
        start_over();
    }

    CURLcode code = impl.SendWithLibcurl(message, transcript);
    if (impl.EndedKeptConnectionAtMail(code, transcript)) {
        // libcurl closes a connection after a failed transfer: once more, on a fresh one.
        start_over();
        impl.BeginAttempt(message, transcript);
        code = impl.SendWithLibcurl(message, transcript);
    }
    impl.transcript = nullptr;
    if (impl.refused_smtputf8) {
        // Stopped before MAIL: what libcurl saw of the greeting is not about this message.
        start_over();
        RefuseWithoutSmtpUtf8(message, transcript);
        return transcript;
    }

    transcript.curl_code = static_cast<int>(code);
    if (code != CURLE_OK) {
        transcript.curl_error = impl.error_buffer[0] ? impl.error_buffer : curl_easy_strerror(code);
    }
    return transcript;
}

SmtpTranscript SmtpTransport::Probe() {
    SmtpTranscript transcript;
    CURL* probe = impl_->curl ? curl_easy_duphandle(impl_->curl) : nullptr;
    if (!probe) {
        transcript.curl_code = CURLE_FAILED_INIT;
        transcript.curl_error = "curl_easy_init failed";
        return transcript;
    }
    impl_->transcript = &transcript;
    impl_->pending_line.clear();
    impl_->quitting = false;
    impl_->in_sasl_exchange = false;
    impl_->error_buffer[0] = '\0';
    curl_easy_setopt(probe, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(probe, CURLOPT_ERRORBUFFER, impl_->error_buffer);
    const CURLcode code = curl_easy_perform(probe);
    curl_easy_cleanup(probe);
    impl_->transcript = nullptr;
    transcript.curl_code = static_cast<int>(code);
    if (code != CURLE_OK) {
        transcript.curl_error =
            impl_->error_buffer[0] ? impl_->error_buffer : curl_easy_strerror(code);
    }
    return transcript;
}

bool SmtpTransport::Offers(const std::string& keyword) const {
    return impl_->ehlo.count(keyword) > 0;
}

SmtpTranscript DryRunTransport::Send(const OutgoingMessage& message) {
    SmtpTranscript transcript;
    std::string safe_recipient = message.recipient;
    for (char& c : safe_recipient) {
        if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
            c = '_';
        }
    }
    const std::string name = std::to_string(message.reminder_id) + "-" + safe_recipient + ".eml";
    const std::filesystem::path path = std::filesystem::path(directory_) / name;
    std::error_code ec;
    std::filesystem::create_directories(directory_, ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << message.bytes;
    out.close();
    if (!out) {
        // The folder is local: failing to write it is the operator's problem, not the message's.
        transcript.curl_code = CURLE_WRITE_ERROR;
        transcript.curl_error = "cannot write " + path.string();
        return transcript;
    }
    transcript.replies.push_back({250, "2.0.0 dry run: written to " + path.string()});
    return transcript;
}

std::string SmtpUrlWithHelo(const std::string& url, const std::string& helo_name) {
    const auto scheme_end = url.find("://");
    const auto path = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    if (helo_name.empty() || path != std::string::npos) {
        return url; // no name given, or the URL carries one already
    }
    return url + "/" + helo_name;
}

bool IsPlainAddress(const std::string& address) {
    const auto at = address.find('@');
    return !address.empty() && address.size() <= 254 && at != std::string::npos && at > 0 &&
           at + 1 < address.size() && IsValidUtf8(address) &&
           std::none_of(address.begin(), address.end(), [](unsigned char c) {
               return c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '\\';
           });
}

} // namespace cartwatch
