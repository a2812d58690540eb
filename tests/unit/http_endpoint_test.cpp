// HttpEndpoint over real loopback sockets: the event loop runs on a thread of the test and the
// clients are plain blocking sockets, so what is asserted is what goes over the wire.
#include "http_endpoint.hpp"

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace cartwatch {
namespace {

using namespace std::chrono_literals;

// Generous: the machine running the tests may be busy; nothing here waits this long when the
// endpoint behaves.
constexpr auto kPatience = 10s;

// One client connection to 127.0.0.1:port.
class Client {
public:
    // A socket, not connected yet (connecting needs no new descriptor).
    Client() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {}
    explicit Client(unsigned short port) : Client() { Connect(port); }

    bool Connect(unsigned short port) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = fd_ >= 0 &&
                     connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
        return connected_;
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

constexpr std::string_view kGet = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

// Keeps what the endpoint logs, to count lines.
class LogLines : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<std::string> Lines() {
        const std::lock_guard lock(mutex_);
        return lines_;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
        lines_.emplace_back(message.payload.data(), message.payload.size());
    }
    void flush_() override {}

private:
    std::vector<std::string> lines_;
};

std::size_t CountContaining(const std::vector<std::string>& lines, std::string_view text) {
    return static_cast<std::size_t>(
        std::count_if(lines.begin(), lines.end(),
                      [&](const auto& line) { return line.find(text) != std::string::npos; }));
}

// Makes every new descriptor of this process fail with EMFILE until it goes out of scope: the
// soft RLIMIT_NOFILE becomes the lowest free descriptor number.
class DescriptorsExhausted {
public:
    DescriptorsExhausted() {
        getrlimit(RLIMIT_NOFILE, &saved_);
        const int lowest_free = open("/dev/null", O_RDONLY); // new descriptors take the lowest
        close(lowest_free);
        rlimit lowered = saved_;
        lowered.rlim_cur = static_cast<rlim_t>(lowest_free);
        setrlimit(RLIMIT_NOFILE, &lowered);
    }
    ~DescriptorsExhausted() { Restore(); }
    void Restore() { setrlimit(RLIMIT_NOFILE, &saved_); }

private:
    rlimit saved_{};
};

// An endpoint on a free loopback port whose handler answers every request with `body`.
class HttpEndpointTest : public ::testing::Test {
protected:
    void Start(HttpLimits limits = {}) {
        endpoint_ = std::make_unique<HttpEndpoint>(
            io_, "127.0.0.1", 0, "test",
            [this](const HttpRequest& request) {
                const std::lock_guard lock(mutex_);
                last_method_ = request.method;
                HttpResponse response;
                response.content_type = "text/html; charset=utf-8";
                response.headers["X-Frame-Options"] = "DENY";
                response.body = body_;
                return response;
            },
            limits, &counters_);
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
        if (log_) {
            spdlog::set_default_logger(saved_logger_);
        }
    }

    // From here on the endpoint logs into log_.
    void CaptureLog() {
        log_ = std::make_shared<LogLines>();
        saved_logger_ = spdlog::default_logger();
        auto logger = std::make_shared<spdlog::logger>("test", log_);
        logger->set_level(spdlog::level::info);
        spdlog::set_default_logger(logger);
    }

    // Whether a GET on a new connection is answered within kPatience (asking again while the
    // endpoint closes connections at once: a slot frees only once the loop saw a session end).
    bool AnsweredWithinPatience() {
        const auto deadline = std::chrono::steady_clock::now() + kPatience;
        while (std::chrono::steady_clock::now() < deadline) {
            Client client(port_);
            if (client.Send(kGet)) {
                const auto response = client.ReadUntilClosed(kPatience);
                if (response && response->rfind("HTTP/1.1 200", 0) == 0) {
                    return true;
                }
            }
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }

    // Sends a request of `method` for / and returns all the endpoint answered.
    std::string Ask(const std::string& method) {
        Client client(port_);
        EXPECT_TRUE(client.Connected());
        EXPECT_TRUE(client.Send(method + " / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        return client.ReadUntilClosed(kPatience).value_or("(no answer)");
    }

    // The endpoint's counters, read on the loop's thread that writes them.
    HttpEndpointCounters Counters() {
        std::promise<HttpEndpointCounters> read;
        boost::asio::post(io_, [&] { read.set_value(counters_); });
        return read.get_future().get();
    }

    std::string LastMethod() {
        const std::lock_guard lock(mutex_);
        return last_method_;
    }

    boost::asio::io_context io_;
    std::unique_ptr<HttpEndpoint> endpoint_;
    std::thread loop_;
    unsigned short port_ = 0;
    HttpEndpointCounters counters_;
    std::string body_ = std::string(885, 'x');
    std::mutex mutex_; // the handler runs on the loop's thread
    std::string last_method_;
    std::shared_ptr<LogLines> log_;
    std::shared_ptr<spdlog::logger> saved_logger_;
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

TEST_F(HttpEndpointTest, ConnectionsPastTheCapAreClosedAtOnce) {
    HttpLimits limits;
    limits.max_sessions = 2;
    limits.deadline = 10min; // the idle ones stay for the whole test
    CaptureLog();
    Start(limits);
    // Accepted in the order they connected: the first two take the slots and say nothing.
    std::vector<std::unique_ptr<Client>> idle;
    for (int i = 0; i < 2; ++i) {
        idle.push_back(std::make_unique<Client>(port_));
        ASSERT_TRUE(idle.back()->Connected());
    }
    // The next ones are closed without an answer, long before any deadline.
    for (int i = 0; i < 5; ++i) {
        Client refused(port_);
        ASSERT_TRUE(refused.Connected());
        refused.Send(kGet);
        const auto response = refused.ReadUntilClosed(kPatience);
        ASSERT_TRUE(response) << "connection " << i + 3 << " held open past the cap";
        EXPECT_EQ(*response, "");
    }
    EXPECT_FALSE(idle[0]->ReadUntilClosed(100ms)) << "a session within the cap was closed";
    // Once an idle client goes, its slot serves the next client.
    idle.pop_back();
    EXPECT_TRUE(AnsweredWithinPatience());
    // Five refusals, one warning, and all five counted for the metrics.
    EXPECT_EQ(CountContaining(log_->Lines(), "the most it serves at once"), 1u);
    EXPECT_EQ(Counters().refused_connections, 5);
    EXPECT_EQ(Counters().failed_accepts, 0);
}

TEST_F(HttpEndpointTest, AClientThatNeverSendsIsClosedAtTheDeadline) {
    HttpLimits limits;
    limits.max_sessions = 1;
    limits.deadline = 300ms;
    Start(limits);
    Client silent(port_);
    ASSERT_TRUE(silent.Connected());
    const auto received = silent.ReadUntilClosed(kPatience);
    ASSERT_TRUE(received) << "a silent client was still connected after " << kPatience.count()
                          << " s";
    EXPECT_EQ(*received, "");
    EXPECT_TRUE(AnsweredWithinPatience()) << "the silent client's slot was not freed";
}

// Out of descriptors, a failed accept is retried after a pause, with one warning, instead of
// at once in a loop writing a warning each time (a million lines in seconds).
TEST_F(HttpEndpointTest, AcceptPausesWhenDescriptorsRunOut) {
    HttpLimits limits;
    limits.accept_pause = 100ms;
    CaptureLog();
    Start(limits);
    Client waiting; // its descriptor before there are none
    {
        DescriptorsExhausted exhausted;
        ASSERT_TRUE(waiting.Connect(port_)); // completes in the backlog, no accept needed
        ASSERT_TRUE(waiting.Send(kGet));
        std::this_thread::sleep_for(1s); // the endpoint keeps failing to accept it
    }
    // With descriptors back, the waiting client is answered after the next pause.
    const auto response = waiting.ReadUntilClosed(kPatience);
    ASSERT_TRUE(response) << "not accepted once descriptors were back";
    EXPECT_EQ(response->rfind("HTTP/1.1 200", 0), 0u) << *response;

    const auto lines = log_->Lines();
    EXPECT_EQ(CountContaining(lines, "accept failed"), 1u) << lines.size() << " lines logged";
    // About one failed accept per pause: ten in that second, not thousands.
    std::smatch match;
    const std::regex again("accepting again after ([0-9]+) failed accept");
    const auto line = std::find_if(lines.begin(), lines.end(), [&](const std::string& text) {
        return std::regex_search(text, match, again);
    });
    ASSERT_NE(line, lines.end()) << "no line when accepting resumed";
    std::regex_search(*line, match, again);
    const int failures = std::stoi(match[1]);
    EXPECT_GE(failures, 1);
    EXPECT_LE(failures, 100);
    // The metrics count every failed accept, logged or not.
    EXPECT_EQ(Counters().failed_accepts, failures);
    EXPECT_EQ(Counters().refused_connections, 0);
}

} // namespace
} // namespace cartwatch
