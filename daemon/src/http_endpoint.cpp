// Each endpoint has one Listener: it owns the acceptor, counts the sessions it started and
// paces its own accepts. Pending operations and sessions hold it (and the handler) by
// shared_ptr, so dropping the endpoint mid-operation, as a drain does, frees nothing in use.
//
// Descriptors are the scarce thing. Accepting never stops on its own: past the cap a new
// connection is accepted and closed at once, so it costs a descriptor for a moment instead of
// its whole deadline (and the client hears at once instead of waiting in the backlog). When an
// accept fails (EMFILE, ENFILE) the connection stays in the backlog and the next accept would
// fail the same way at once, so the listener waits accept_pause first. Both warnings are
// logged once a minute at most, with the number left out.
#include "http_endpoint.hpp"

#include "log_throttle.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <algorithm>
#include <optional>

namespace cartwatch {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

// Unsubscribe forms and probes are tiny; anything bigger is not for us.
constexpr std::size_t kMaxBodyBytes = 16 * 1024;
constexpr std::chrono::minutes kWarningInterval{1};

// ", 12 more since the last warning" when the throttle left some out.
std::string LeftOut(std::uint64_t count) {
    return count == 0 ? std::string() : fmt::format(" ({} more since the last warning)", count);
}

// One connection: read one request, answer, close.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, std::shared_ptr<HttpEndpoint::Handler> handler,
            std::shared_ptr<std::size_t> open_sessions)
        : stream_(std::move(socket)), handler_(std::move(handler)),
          open_sessions_(std::move(open_sessions)) {
        ++*open_sessions_;
    }
    ~Session() { --*open_sessions_; }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void Start(std::chrono::milliseconds deadline) {
        parser_.body_limit(kMaxBodyBytes);
        // One deadline for the read and the write alike: a client that never sends a byte is
        // closed then too.
        stream_.expires_after(deadline);
        http::async_read(
            stream_, buffer_, parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
    }

private:
    void OnRead(beast::error_code ec) {
        if (ec) {
            return; // closed, timed out or malformed: nothing worth answering
        }
        const auto& message = parser_.get();
        HttpRequest request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        request.content_type = std::string(message[http::field::content_type]);
        request.accept_language = std::string(message[http::field::accept_language]);
        request.body = message.body();

        HttpResponse answer = (*handler_)(request);
        response_.version(11);
        response_.result(answer.status);
        response_.set(http::field::server, "cartwatchd");
        response_.set(http::field::content_type, answer.content_type);
        response_.set(http::field::cache_control, "no-store");
        for (const auto& [name, value] : answer.headers) {
            response_.set(name, value);
        }
        response_.keep_alive(false);
        response_.body() = std::move(answer.body);
        response_.prepare_payload();
        // HEAD gets what GET would (status, headers, the body's Content-Length) but never the
        // body itself: RFC 9110 9.3.2. Handlers answer HEAD as GET and this is the one place
        // that leaves the body out, for every endpoint alike.
        serializer_.emplace(response_);
        auto done = [self = shared_from_this()](beast::error_code, std::size_t) {
            beast::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        };
        if (message.method() == http::verb::head) {
            http::async_write_header(stream_, *serializer_, std::move(done));
        } else {
            http::async_write(stream_, *serializer_, std::move(done));
        }
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request_parser<http::string_body> parser_;
    http::response<http::string_body> response_;
    std::optional<http::response_serializer<http::string_body>> serializer_;
    std::shared_ptr<HttpEndpoint::Handler> handler_;
    std::shared_ptr<std::size_t> open_sessions_; // the listener's count; this one is in it
};

} // namespace

HttpLimits DefaultHttpLimits() {
    HttpLimits limits;
    rlimit descriptors{};
    if (getrlimit(RLIMIT_NOFILE, &descriptors) == 0 && descriptors.rlim_cur != RLIM_INFINITY) {
        const auto quarter = static_cast<std::size_t>(descriptors.rlim_cur / 4);
        limits.max_sessions = std::clamp<std::size_t>(quarter, 4, kMaxHttpSessions);
    }
    return limits;
}

