#include "sender_pool.hpp"

#include <boost/asio/post.hpp>

namespace cartwatch {

SenderPool::SenderPool(boost::asio::io_context& io, int threads, TransportFactory factory,
                       RateLimiter& limiter, ResultHandler on_result)
    : io_(io), limiter_(limiter), on_result_(std::move(on_result)), factory_(std::move(factory)) {
    for (int i = 0; i < threads; ++i) {
        threads_.emplace_back([this] { Run(); });
    }
}

SenderPool::~SenderPool() {
    Stop();
}

void SenderPool::Submit(OutgoingMessage message) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(std::move(message));
    }
    wake_.notify_one();
}

void SenderPool::Reconfigure(TransportFactory factory) {
    std::lock_guard<std::mutex> lock(mutex_);
    factory_ = std::move(factory);
    ++generation_;
}

void SenderPool::Stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& thread : threads_) {
        if (thread.joinable()) {
            thread.join();
        }
    }
    threads_.clear();
}

void SenderPool::Run() {
    std::unique_ptr<MessageTransport> transport;
    unsigned transport_generation = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) {
            return; // stopping, nothing left
        }
        OutgoingMessage message = std::move(queue_.front());
        queue_.pop_front();
        SendResult result;
        result.reminder_id = message.reminder_id;

        // Wait for the rate slot; Stop() cuts the wait short and the message goes back.
        const auto slot = stopping_ ? RateLimiter::Clock::now()
                                    : limiter_.Reserve(RateLimiter::Clock::now());
        wake_.wait_until(lock, slot, [this] { return stopping_; });
        if (stopping_) {
            result.attempted = false;
        } else {
            if (!transport || transport_generation != generation_) {
                transport = factory_();
                transport_generation = generation_;
            }
            lock.unlock();
            const auto started = std::chrono::steady_clock::now();
            result.transcript = transport->Send(message);
            result.took = std::chrono::steady_clock::now() - started;
            lock.lock();
        }
        boost::asio::post(io_, [handler = on_result_, result = std::move(result)]() mutable {
            handler(std::move(result));
        });
    }
}

} // namespace cartwatch
