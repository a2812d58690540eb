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

void SenderPool::Submit(SendJob job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(std::move(job));
    }
    wake_.notify_one();
}

void SenderPool::Reconfigure(TransportFactory factory) {
    std::lock_guard<std::mutex> lock(mutex_);
    factory_ = std::move(factory);
    ++generation_;
}

std::size_t SenderPool::ReturnQueued() {
    std::deque<SendJob> returned;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        returned.swap(queue_);
    }
    for (const SendJob& job : returned) {
        SendResult result;
        result.reminder_id = job.message.reminder_id;
        result.attempted = false;
        PostResult(std::move(result));
    }
    return returned.size();
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
        SendJob job = std::move(queue_.front());
        queue_.pop_front();
        SendResult result;
        result.reminder_id = job.message.reminder_id;
        if (job.prepare && !stopping_) {
            lock.unlock();
            std::optional<std::string> error = job.prepare(job);
            lock.lock();
            result.message_id = job.message_id;
            result.subject = job.subject;
            result.template_name = job.template_name;
            if (error) {
                result.attempted = false;
                result.prepare_error = std::move(*error);
                PostResult(std::move(result));
                continue;
            }
        }

        // Wait for the rate slot; Stop() cuts the wait short and the message goes back.
        const auto slot =
            stopping_ ? RateLimiter::Clock::now() : limiter_.Reserve(RateLimiter::Clock::now());
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
            result.transcript = transport->Send(job.message);
            result.took = std::chrono::steady_clock::now() - started;
            lock.lock();
        }
        PostResult(std::move(result));
    }
}

void SenderPool::PostResult(SendResult result) {
    boost::asio::post(io_, [handler = on_result_, result = std::move(result)]() mutable {
        handler(std::move(result));
    });
}

} // namespace cartwatch
