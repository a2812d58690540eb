#include "smtp_sender.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace cartwatch {
namespace {

// libcurl must be initialised once per process before any thread uses it.
void InitCurlOnce() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The verb of an SMTP command line ("RCPT TO:<a@b>" -> "RCPT").
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

// A send refused before any byte goes out, worded as the server's refusal of that command.
void RefuseLocally(SmtpTranscript& transcript, const char* command, SmtpReply reply) {
    transcript.curl_code = CURLE_SEND_ERROR;
    transcript.last_command = command;
    transcript.replies.push_back(std::move(reply));
}

} // namespace

struct SmtpTransport::Impl {
    SmtpSettings settings;
    std::string url;
    CURL* curl = nullptr;
    // Keeps the connection between sends, as curl_easy_perform's own multi handle would.
    CURLM* multi = nullptr;
    char error_buffer[CURL_ERROR_SIZE] = {};

    // Per send.
    const std::string* payload = nullptr;
    std::size_t offset = 0;
    SmtpTranscript* transcript = nullptr;
    std::string pending_line;      // a reply line split across debug callbacks
    bool quitting = false;         // QUIT was sent: what follows is not about the message
    bool in_sasl_exchange = false; // a 334 came: the next line out is an AUTH response

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
        SmtpTranscript& t = *self->transcript;
        if (type == CURLINFO_HEADER_OUT) {
            const std::string verb = CommandVerb(data, size);
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
            std::size_t newline;
            while ((newline = self->pending_line.find('\n')) != std::string::npos) {
                const std::string line = self->pending_line.substr(0, newline + 1);
                self->pending_line.erase(0, newline + 1);
                SmtpReply reply = ParseReplyLine(line);
                if (reply.code == 0) {
                    continue;
                }
                // Continuation lines of a multi-line reply ("250-PIPELINING") carry no verdict.
                if (line.size() > 3 && line[3] == '-') {
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
    transcript.envelope_from = message.envelope_from;
    transcript.recipient = message.recipient;
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
                      {553, "5.1.3 address refused by cartwatchd: not a plain address"});
        return transcript;
    }
    Impl& impl = *impl_;
    impl.payload = &message.bytes;
    impl.offset = 0;
    impl.transcript = &transcript;
    impl.pending_line.clear();
    impl.quitting = false;
    impl.in_sasl_exchange = false;
    impl.error_buffer[0] = '\0';

    const std::string from = "<" + message.envelope_from + ">";
    curl_slist* recipients = curl_slist_append(nullptr, ("<" + message.recipient + ">").c_str());
    curl_easy_setopt(impl.curl, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(impl.curl, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(impl.curl, CURLOPT_INFILESIZE_LARGE,
                     static_cast<curl_off_t>(message.bytes.size()));

    const CURLcode code = impl.Perform();
    // The list must outlive the transfer (CURLOPT_MAIL_RCPT is not copied).
    curl_easy_setopt(impl.curl, CURLOPT_MAIL_RCPT, nullptr);
    curl_slist_free_all(recipients);
    impl.transcript = nullptr;

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
           at + 1 < address.size() &&
           std::none_of(address.begin(), address.end(), [](unsigned char c) {
               return c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '\\';
           });
}

} // namespace cartwatch