class HttpEndpoint::Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(boost::asio::io_context& io, std::string name, Handler handler, HttpLimits limits,
             HttpEndpointCounters* counters)
        : acceptor_(io), pause_timer_(io), name_(std::move(name)),
          handler_(std::make_shared<Handler>(std::move(handler))), limits_(limits),
          counters_(counters != nullptr ? counters : &own_counters_) {}

    void Listen(const tcp::endpoint& endpoint) {
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen();
    }

    void Accept() {
        acceptor_.async_accept(
            [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
                self->OnAccept(ec, std::move(socket));
            });
    }

    void Close() {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        pause_timer_.cancel();
    }

    unsigned short Port() const {
        boost::system::error_code ec;
        return acceptor_.local_endpoint(ec).port();
    }

private:
    void OnAccept(boost::system::error_code ec, tcp::socket socket) {
        if (!acceptor_.is_open()) {
            return; // closed; a connection accepted just before is dropped with `socket`
        }
        if (ec == boost::asio::error::connection_aborted) {
            Accept(); // that client gave up while waiting; the next one is no worse off
            return;
        }
        if (ec) {
            PauseAccepting(ec);
            return;
        }
        if (failed_accepts_ > 0) {
            if (failure_logged_) {
                spdlog::info("{} endpoint: accepting again after {} failed accept(s)", name_,
                             failed_accepts_);
            }
            failed_accepts_ = 0;
            failure_logged_ = false;
        }
        if (*open_sessions_ >= limits_.max_sessions) {
            Refuse(std::move(socket));
        } else {
            std::make_shared<Session>(std::move(socket), handler_, open_sessions_)
                ->Start(limits_.deadline);
        }
        Accept();
    }

    void Refuse(tcp::socket socket) {
        boost::system::error_code ignored;
        socket.close(ignored);
        ++counters_->refused_connections;
        if (const auto left_out = refused_warnings_.Occurred(LogThrottle::Clock::now())) {
            spdlog::warn("{} endpoint: {} connections open, the most it serves at once; closing "
                         "new ones at once{}",
                         name_, limits_.max_sessions, LeftOut(*left_out));
        }
    }

    void PauseAccepting(boost::system::error_code ec) {
        ++failed_accepts_;
        ++counters_->failed_accepts;
        if (const auto left_out = accept_warnings_.Occurred(LogThrottle::Clock::now())) {
            failure_logged_ = true;
            spdlog::warn("{} endpoint: accept failed: {}; trying again every {} ms{}", name_,
                         ec.message(), limits_.accept_pause.count(), LeftOut(*left_out));
        }
        pause_timer_.expires_after(limits_.accept_pause);
        pause_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec && self->acceptor_.is_open()) {
                self->Accept();
            }
        });
    }

    tcp::acceptor acceptor_;
    boost::asio::steady_timer pause_timer_;
    std::string name_;
    std::shared_ptr<Handler> handler_;
    HttpLimits limits_;
    std::shared_ptr<std::size_t> open_sessions_ = std::make_shared<std::size_t>(0);
    LogThrottle refused_warnings_{kWarningInterval};
    LogThrottle accept_warnings_{kWarningInterval};
    std::uint64_t failed_accepts_ = 0;  // in a row
    bool failure_logged_ = false;       // a warning of this run of failures was logged
    HttpEndpointCounters own_counters_; // when the owner keeps none
    HttpEndpointCounters* counters_;    // touched only while the acceptor is open
};

HttpEndpoint::HttpEndpoint(boost::asio::io_context& io, const std::string& host,
                           unsigned short port, std::string name, Handler handler,
                           HttpLimits limits, HttpEndpointCounters* counters)
    : listener_(
          std::make_shared<Listener>(io, std::move(name), std::move(handler), limits, counters)) {
    listener_->Listen(tcp::endpoint(
        boost::asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host), port));
    listener_->Accept();
}

HttpEndpoint::~HttpEndpoint() {
    Close();
}

void HttpEndpoint::Close() {
    listener_->Close();
}

unsigned short HttpEndpoint::Port() const {
    return listener_->Port();
}

} // namespace cartwatch
