// HttpEndpoint over real loopback sockets: the event loop runs on a thread of the test and the
// clients are plain blocking sockets, so what is asserted is what goes over the wire.
#include "http_endpoint.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace cartwatch {
namespace {

using namespace std::chrono_literals;

// Generous: the machine running the tests may be busy; nothing here waits this long when the
// endpoint behaves.
constexpr auto kPatience = 10s;

// One client connection to 127.0.0.1:port.
class Client {
public:
    explicit Client(unsigned short port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = fd_ >= 0 &&
                     connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    }
    ~Client() {
        if (fd_ >= 0) {
            close(fd_);
        }
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool Connected() const { return connected_; }

    bool Send(std::string_view data) {
        while (!data.empty()) {
            const ssize_t sent = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (sent <= 0) {
                return false;
            }
            data.remove_prefix(static_cast<std::size_t>(sent));
        }
        return true;
    }

    // All the server sent until it closed the connection; nullopt if it was still open after
    // `wait`.
    std::optional<std::string> ReadUntilClosed(std::chrono::milliseconds wait) {
        std::string received;
        const auto deadline = std::chrono::steady_clock::now() + wait;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd ready{fd_, POLLIN, 0};
            if (left.count() <= 0 || poll(&ready, 1, static_cast<int>(left.count())) <= 0) {
                return std::nullopt;
            }
            char buffer[4096];
            const ssize_t got = recv(fd_, buffer, sizeof buffer, 0);
            if (got <= 0) {
                return received; // closed (or reset: the server is gone either way)
            }
            received.append(buffer, static_cast<std::size_t>(got));
        }
    }

private:
    int fd_;
    bool connected_ = false;
};

std::string Header(const std::string& response, const std::string& name) {
    const auto at = response.find("\r\n" + name + ": ");
    if (at == std::string::npos) {
        return {};
    }
    const auto start = at + name.size() + 4;
    return response.substr(start, response.find("\r\n", start) - start);
}

// What follows the blank line that ends the headers.
std::string Body(const std::string& response) {
    const auto end = response.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : response.substr(end + 4);
}

// An endpoint on a free loopback port whose handler answers every request with `body`.
class HttpEndpointTest : public ::testing::Test {
protected:
    void Start() {
        endpoint_ = std::make_unique<HttpEndpoint>(
            io_, "127.0.0.1", 0, "test", [this](const HttpRequest& request) {
                const std::lock_guard lock(mutex_);
                last_method_ = request.method;
                HttpResponse response;
                response.content_type = "text/html; charset=utf-8";
                response.headers["X-Frame-Options"] = "DENY";
                response.body = body_;
                return response;
            });
        port_ = endpoint_->Port();
        loop_ = std::thread([this] {
            auto work = boost::asio::make_work_guard(io_);
            io_.run();
        });
    }

    void TearDown() override {
        io_.stop();
        if (loop_.joinable()) {
            loop_.join();
        }
        endpoint_.reset();
    }

    // Sends a request of `method` for / and returns all the endpoint answered.
    std::string Ask(const std::string& method) {
        Client client(port_);
        EXPECT_TRUE(client.Connected());
        EXPECT_TRUE(client.Send(method + " / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        return client.ReadUntilClosed(kPatience).value_or("(no answer)");
    }

    std::string LastMethod() {
        const std::lock_guard lock(mutex_);
        return last_method_;
    }

    boost::asio::io_context io_;
    std::unique_ptr<HttpEndpoint> endpoint_;
    std::thread loop_;
    unsigned short port_ = 0;
    std::string body_ = std::string(885, 'x');
    std::mutex mutex_; // the handler runs on the loop's thread
    std::string last_method_;
};

TEST_F(HttpEndpointTest, GetSendsTheBody) {
    Start();
    const std::string response = Ask("GET");
    EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
    EXPECT_EQ(Header(response, "Content-Length"), "885");
    EXPECT_EQ(Body(response), body_);
}

TEST_F(HttpEndpointTest, HeadSendsTheHeadersOfGetAndNoBody) {
    Start();
    const std::string response = Ask("HEAD");
    EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
    EXPECT_EQ(LastMethod(), "HEAD");
    // The Content-Length GET would have, the handler's headers, and nothing after them.
    EXPECT_EQ(Header(response, "Content-Length"), "885");
    EXPECT_EQ(Header(response, "Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(Header(response, "X-Frame-Options"), "DENY");
    ASSERT_NE(response.find("\r\n\r\n"), std::string::npos) << response;
    EXPECT_EQ(Body(response), "") << response.size() << " bytes";
}

} // namespace
} // namespace cartwatch
