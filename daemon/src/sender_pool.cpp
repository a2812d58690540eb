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
    std::lock_guard<std::mutex> lock(mutex_);
    std::deque<SendJob> returned;
    returned.swap(queue_);
    for (const SendJob& job : returned) {
        SendResult result;
        result.reminder_id = job.message.reminder_id;
        result.attempted = false;
        Finish(std::move(result), true);
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
    Deliver(); // nothing should be left, but a result must never stay behind
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
                Finish(std::move(result), true);
                continue;
            }
        }

        // Wait for the rate slot; Stop() cuts the wait short and the message goes back. No
        // wait at all when the slot is now (no rate limit): a timed wait that has already
        // expired still costs a system call and a pass through the mutex.
        const auto now = RateLimiter::Clock::now();
        const auto slot = stopping_ ? now : limiter_.Reserve(now);
        if (slot > now) {
            if (slot - now > kResultDelay) {
                Deliver(); // what waits behind this thread must not wait for the slot too
            }
            wake_.wait_until(lock, slot, [this] { return stopping_; });
        }
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
        // A send that failed, or took long enough that grouping would only delay its news.
        const bool urgent =
            !result.attempted || result.transcript.curl_code != 0 || result.took >= kResultDelay;
        Finish(std::move(result), urgent);
    }
}

// Results of fast sends wait, up to kResultGroup of them or kResultDelay, for the loop to take
// them in one go: each post to an idle loop wakes its thread, which on a loaded machine costs
// more than handling the result. Anything urgent goes at once, and so does everything when
// the queue is empty (the loop has more to hand out or a batch to close) or the pool stops.
// A result can be held while its thread starts the next send, so a fast relay that turns slow
// delays it by that one send, after which every result is urgent.
void SenderPool::Finish(SendResult result, bool urgent) {
    const auto now = std::chrono::steady_clock::now();
    bool post = false;
    {
        std::lock_guard<std::mutex> lock(finished_->mutex);
        if (finished_->results.empty()) {
            finished_->oldest = now;
        }
        finished_->results.push_back(std::move(result));
        post = urgent || stopping_ || queue_.empty() || finished_->results.size() >= kResultGroup ||
               now - finished_->oldest >= kResultDelay;
    }
    if (post) {
        Deliver();
    }
}

void SenderPool::Deliver() {
    {
        std::lock_guard<std::mutex> lock(finished_->mutex);
        if (finished_->delivery_posted || finished_->results.empty()) {
            return;
        }
        finished_->delivery_posted = true;
    }
    boost::asio::post(io_, [finished = finished_, handler = on_result_] {
        std::vector<SendResult> results;
        {
            std::lock_guard<std::mutex> lock(finished->mutex);
            results.swap(finished->results);
            finished->delivery_posted = false;
        }
        for (SendResult& result : results) {
            handler(std::move(result));
        }
    });
}

} // namespace cartwatch
