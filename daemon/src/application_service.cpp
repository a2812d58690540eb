// The Application's outward faces: the metrics, health and unsubscribe endpoints, systemd's
// notifications and watchdog, and the retention runs it starts. Split from application.cpp,
// which holds the reminder loop itself.
#include "application.hpp"

#include "unsubscribe_page.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace cartwatch {

using Clock = std::chrono::steady_clock;

void Application::MaybeRunRetention() {
    // One minute between checks; run_retention itself knows which policy is due. A role that
    // is not granted retention, or a database whose background worker runs it, is asked again
    // each time, so a grant or a stopped worker takes effect without a restart.
    if (!config_.daemon.retention || retention_status_ == RetentionStatus::kNoRetention ||
        mode_ != Mode::kService || !metrics_.database_up ||
        Clock::now() - last_retention_ < std::chrono::minutes(1)) {
        return;
    }
    if (retention_thread_.joinable()) {
        return; // the last run is still going; it is joined when it posts back
    }
    last_retention_ = Clock::now();
    retention_runner_ = std::make_shared<RetentionRunner>(DatabaseConnectionString(config_));
    retention_thread_ = std::thread([this, runner = retention_runner_] {
        RetentionOutcome outcome;
        std::string failure;
        try {
            outcome = runner->RunDue();
        } catch (const std::exception& error) {
            failure = error.what();
        }
        boost::asio::post(io_, [this, outcome = std::move(outcome), failure] {
            retention_thread_.join();
            for (const RetentionNotice& notice : outcome.notices) {
                spdlog::log(notice.warning ? spdlog::level::warn : spdlog::level::info, "{}",
                            notice.text);
            }
            if (!failure.empty()) {
                spdlog::warn("retention run failed: {}", failure);
                return;
            }
            // Said once per change, not every minute.
            if (retention_status_ != outcome.status) {
                const std::string why = DescribeRetentionStatus(outcome);
                if (outcome.status == RetentionStatus::kNotGranted) {
                    spdlog::warn("{}", why);
                } else if (!why.empty()) {
                    spdlog::info("{}", why);
                } else {
                    spdlog::info("cartwatchd runs the retention policies that are due");
                }
            }
            retention_status_ = outcome.status;
        });
    });
}

void Application::StopRetention() {
    if (!retention_thread_.joinable()) {
        return;
    }
    // A run may take minutes (a backlog, paced batches); its committed batches stay done.
    retention_runner_->Cancel();
    retention_thread_.join();
}

void Application::StartEndpoints() {
    if (auto address = ParseListenAddress(config_.daemon.metrics_listen)) {
        metrics_endpoint_ = std::make_unique<HttpEndpoint>(
            io_, address->first, address->second, "metrics",
            [this](const HttpRequest& request) {
                HttpResponse response;
                const std::string path = request.target.substr(0, request.target.find('?'));
                if (request.method != "GET" && request.method != "HEAD") {
                    // Read-only: a POST or PUT here is a mistake in a probe or a script.
                    response.status = 405;
                    response.headers["Allow"] = "GET, HEAD";
                    response.body = "cartwatchd: /metrics and /health answer GET and HEAD\n";
                } else if (path == "/metrics") {
                    // Fresh queue numbers when the database answers; the last known otherwise.
                    if (metrics_.database_up) {
                        try {
                            RefreshQueueMetrics();
                        } catch (const std::exception& error) {
                            OnDatabaseError("reading metrics", error);
                        }
                    }
                    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
                    response.body = RenderPrometheus(metrics_, queue_);
                } else if (path == "/health" || path == "/healthz") {
                    const Health health = EvaluateHealth(metrics_, queue_, UnixNow());
                    response.status = health.healthy ? 200 : 503;
                    response.content_type = "application/json";
                    response.body = health.json + "\n";
                } else {
                    response.status = 404;
                    response.body = "cartwatchd: /metrics and /health\n";
                }
                return response;
            },
            DefaultHttpLimits(), &metrics_.metrics_endpoint);
        spdlog::info("metrics and health on http://{}:{}/metrics and /health", address->first,
                     metrics_endpoint_->Port());
    }
    if (auto address = ParseListenAddress(config_.unsubscribe.listen)) {
        unsubscribe_endpoint_ = std::make_unique<HttpEndpoint>(
            io_, address->first, address->second, "unsubscribe",
            [this](const HttpRequest& request) {
                return HandleUnsubscribe(
                    request, config_.shop.unsubscribe_url, config_.shop.name,
                    [this](const std::string& token) -> std::optional<bool> {
                        if (!metrics_.database_up) {
                            return std::nullopt;
                        }
                        try {
                            const bool done = outbox_.Unsubscribe(token);
                            if (done) {
                                metrics_.unsubscribes++;
                                spdlog::info("unsubscribe link used: address suppressed");
                            }
                            return done;
                        } catch (const std::exception& error) {
                            OnDatabaseError("unsubscribing", error);
                            return std::nullopt;
                        }
                    });
            },
            DefaultHttpLimits(), &metrics_.unsubscribe_endpoint);
        spdlog::info("serving unsubscribe links on http://{}:{}", address->first,
                     unsubscribe_endpoint_->Port());
    }
}

void Application::StartWatchdog() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
        return;
    }
    // Pinged from the loop itself: a wedged loop stops the pings and systemd restarts us. The
    // sender threads, which may block in libcurl, never ping.
    const auto interval = std::chrono::microseconds(usec / 2);
    watchdog_timer_.expires_after(interval);
    watchdog_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) {
            return;
        }
        sd_notify(0, "WATCHDOG=1");
        StartWatchdog();
    });
}

void Application::Notify(const std::string& state) const {
    if (mode_ == Mode::kService) {
        sd_notify(0, state.c_str());
    }
}

// Under systemd every STATUS line is a datagram that systemd wakes up to read; one per
// message sent would cost systemd more than the message costs us.
void Application::UpdateStatusSoon() {
    constexpr std::chrono::seconds kStatusInterval{1};
    const auto now = std::chrono::steady_clock::now();
    if (now - last_status_ >= kStatusInterval) {
        UpdateStatus();
        return;
    }
    if (status_timer_armed_) {
        return;
    }
    status_timer_armed_ = true;
    status_timer_.expires_at(last_status_ + kStatusInterval);
    status_timer_.async_wait([this](boost::system::error_code ec) {
        status_timer_armed_ = false;
        if (!ec) {
            UpdateStatus();
        }
    });
}

void Application::UpdateStatus() {
    if (mode_ != Mode::kService || metrics_.draining || !metrics_.database_up) {
        return;
    }
    last_status_ = std::chrono::steady_clock::now();
    std::string status = metrics_.sending_paused ? "STATUS=sending paused; " : "STATUS=running; ";
    status += "sent=" + std::to_string(metrics_.sent) +
              " retried=" + std::to_string(metrics_.retried) +
              " failed=" + std::to_string(metrics_.failed + metrics_.suppressed) +
              " unknown=" + std::to_string(metrics_.unknown) +
              " in_flight=" + std::to_string(metrics_.in_flight);
    if (queue_) {
        status += " due=" + std::to_string(queue_->due);
    }
    Notify(status);
}

} // namespace cartwatch
