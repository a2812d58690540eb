#include "http_endpoint.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>

namespace cartwatch {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

// Unsubscribe forms and probes are tiny; anything bigger is not for us.
constexpr std::size_t kMaxBodyBytes = 16 * 1024;
constexpr std::chrono::seconds kConnectionDeadline{10};

// One connection: read one request, answer, close.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, std::shared_ptr<HttpEndpoint::Handler> handler)
        : stream_(std::move(socket)), handler_(std::move(handler)) {}

    void Start() {
        parser_.body_limit(kMaxBodyBytes);
        stream_.expires_after(kConnectionDeadline);
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
};

} // namespace

HttpEndpoint::HttpEndpoint(boost::asio::io_context& io, const std::string& host,
                           unsigned short port, std::string name, Handler handler)
    : acceptor_(io), name_(std::move(name)),
      handler_(std::make_shared<Handler>(std::move(handler))) {
    const tcp::endpoint endpoint(
        boost::asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    Accept();
}

HttpEndpoint::~HttpEndpoint() {
    Close();
}

void HttpEndpoint::Close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

unsigned short HttpEndpoint::Port() const {
    boost::system::error_code ec;
    return acceptor_.local_endpoint(ec).port();
}

void HttpEndpoint::Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
        if (ec == boost::asio::error::operation_aborted) {
            return; // closed
        }
        if (ec) {
            spdlog::warn("{} endpoint: accept failed: {}", name_, ec.message());
        } else {
            std::make_shared<Session>(std::move(socket), handler_)->Start();
        }
        Accept();
    });
}

} // namespace cartwatch
