// A few sender threads, each with its own MessageTransport (one SMTP connection), fed from a
// queue and handing the outcomes back to the Asio loop with asio::post, several at a time.
//
// Why threads and not curl_multi on the event loop: libcurl waits for the reply to the final
// "." with a blocking call even in its multi interface, so a slow relay would stall the loop,
// and with it the database, the metrics endpoint and the systemd watchdog. The loop stays the
// only place that touches the database; threads only talk SMTP.
#pragma once

#include "rate_limiter.hpp"
#include "smtp_sender.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace cartwatch {

// A message to send, possibly still to be rendered: rendering is CPU work, so it runs on the
// sender threads, in parallel, rather than on the event loop.
struct SendJob {
    OutgoingMessage message;
    // Fills message.bytes and the fields below; returns an error text when the message cannot
    // be built (then nothing is sent). Empty when the bytes are there already.
    std::function<std::optional<std::string>(SendJob&)> prepare;
    std::string message_id;
    std::string subject;
    std::string template_name;
};

struct SendResult {
    std::int64_t reminder_id = 0;
    SmtpTranscript transcript;
    bool attempted = true;     // false: the pool stopped before the message went out
    std::string prepare_error; // set: the message could not be built, nothing was sent
    std::string message_id;    // from prepare
    std::string subject;
    std::string template_name;
    std::chrono::steady_clock::duration took{};
};

class SenderPool {
public:
    using TransportFactory = std::function<std::unique_ptr<MessageTransport>()>;
    using ResultHandler = std::function<void(SendResult)>;

    // on_result runs on io's thread. The limiter is shared by all threads.
    SenderPool(boost::asio::io_context& io, int threads, TransportFactory factory,
               RateLimiter& limiter, ResultHandler on_result);
    ~SenderPool();
    SenderPool(const SenderPool&) = delete;
    SenderPool& operator=(const SenderPool&) = delete;

    void Submit(SendJob job);

    // How long a result of a fast send may wait for others before the loop hears of it, and
    // how many may wait: the loop is woken once per group instead of once per message.
    static constexpr std::chrono::milliseconds kResultDelay{5};
    static constexpr std::size_t kResultGroup = 16;

    // New transports for the sends that follow (after a configuration reload); each thread
    // drops its connection before its next message.
    void Reconfigure(TransportFactory factory);

    // Hands back every message no thread has started, as unattempted results; returns how
    // many. The ones being rendered or sent carry on.
    std::size_t ReturnQueued();
    // Stops taking messages: one waiting for its rate slot comes back unattempted, the ones
    // on the wire finish. Blocks until every thread has ended.
    void Stop();

private:
    // Finished results waiting for the loop, shared with the posted handler, which may run
    // after the pool is gone.
    struct Finished {
        std::mutex mutex;
        std::vector<SendResult> results;
        std::chrono::steady_clock::time_point oldest;
        bool delivery_posted = false;
    };

    void Run();
    // Called with mutex_ held. `urgent`: the loop must hear of it now (a failure, a slow send).
    void Finish(SendResult result, bool urgent);
    // Posts what is waiting unless a delivery is on its way.
    void Deliver();

    boost::asio::io_context& io_;
    RateLimiter& limiter_;
    ResultHandler on_result_;
    std::shared_ptr<Finished> finished_ = std::make_shared<Finished>();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<SendJob> queue_;
    TransportFactory factory_;
    unsigned generation_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

} // namespace cartwatch
