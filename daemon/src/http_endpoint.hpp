// A small HTTP/1.1 server on Boost.Beast for the loopback endpoints: metrics and health, and
// the unsubscribe link. One request per connection, small bodies, a deadline on every
// connection, a cap on how many are open at once; the handler runs on the event loop and
// knows nothing about sockets.
#pragma once

#include "metrics.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
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

// Connections one endpoint serves at once, at most. Loopback clients (a scraper, a reverse
// proxy) need a handful; past the cap a new connection is closed at once instead of holding a
// descriptor for its whole deadline. Not a setting: nobody should need to raise it.
constexpr std::size_t kMaxHttpSessions = 64;

struct HttpLimits {
    std::size_t max_sessions = kMaxHttpSessions;
    // From accept to the last byte of the answer: a client that connects and never sends, or
    // sends a byte at a time, is cut off then.
    std::chrono::milliseconds deadline{10'000};
    // After an accept fails (out of descriptors: EMFILE, ENFILE), the wait before the next one;
    // accepting again at once fails again at once, a busy loop.
    std::chrono::milliseconds accept_pause{500};
};

// kMaxHttpSessions, or fewer when this process may open few descriptors (a quarter of
// RLIMIT_NOFILE, at least 4): the database and SMTP connections draw on the same limit.
HttpLimits DefaultHttpLimits();

class HttpEndpoint {
public:
    // Answers a HEAD request as it would a GET: the endpoint sends the status and headers, with
    // the Content-Length of that body, and leaves the body out.
    using Handler = std::function<HttpResponse(const HttpRequest&)>;

    // Binds host:port at once (throws when it cannot: an error at start-up, not later).
    // `counters`, when given, counts the connections turned away; like the handler it must
    // outlive the endpoint's open life (it is not touched after Close()).
    HttpEndpoint(boost::asio::io_context& io, const std::string& host, unsigned short port,
                 std::string name, Handler handler, HttpLimits limits = DefaultHttpLimits(),
                 HttpEndpointCounters* counters = nullptr);
    ~HttpEndpoint();
    HttpEndpoint(const HttpEndpoint&) = delete;
    HttpEndpoint& operator=(const HttpEndpoint&) = delete;

    // Stops accepting; open connections end at their deadline.
    void Close();
    unsigned short Port() const;

private:
    class Listener; // shared with its pending operations and sessions, which may outlive us
    std::shared_ptr<Listener> listener_;
};

} // namespace cartwatch
