#include "scripted_smtp_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace cartwatch::testing {
namespace {

// Long enough for any client under test to speak, short enough that a test that went wrong
// ends instead of hanging.
constexpr int kQuietMilliseconds = 10000;

// Connections beyond the scripts that are still recorded (and closed at once).
constexpr std::size_t kUnexpectedConnections = 8;

} // namespace

std::optional<std::string> ScriptedSmtpConnection::ReadLine() {
    for (;;) {
        const std::size_t newline = received_.find('\n');
        if (newline != std::string::npos) {
            std::string line = received_.substr(0, newline);
            received_.erase(0, newline + 1);
            if (!line.empty() && line.back() == '\r') {
                line.pop_back();
            }
            record_.lines.push_back(line);
            return line;
        }
        pollfd fd{socket_, POLLIN, 0};
        if (::poll(&fd, 1, kQuietMilliseconds) <= 0) {
            return std::nullopt;
        }
        char buffer[65536];
        const ssize_t n = ::recv(socket_, buffer, sizeof buffer, 0);
        if (n <= 0) {
            return std::nullopt;
        }
        received_.append(buffer, static_cast<std::size_t>(n));
    }
}

bool ScriptedSmtpConnection::ReadEnvelope() {
    return ReadLine() && ReadLine() && ReadLine();
}

bool ScriptedSmtpConnection::ReadMessage() {
    std::string message;
    const std::size_t first_line = record_.lines.size();
    while (const std::optional<std::string> line = ReadLine()) {
        if (*line == ".") {
            // The message's lines are not commands: only the message keeps them.
            record_.lines.resize(first_line);
            record_.messages.push_back(message);
            return true;
        }
        message += *line + "\r\n";
    }
    return false;
}

bool ScriptedSmtpConnection::Write(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(socket_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

void ScriptedSmtpConnection::Close() {
    ::shutdown(socket_, SHUT_WR);
}

void ScriptedSmtpConnection::Greet(const std::vector<std::string>& keywords) {
    Write("220 scripted.test ESMTP\r\n");
    if (!ReadLine()) {
        return;
    }
    std::string reply = "250-scripted.test\r\n";
    for (const std::string& keyword : keywords) {
        reply += "250-" + keyword + "\r\n";
    }
    Write(reply + "250 8BITMIME\r\n");
}

void ScriptedSmtpConnection::ServeRest() {
    while (const std::optional<std::string> line = ReadLine()) {
        const std::string verb = line->substr(0, 4);
        if (verb == "QUIT") {
            Write("221 2.0.0 bye\r\n");
            return;
        }
        if (verb == "DATA") {
            Write("354 go ahead\r\n");
            if (!ReadMessage()) {
                return;
            }
            Write("250 2.0.0 queued as " + std::to_string(record_.messages.size()) + "\r\n");
        } else {
            Write("250 2.0.0 ok\r\n");
        }
    }
}

ScriptedSmtpServer::ScriptedSmtpServer(std::vector<Script> scripts) : scripts_(std::move(scripts)) {
    records_.reserve(scripts_.size() + kUnexpectedConnections);
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener_, 8) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw std::runtime_error("scripted SMTP server: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
}

ScriptedSmtpServer::~ScriptedSmtpServer() {
    Finish();
}

std::string ScriptedSmtpServer::Url() const {
    return "smtp://127.0.0.1:" + std::to_string(port_);
}

void ScriptedSmtpServer::Accept() {
    while (!stopping_) {
        pollfd fd{listener_, POLLIN, 0};
        if (::poll(&fd, 1, 50) <= 0) {
            continue;
        }
        const int socket = ::accept(listener_, nullptr, nullptr);
        if (socket < 0) {
            continue;
        }
        // Every Write goes out as it is: a reply split in two writes arrives in two pieces.
        const int one = 1;
        ::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::lock_guard<std::mutex> lock(mutex_);
        if (records_.size() == records_.capacity()) {
            ::close(socket);
            continue;
        }
        const std::size_t index = records_.size();
        ScriptedSmtpRecord& record = records_.emplace_back();
        if (index >= scripts_.size()) {
            ::close(socket);
            continue;
        }
        threads_.emplace_back([this, socket, index, &record] {
            ScriptedSmtpConnection connection(socket, record);
            scripts_[index](connection);
            ::close(socket);
        });
    }
}

void ScriptedSmtpServer::Finish() {
    if (!acceptor_.joinable()) {
        return;
    }
    // The scripts first: a client connecting late is still accepted meanwhile.
    for (;;) {
        std::vector<std::thread> running;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            running.swap(threads_);
        }
        if (running.empty()) {
            break;
        }
        for (std::thread& thread : running) {
            thread.join();
        }
    }
    stopping_ = true;
    acceptor_.join();
    ::close(listener_);
}

std::size_t ScriptedSmtpServer::MessageCount() const {
    std::size_t count = 0;
    for (const ScriptedSmtpRecord& record : records_) {
        count += record.messages.size();
    }
    return count;
}

} // namespace cartwatch::testing
