// cartwatchd's one loop. The Application owns the io_context, the signals, the database
// connection, the sender threads and the HTTP endpoints, and moves every claimed reminder
// through its JobState:
//
//   claim -> render -> (ready) -> sender thread -> outcome -> report -> done
//                                                        \-> held (SMTP unavailable) -> release
//
// A cycle runs when the poll timer fires or a NOTIFY on cartwatch_reminders arrives: schedule,
// claim what there is room for, render, hand to the senders. Outcomes come back on the loop's
// thread, which is the only one that touches the database. When SMTP is unavailable sending
// pauses, every held reminder goes back to the queue (no attempt used) and a timer tries again
// later. When the database goes away, outcomes wait in memory and the loop reconnects with
// backoff; SIGTERM stops claiming, lets the sends on the wire finish, reports, releases the
// rest and exits 0.
#pragma once

#include "config.hpp"
#include "http_endpoint.hpp"
#include "metrics.hpp"
#include "outbox.hpp"
#include "rate_limiter.hpp"
#include "render_settings.hpp"
#include "reminder_job.hpp"
#include "retention_runner.hpp"
#include "sender_pool.hpp"
#include "template_renderer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <thread>

namespace cartwatch {

// The sender settings a configuration asks for.
SmtpSettings SmtpSettingsFor(const Config& config);

// database.url with the password from the secrets, for libpq.
std::string DatabaseConnectionString(const Config& config);

// Seconds since the epoch, for metrics and health.
double UnixNow();

class Application {
public:
    enum class Mode {
        kService, // run until SIGTERM
        kOnce,    // one claim cycle, send it, report, exit
    };

    // Loads the templates (throws TemplateError when they are broken: a start-up error).
    Application(Config config, ConfigSources sources, Mode mode);
    ~Application();
    Application(const Application&) = delete;
    Application& operator=(const Application&) = delete;

    // Runs until done; returns the process exit code.
    int Run();

private:
    struct PendingReport {
        std::int64_t reminder_id;
        ReportKind kind;
        std::string detail;
    };

    // Database.
    void ConnectDatabase();
    void WatchDatabaseSocket();
    void HandleNotifications(const std::vector<std::string>& payloads);
    void OnDatabaseError(const char* during, const std::exception& error);
    // Reconnects after `delay`, the database backoff's current step (taken once per failure).
    void ScheduleReconnect(Backoff::Duration delay);

    // The cycle.
    // A full cycle schedules, claims and re-arms the poll timer; a claim-only cycle tops up
    // the batch while a backlog drains.
    enum class CycleKind { kFull, kClaimOnly };
    void RequestCycle(CycleKind kind = CycleKind::kFull);
    void RunCycle(CycleKind kind = CycleKind::kFull);
    void ArmPollTimer(std::chrono::milliseconds after);
    void AdmitJob(const ClaimedReminder& reminder);
    void Dispatch();
    void OnSendResult(SendResult result);
    void FlushReports();
    void RequestFlush();
    void FlushSoon();
    OutboxReport ToOutboxReport(const PendingReport& report) const;
    void ReleaseHeldWhenIdle();
    void EnterPause(const SmtpVerdict& verdict);
    void RefreshQueueMetrics();
    void MaybeRunRetention();
    void StopRetention(); // cancels a run in progress and waits for its thread

    // Lifecycle.
    void WaitForSignals();
    void BeginDrain(const char* why);
    void MaybeFinish();
    void Finish(int exit_code);
    void Reload();
    void StartEndpoints();
    void StartWatchdog();
    void Notify(const std::string& state) const;
    void UpdateStatus();
    // UpdateStatus for a send's outcome: at most once a second, the last one never lost.
    void UpdateStatusSoon();
    std::unique_ptr<SenderPool> MakePool();
    SenderPool::TransportFactory TransportFactoryFor(const Config& config) const;

    Config config_;
    ConfigSources sources_;
    Mode mode_;
    std::shared_ptr<const TemplateSet> templates_;
    // What sender threads render with. A sender reads it when it starts a message, not when
    // the message is queued, so a reload reaches every message not yet rendered.
    std::shared_ptr<RenderSettings> render_settings_;

    boost::asio::io_context io_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer poll_timer_;
    boost::asio::steady_timer reconnect_timer_;
    boost::asio::steady_timer resume_timer_;
    boost::asio::steady_timer watchdog_timer_;
    boost::asio::steady_timer drain_timer_;
    boost::asio::steady_timer retention_timer_;
    boost::asio::steady_timer flush_timer_;
    boost::asio::steady_timer status_timer_;
    std::unique_ptr<boost::asio::posix::stream_descriptor> database_socket_;

    Outbox outbox_;
    RateLimiter limiter_;
    std::unique_ptr<SenderPool> pool_;
    std::unique_ptr<HttpEndpoint> metrics_endpoint_;
    std::unique_ptr<HttpEndpoint> unsubscribe_endpoint_;

    std::map<std::int64_t, ReminderJob> jobs_;
    std::deque<std::int64_t> ready_;
    std::deque<PendingReport> reports_;
    DaemonMetrics metrics_;
    std::optional<QueueMetrics> queue_;

    Backoff database_backoff_;
    Backoff smtp_backoff_;
    bool ready_notified_ = false;
    bool connected_once_ = false;
    bool cycle_posted_ = false;
    bool full_cycle_wanted_ = false;
    bool flush_posted_ = false;
    bool flush_timer_armed_ = false;
    bool status_timer_armed_ = false;
    std::chrono::steady_clock::time_point last_status_{};
    bool last_claim_full_ = false;
    bool once_claimed_ = false;
    bool finished_ = false;
    std::chrono::steady_clock::time_point last_retention_{};
    std::optional<RetentionStatus> retention_status_; // what the last check found
    std::string pause_reason_;
    int exit_code_ = 0;

    // Retention runs on a thread and connection of its own: a long run must not stall sends.
    std::thread retention_thread_;
    std::shared_ptr<RetentionRunner> retention_runner_; // the run on that thread, to cancel it
};

} // namespace cartwatch
