// A small HTTP/1.1 server on Boost.Beast for the loopback endpoints: metrics and health, and
// the unsubscribe link. One request per connection, small bodies, a deadline on every
// connection; the handler runs on the event loop and knows nothing about sockets.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace cartwatch {

struct HttpRequest {
    std::string method; // "GET", "POST", ...
    std::string target; // path and query as sent
    std::string content_type;
    std::string accept_language;
    std::string body;
};

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::map<std::string, std::string> headers;
};

class HttpEndpoint {
public:
    // Answers a HEAD request as it would a GET: the endpoint sends the status and headers, with
    // the Content-Length of that body, and leaves the body out.
    using Handler = std::function<HttpResponse(const HttpRequest&)>;

    // Binds host:port at once (throws when it cannot: an error at start-up, not later).
    HttpEndpoint(boost::asio::io_context& io, const std::string& host, unsigned short port,
                 std::string name, Handler handler);
    ~HttpEndpoint();
    HttpEndpoint(const HttpEndpoint&) = delete;
    HttpEndpoint& operator=(const HttpEndpoint&) = delete;

    // Stops accepting; open connections end at their deadline.
    void Close();
    unsigned short Port() const;

private:
    void Accept();

    boost::asio::ip::tcp::acceptor acceptor_;
    std::string name_;
    std::shared_ptr<Handler> handler_;
};

} // namespace cartwatch
