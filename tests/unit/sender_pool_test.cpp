// The sender pool with real transports (the dry-run one, which writes .eml files): every job
// comes back to the loop exactly once, whether sent, failed to build or handed back, though
// the results of fast sends reach the loop in groups.
#include "sender_pool.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <map>

namespace cartwatch {
namespace {

namespace fs = std::filesystem;

class SenderPoolTest : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = fs::temp_directory_path() /
                     ("cartwatch-sender-pool-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(directory_);
    }
    void TearDown() override { fs::remove_all(directory_); }

    SenderPool::TransportFactory DryRun() const {
        return [dir = directory_.string()] { return std::make_unique<DryRunTransport>(dir); };
    }

    static SendJob Job(std::int64_t id) {
        SendJob job;
        job.message.reminder_id = id;
        job.message.envelope_from = "shop@shop.example";
        job.message.recipient = "customer" + std::to_string(id) + "@example.com";
        job.message.bytes = "Subject: test\r\n\r\nbody\r\n";
        return job;
    }

    // Runs the loop until `expected` results came in (or a minute passed); returns how many
    // handlers it ran.
    std::size_t RunUntil(std::size_t expected) {
        auto work = boost::asio::make_work_guard(io_);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
        std::size_t handlers = 0;
        while (results_.size() < expected && std::chrono::steady_clock::now() < deadline) {
            handlers += io_.run_one_for(std::chrono::seconds(1));
        }
        return handlers;
    }

    fs::path directory_;
    boost::asio::io_context io_;
    RateLimiter limiter_{0, 1};
    std::map<std::int64_t, std::vector<SendResult>> results_;
    SenderPool::ResultHandler Record() {
        return [this](SendResult result) { results_[result.reminder_id].push_back(result); };
    }
};

TEST_F(SenderPoolTest, EveryMessageComesBackOnceAndFastSendsInGroups) {
    constexpr int kMessages = 200;
    SenderPool pool(io_, 2, DryRun(), limiter_, Record());
    for (int id = 1; id <= kMessages; ++id) {
        pool.Submit(Job(id));
    }
    const std::size_t handlers = RunUntil(kMessages);
    ASSERT_EQ(kMessages, static_cast<int>(results_.size()));
    for (const auto& [id, received] : results_) {
        ASSERT_EQ(1u, received.size()) << "reminder " << id;
        EXPECT_TRUE(received.front().attempted);
        EXPECT_EQ(0, received.front().transcript.curl_code);
        EXPECT_TRUE(fs::exists(directory_ / (std::to_string(id) + "-customer" + std::to_string(id) +
                                             "@example.com.eml")));
    }
    // Writing a small file takes far less than the grouping delay: the loop ran fewer
    // handlers than there were messages.
    EXPECT_LT(handlers, static_cast<std::size_t>(kMessages));
    pool.Stop();
    io_.poll();
    EXPECT_EQ(kMessages, static_cast<int>(results_.size()));
}

TEST_F(SenderPoolTest, BuildFailuresAndReturnedMessagesComeBackOnce) {
    constexpr int kMessages = 50;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    SenderPool pool(io_, 2, DryRun(), limiter_, Record());
    // The first two jobs hold both threads until released; the first of them fails to build.
    for (int id = 1; id <= 2; ++id) {
        SendJob job = Job(id);
        job.prepare = [released, id](SendJob&) -> std::optional<std::string> {
            released.wait();
            if (id == 1) {
                return std::string("amount is not a number");
            }
            return std::nullopt;
        };
        pool.Submit(std::move(job));
    }
    // Give both threads time to take their job before the rest is queued.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (int id = 3; id <= kMessages; ++id) {
        pool.Submit(Job(id));
    }
    const std::size_t returned = pool.ReturnQueued();
    release.set_value();
    RunUntil(kMessages);
    pool.Stop();
    io_.poll();

    EXPECT_EQ(static_cast<std::size_t>(kMessages - 2), returned);
    ASSERT_EQ(kMessages, static_cast<int>(results_.size()));
    for (const auto& [id, received] : results_) {
        ASSERT_EQ(1u, received.size()) << "reminder " << id;
    }
    EXPECT_FALSE(results_[1].front().attempted);
    EXPECT_EQ("amount is not a number", results_[1].front().prepare_error);
    EXPECT_TRUE(results_[2].front().attempted);
    for (int id = 3; id <= kMessages; ++id) {
        EXPECT_FALSE(results_[id].front().attempted) << "reminder " << id;
        EXPECT_TRUE(results_[id].front().prepare_error.empty());
    }
}

} // namespace
} // namespace cartwatch
