#include "application.hpp"

#include "logging.hpp"
#include "reminder_rendering.hpp"
#include "unsubscribe_page.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <unistd.h>

#include <csignal>
#include <ctime>

namespace cartwatch {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// libpq's messages span lines; a log line is one line.
std::string OneLine(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r' || c == '\t') {
            c = ' ';
        }
    }
    while (!text.empty() && text.back() == ' ') {
        text.pop_back();
    }
    return text;
}

// "2026-11-23T18:00:00.000000Z" (cartwatch.notify_reminders) -> a system clock time.
std::optional<std::chrono::system_clock::time_point> ParseUtcTimestamp(const std::string& text) {
    std::tm parts{};
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute,
                    &second) != 6) {
        return std::nullopt;
    }
    parts.tm_year = year - 1900;
    parts.tm_mon = month - 1;
    parts.tm_mday = day;
    parts.tm_hour = hour;
    parts.tm_min = minute;
    parts.tm_sec = second;
    return std::chrono::system_clock::from_time_t(timegm(&parts));
}

} // namespace

double UnixNow() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string DatabaseConnectionString(const Config& config) {
    return ConnectionStringWithPassword(config.database.url, config.secrets.database_password);
}

SmtpSettings SmtpSettingsFor(const Config& config) {
    SmtpSettings settings;
    settings.url = config.smtp.url;
    settings.helo_name = config.smtp.helo_name;
    settings.username = config.smtp.username;
    settings.password = config.secrets.smtp_password;
    settings.require_starttls = config.smtp.starttls == StartTls::kRequired;
    settings.ca_file = config.smtp.ca_file;
    settings.verify_peer = config.smtp.verify_peer;
    settings.connect_timeout = config.smtp.connect_timeout;
    settings.response_timeout = config.smtp.response_timeout;
    settings.idle_timeout = config.smtp.idle_timeout;
    return settings;
}

Application::Application(Config config, ConfigSources sources, Mode mode)
    : config_(std::move(config)), sources_(std::move(sources)), mode_(mode),
      templates_(std::make_shared<const TemplateSet>(config_.templates.dir)),
      signals_(io_, SIGTERM, SIGINT, SIGHUP), poll_timer_(io_), reconnect_timer_(io_),
      resume_timer_(io_), watchdog_timer_(io_), drain_timer_(io_), retention_timer_(io_),
      flush_timer_(io_), status_timer_(io_),
      outbox_(DatabaseConnectionString(config_),
              config_.database.worker.empty() ? DefaultWorkerName() : config_.database.worker,
              config_.database.statement_timeout),
      limiter_(config_.smtp.rate_per_second, std::max(1.0, config_.smtp.rate_per_second)),
      database_backoff_(seconds(1), seconds(30)), smtp_backoff_(seconds(1), seconds(60)) {
    metrics_.started_unix = UnixNow();
    // A setting every message depends on (the sender's address, a link) fails here, once,
    // rather than as a render failure of each reminder in turn.
    std::shared_ptr<const DkimSigner> dkim = DkimSignerFor(config_);
    if (const std::optional<std::string> failure =
            CheckSampleRendering(*templates_, config_, dkim.get())) {
        throw ConfigError(*failure);
    }
    render_settings_ = std::make_shared<RenderSettings>();
    render_settings_->Set({templates_, std::make_shared<const Config>(config_), dkim});
}

Application::~Application() {
    if (pool_) {
        pool_->Stop();
    }
    StopRetention();
}

int Application::Run() {
    pool_ = MakePool();
    WaitForSignals();
    if (mode_ == Mode::kService) {
        StartEndpoints();
        StartWatchdog();
    }
    spdlog::info("cartwatchd {} starting as worker {}: {} sender(s), {}, {}", CARTWATCH_VERSION,
                 outbox_.Worker(), config_.smtp.concurrency,
                 config_.smtp.rate_per_second > 0
                     ? fmt::format("at most {} per second", config_.smtp.rate_per_second)
                     : std::string("no rate limit"),
                 config_.daemon.dry_run_dir.empty() ? "sending to " + config_.smtp.url
                                                    : "dry run into " + config_.daemon.dry_run_dir);
    Notify("STATUS=connecting to the database");
    boost::asio::post(io_, [this] { ConnectDatabase(); });
    io_.run();
    return exit_code_;
}

// ---------------------------------------------------------------------------------------------
// Database

void Application::ConnectDatabase() {
    if (finished_) {
        return;
    }
    try {
        outbox_.Connect();
    } catch (const std::exception& error) {
        metrics_.database_errors++;
        if (mode_ == Mode::kOnce) {
            spdlog::error("cannot connect to the database: {}", OneLine(error.what()));
            Finish(1);
            return;
        }
        const auto delay = database_backoff_.Next();
        spdlog::warn("database unavailable: {}; retrying in {}", OneLine(error.what()),
                     FormatDuration(delay));
        Notify("STATUS=database unavailable, retrying");
        ScheduleReconnect(delay);
        return;
    }
    metrics_.database_up = true;
    database_backoff_.Reset();
    if (connected_once_) {
        metrics_.database_reconnects++;
        spdlog::info("database connection restored");
    } else {
        spdlog::info("connected to the database");
    }
    connected_once_ = true;
    WatchDatabaseSocket();
    if (!ready_notified_) {
        ready_notified_ = true;
        // Configuration, templates and database are checked: the service is up.
        Notify("READY=1\nSTATUS=running");
    }
    try {
        FlushReports();
        ReleaseHeldWhenIdle();
    } catch (const std::exception& error) {
        OnDatabaseError("reporting", error);
        return;
    }
    if (metrics_.draining) {
        MaybeFinish();
        return;
    }
    RequestCycle();
}

void Application::ScheduleReconnect(Backoff::Duration delay) {
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            ConnectDatabase();
        }
    });
}

void Application::WatchDatabaseSocket() {
    // A duplicate of libpq's descriptor: Asio may close its own copy at will, libpq keeps its.
    const int fd = ::dup(outbox_.Socket());
    if (fd < 0) {
        return; // no wake-ups, the poll timer still works
    }
    database_socket_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd);
    database_socket_->async_wait(
        boost::asio::posix::stream_descriptor::wait_read,
        [this, socket = database_socket_.get()](boost::system::error_code ec) {
            if (ec == boost::asio::error::operation_aborted || socket != database_socket_.get()) {
                return;
            }
            try {
                HandleNotifications(outbox_.ConsumeNotifications());
            } catch (const std::exception& error) {
                OnDatabaseError("listening", error);
                return;
            }
            if (metrics_.database_up) {
                WatchDatabaseSocket();
            }
        });
}

void Application::HandleNotifications(const std::vector<std::string>& payloads) {
    if (payloads.empty()) {
        return;
    }
    // Each payload is when something becomes due: now, or a retry later. Wake up for the
    // earliest; a cycle comes anyway at the poll interval.
    const auto now = std::chrono::system_clock::now();
    std::optional<std::chrono::system_clock::time_point> earliest;
    for (const std::string& payload : payloads) {
        auto due = ParseUtcTimestamp(payload);
        if (!due) {
            due = now;
        }
        earliest = earliest ? std::min(*earliest, *due) : *due;
    }
    const auto wait = std::chrono::duration_cast<milliseconds>(*earliest - now);
    if (wait <= milliseconds(0)) {
        RequestCycle();
    } else if (Clock::now() + wait < poll_timer_.expiry()) {
        ArmPollTimer(wait + milliseconds(50));
    }
}

void Application::OnDatabaseError(const char* during, const std::exception& error) {
    metrics_.database_errors++;
    if (!IsConnectionLost(error) && outbox_.Connected()) {
        spdlog::error("database error while {}: {}", during, OneLine(error.what()));
        return;
    }
    if (!metrics_.database_up) {
        return; // already reconnecting
    }
    metrics_.database_up = false;
    queue_.reset();
    spdlog::error("database connection lost while {}: {}; {} result(s) wait to be reported, "
                  "reconnecting",
                  during, OneLine(error.what()), reports_.size());
    Notify("STATUS=database connection lost, reconnecting");
    database_socket_.reset();
    outbox_.Disconnect();
    if (mode_ == Mode::kOnce) {
        Finish(1);
        return;
    }
    ScheduleReconnect(database_backoff_.Next());
}

// ---------------------------------------------------------------------------------------------
// The cycle

void Application::RequestCycle(CycleKind kind) {
    full_cycle_wanted_ = full_cycle_wanted_ || kind == CycleKind::kFull;
    if (cycle_posted_) {
        return;
    }
    cycle_posted_ = true;
    boost::asio::post(io_, [this] {
        cycle_posted_ = false;
        const CycleKind wanted = full_cycle_wanted_ ? CycleKind::kFull : CycleKind::kClaimOnly;
        full_cycle_wanted_ = false;
        RunCycle(wanted);
    });
}

void Application::ArmPollTimer(milliseconds after) {
    poll_timer_.expires_after(after);
    poll_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            RunCycle();
        }
    });
}

void Application::RunCycle(CycleKind kind) {
    if (!metrics_.database_up || metrics_.draining || finished_) {
        return;
    }
    const bool full = kind == CycleKind::kFull;
    if (full && mode_ == Mode::kService) {
        ArmPollTimer(config_.daemon.poll_interval);
    }
    try {
        FlushReports();
        // Scheduling re-checks every queued reminder: once per poll or notification, not for
        // every top-up of a draining backlog.
        if (full && config_.daemon.schedule) {
            const int scheduled = outbox_.Schedule();
            if (scheduled > 0) {
                spdlog::info("scheduled {} reminder(s)", scheduled);
            }
        }
        const int room = config_.daemon.batch_size - static_cast<int>(jobs_.size());
        if (!metrics_.sending_paused && room > 0 && !(mode_ == Mode::kOnce && once_claimed_)) {
            const std::vector<ClaimedReminder> claimed =
                outbox_.Claim(room, config_.database.lease);
            once_claimed_ = true;
            last_claim_full_ = static_cast<int>(claimed.size()) == room;
            metrics_.claimed += static_cast<std::int64_t>(claimed.size());
            if (!claimed.empty()) {
                spdlog::debug("claimed {} reminder(s)", claimed.size());
            }
            for (const ClaimedReminder& reminder : claimed) {
                AdmitJob(reminder);
            }
        }
        if (full) {
            // Once per poll is enough for the gauges (the metrics endpoint reads its own).
            RefreshQueueMetrics();
        }
        metrics_.last_cycle_unix = UnixNow();
    } catch (const std::exception& error) {
        OnDatabaseError("running a cycle", error);
    }
    if (full) {
        MaybeRunRetention();
    }
    Dispatch();
    UpdateStatus();
    MaybeFinish();
}

void Application::AdmitJob(const ClaimedReminder& reminder) {
    ReminderJob job;
    job.reminder_id = reminder.reminder_id;
    job.step = reminder.step;
    job.attempt = reminder.attempt;
    job.reminder = reminder;
    job.state = JobState::kReady;
    ready_.push_back(job.reminder_id);
    jobs_[job.reminder_id] = std::move(job);
}

// Hands ready reminders to the sender threads: a batch beyond the ones being sent, queued in
// the pool, so that the senders keep going while the loop waits for the database (a claim or
// a flush of outcomes). A drain or a pause takes back what no sender has started.
void Application::Dispatch() {
    const int queue_limit = config_.smtp.concurrency + config_.daemon.batch_size;
    while (!metrics_.sending_paused && !metrics_.draining && !ready_.empty() &&
           metrics_.in_flight < queue_limit) {
        ReminderJob& job = jobs_.at(ready_.front());
        ready_.pop_front();
        job.state = JobState::kSending;
        metrics_.in_flight++;
        SendJob send;
        send.message.reminder_id = job.reminder_id;
        send.message.recipient = job.reminder.email;
        // Runs on the sender thread: only what the lambda holds, nothing of the Application.
        send.prepare = [settings = render_settings_, reminder = std::move(job.reminder)](
                           SendJob& self) -> std::optional<std::string> {
            const RenderSettings::Snapshot current = settings->Current();
            self.message.envelope_from = current.config->smtp.from_address;
            Result<RenderedMessage> rendered = RenderReminder(
                *current.templates, reminder, *current.config, std::chrono::system_clock::now(),
                FastBoundaryTokens(), current.dkim.get());
            if (!rendered) {
                return rendered.error();
            }
            self.message.recipient = std::move(rendered.value().recipient);
            self.message.bytes = std::move(rendered.value().bytes);
            self.message_id = rendered.value().message_id;
            self.subject = rendered.value().subject;
            self.template_name = rendered.value().template_name;
            return std::nullopt;
        };
        pool_->Submit(std::move(send));
    }
}

void Application::OnSendResult(SendResult result) {
    metrics_.in_flight--;
    auto found = jobs_.find(result.reminder_id);
    if (found == jobs_.end()) {
        return; // cannot happen: jobs leave the map only once reported or released
    }
    ReminderJob& job = found->second;
    job.message_id = result.message_id;
    job.subject = result.subject;
    job.template_name = result.template_name;
    if (!result.prepare_error.empty()) {
        // Data no template can show (a hostile link, a broken amount): retrying cannot help.
        metrics_.render_failures++;
        spdlog::error("reminder {} (cart {}) cannot be rendered: {}; giving up", job.reminder_id,
                      job.reminder.cart_id, result.prepare_error);
        job.state = JobState::kReporting;
        job.verdict = SmtpVerdict{SmtpOutcome::kPermanent, "render: " + result.prepare_error};
        reports_.push_back({job.reminder_id, ReportKind::kGiveUp, job.verdict->detail});
    } else if (!result.attempted) {
        job.state = JobState::kHeld;
    } else {
        const SmtpVerdict verdict = ClassifyTranscript(result.transcript);
        metrics_.send_seconds_total += std::chrono::duration<double>(result.took).count();
        metrics_.send_seconds_count++;
        job.verdict = verdict;
        switch (verdict.outcome) {
        case SmtpOutcome::kSent:
            metrics_.sent++;
            metrics_.last_success_unix = UnixNow();
            smtp_backoff_.Reset();
            spdlog::info("reminder {} ({} reminder, attempt {}) sent: {} {}", job.reminder_id,
                         job.step, job.attempt, job.message_id, verdict.detail);
            break;
        case SmtpOutcome::kTransient:
            metrics_.retried++;
            spdlog::warn("reminder {} deferred by the server, will be retried: {}", job.reminder_id,
                         verdict.detail);
            break;
        case SmtpOutcome::kPermanent:
            metrics_.failed++;
            spdlog::warn("reminder {} rejected, giving up: {}", job.reminder_id, verdict.detail);
            break;
        case SmtpOutcome::kBadAddress:
            metrics_.suppressed++;
            spdlog::warn("reminder {} rejected, the address does not exist and is suppressed: {}",
                         job.reminder_id, verdict.detail);
            break;
        case SmtpOutcome::kUnknown:
            metrics_.unknown++;
            spdlog::error("reminder {}: no reply after the message was sent ({}); it may have "
                          "been delivered and is recorded as unknown, not resent",
                          job.reminder_id, verdict.detail);
            break;
        case SmtpOutcome::kServerUnavailable:
        case SmtpOutcome::kConfigFault:
            break;
        }
        if (PausesSending(verdict.outcome)) {
            job.state = JobState::kHeld;
            EnterPause(verdict);
        } else {
            job.state = JobState::kReporting;
            reports_.push_back({job.reminder_id, ReportFor(verdict.outcome), verdict.detail});
        }
    }
    // The next message first, so the senders never wait for the database; then the outcomes,
    // written together with whatever else arrived in the meantime.
    Dispatch();
    FlushSoon();
    // Top up when half the batch is left: the claim runs while the senders work through the
    // other half.
    const std::size_t unsent = jobs_.size() - reports_.size();
    if (mode_ == Mode::kService && last_claim_full_ && !metrics_.sending_paused &&
        !metrics_.draining &&
        unsent <= static_cast<std::size_t>(std::max(1, config_.daemon.batch_size / 2))) {
        RequestCycle(CycleKind::kClaimOnly);
    }
    UpdateStatusSoon();
}

// Outcomes are written in batches: a transaction per message would cost the database more
// than the message. A batch goes when half a claim batch has come in, when nothing is left on
// the wire (the end of a batch, a drain), or 50 ms after its first outcome, whichever is
// first; a crash in between leaves those reminders to the lost_lease policy (unknown by
// default: never sent twice).
void Application::FlushSoon() {
    const std::size_t enough = static_cast<std::size_t>(std::max(1, config_.daemon.batch_size / 2));
    if (reports_.size() >= enough || metrics_.in_flight == 0 || metrics_.draining ||
        mode_ == Mode::kOnce) {
        RequestFlush();
        return;
    }
    if (flush_timer_armed_ || reports_.empty()) {
        return;
    }
    flush_timer_armed_ = true;
    flush_timer_.expires_after(milliseconds(50));
    flush_timer_.async_wait([this](boost::system::error_code ec) {
        flush_timer_armed_ = false;
        if (!ec) {
            RequestFlush();
        }
    });
}

void Application::RequestFlush() {
    if (flush_posted_) {
        return;
    }
    flush_posted_ = true;
    boost::asio::post(io_, [this] {
        flush_posted_ = false;
        if (metrics_.database_up) {
            try {
                FlushReports();
                ReleaseHeldWhenIdle();
            } catch (const std::exception& error) {
                OnDatabaseError("reporting", error);
            }
        }
        MaybeFinish();
    });
}

void Application::FlushReports() {
    constexpr std::size_t kBatch = 500;
    while (!reports_.empty() && metrics_.database_up) {
        const std::size_t count = std::min(reports_.size(), kBatch);
        std::vector<OutboxReport> batch;
        batch.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            batch.push_back(ToOutboxReport(reports_[i]));
        }
        auto done = [this] {
            jobs_.erase(reports_.front().reminder_id);
            reports_.pop_front();
        };
        const auto log_refused = [this](const std::vector<RefusedReport>& refused) {
            for (const RefusedReport& refusal : refused) {
                metrics_.database_errors++;
                spdlog::error("reminder {}: the outbox refused the outcome: {}",
                              refusal.reminder_id, OneLine(refusal.reason));
            }
        };
        try {
            // A refused send (its lease ran out meanwhile and the lost_lease policy settled
            // it) leaves the others recorded.
            log_refused(outbox_.WriteReports(batch));
            for (std::size_t i = 0; i < count; ++i) {
                done();
            }
            continue;
        } catch (const std::exception& error) {
            if (IsConnectionLost(error) || !outbox_.Connected()) {
                throw; // kept: written after the reconnect
            }
        }
        // The outbox refused a failure report, for the same reason: it rolled the whole batch
        // back. One at a time, so that the others still count.
        for (const OutboxReport& report : batch) {
            try {
                log_refused(outbox_.WriteReports({report}));
            } catch (const std::exception& error) {
                if (IsConnectionLost(error) || !outbox_.Connected()) {
                    throw;
                }
                metrics_.database_errors++;
                spdlog::error("reminder {}: the outbox refused the outcome: {}", report.reminder_id,
                              OneLine(error.what()));
            }
            done();
        }
    }
}

OutboxReport Application::ToOutboxReport(const PendingReport& pending) const {
    const ReminderJob& job = jobs_.at(pending.reminder_id);
    OutboxReport report;
    report.reminder_id = job.reminder_id;
    report.detail = pending.detail;
    switch (pending.kind) {
    case ReportKind::kComplete:
        report.kind = OutboxReport::Kind::kComplete;
        report.message_id = job.message_id;
        report.subject = job.subject;
        report.template_name = job.template_name;
        break;
    case ReportKind::kRetry:
        report.kind = OutboxReport::Kind::kFail;
        break;
    case ReportKind::kGiveUp:
    case ReportKind::kGiveUpSuppress:
        report.kind = OutboxReport::Kind::kFail;
        report.permanent = true;
        report.suppress = pending.kind == ReportKind::kGiveUpSuppress;
        break;
    case ReportKind::kUnknown:
        report.kind = OutboxReport::Kind::kUnknown;
        break;
    case ReportKind::kRelease:
        break; // never queued: held jobs are released together by ReleaseHeldWhenIdle
    }
    return report;
}

// release_reminders() gives back everything this worker holds, so it may only run when no send
// is on the wire and every outcome has been reported: otherwise it would hand a reminder that
// is being (or has been) sent to another worker.
void Application::ReleaseHeldWhenIdle() {
    if (metrics_.in_flight > 0 || !reports_.empty() || !metrics_.database_up) {
        return;
    }
    const bool stopping = metrics_.draining || finished_ || mode_ == Mode::kOnce;
    bool any_held = false;
    for (const auto& [id, job] : jobs_) {
        any_held = any_held || job.state == JobState::kHeld ||
                   ((metrics_.sending_paused || stopping) && job.state != JobState::kDone);
    }
    if (!any_held) {
        return;
    }
    const int released = outbox_.Release();
    metrics_.released += released;
    jobs_.clear();
    ready_.clear();
    if (released > 0) {
        spdlog::info("{} reminder(s) went back to the queue unsent", released);
    }
    if (metrics_.sending_paused && !stopping) {
        const auto delay = smtp_backoff_.Next();
        spdlog::warn("sending paused ({}); trying the SMTP server again in {}", pause_reason_,
                     FormatDuration(delay));
        resume_timer_.expires_after(delay);
        resume_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec) {
                return;
            }
            metrics_.sending_paused = false;
            RunCycle(CycleKind::kFull);
        });
    }
}

void Application::EnterPause(const SmtpVerdict& verdict) {
    metrics_.smtp_unavailable++;
    if (!metrics_.sending_paused) {
        metrics_.sending_paused = true;
        // The queued ones would meet the same fault: they come back unattempted.
        pool_->ReturnQueued();
        pause_reason_ = std::string(OutcomeName(verdict.outcome)) + ": " + verdict.detail;
        spdlog::error("SMTP server unusable ({}); pausing, no reminder is lost", pause_reason_);
        Notify("STATUS=sending paused: " + pause_reason_);
    }
}

void Application::RefreshQueueMetrics() {
    queue_ = outbox_.Metrics();
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

void Application::WaitForSignals() {
    signals_.async_wait([this](boost::system::error_code ec, int signal) {
        if (ec) {
            return;
        }
        if (signal == SIGHUP) {
            Reload();
        } else if (metrics_.draining) {
            spdlog::warn("second stop signal: exiting now; reminders in flight will show as "
                         "unknown when their lease runs out");
            spdlog::default_logger()->flush();
            std::_Exit(1);
        } else {
            BeginDrain(signal == SIGTERM ? "SIGTERM" : "SIGINT");
        }
        WaitForSignals();
    });
}

void Application::BeginDrain(const char* why) {
    metrics_.draining = true;
    // What sits in the senders' queue comes back unattempted, like the ready ones.
    const std::size_t returned = pool_->ReturnQueued();
    const std::size_t waiting = ready_.size() + returned;
    spdlog::info("{}: stopping; {} send(s) in flight finish, {} waiting reminder(s) go back to "
                 "the queue",
                 why, metrics_.in_flight - static_cast<std::int64_t>(returned), waiting);
    Notify("STOPPING=1\nSTATUS=draining");
    poll_timer_.cancel();
    resume_timer_.cancel();
    unsubscribe_endpoint_.reset();
    drain_timer_.expires_after(config_.daemon.shutdown_timeout);
    drain_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || finished_) {
            return;
        }
        spdlog::error("shutdown timeout: {} send(s) still in flight, {} result(s) unreported; "
                      "their leases will run out and the outbox settles them",
                      metrics_.in_flight, reports_.size());
        spdlog::default_logger()->flush();
        std::_Exit(1);
    });
    MaybeFinish();
}

void Application::MaybeFinish() {
    if (finished_) {
        return;
    }
    const bool once_done =
        mode_ == Mode::kOnce && once_claimed_ && ready_.empty() && metrics_.in_flight == 0;
    if (!(metrics_.draining || once_done) || metrics_.in_flight > 0) {
        return;
    }
    if (!metrics_.database_up) {
        return; // the reconnect comes back here; the drain timer bounds the wait
    }
    try {
        FlushReports();
        finished_ = true; // from here on, release everything still held
        ReleaseHeldWhenIdle();
        if (mode_ == Mode::kOnce) {
            RefreshQueueMetrics();
        }
    } catch (const std::exception& error) {
        finished_ = false;
        OnDatabaseError("finishing", error);
        return;
    }
    int code = 0;
    if (mode_ == Mode::kOnce) {
        spdlog::info("once: sent {}, retried {}, failed {}, unknown {}, released {}", metrics_.sent,
                     metrics_.retried,
                     metrics_.failed + metrics_.suppressed + metrics_.render_failures,
                     metrics_.unknown, metrics_.released);
        // Sending could not even start: say so in the exit code, for cron and scripts.
        code = metrics_.smtp_unavailable > 0 && metrics_.sent == 0 ? 1 : 0;
    }
    Finish(code);
}

void Application::Finish(int exit_code) {
    finished_ = true;
    exit_code_ = exit_code;
    spdlog::info("cartwatchd stopped");
    poll_timer_.cancel();
    reconnect_timer_.cancel();
    resume_timer_.cancel();
    watchdog_timer_.cancel();
    drain_timer_.cancel();
    flush_timer_.cancel();
    status_timer_.cancel();
    signals_.cancel();
    metrics_endpoint_.reset();
    unsubscribe_endpoint_.reset();
    database_socket_.reset();
    if (pool_) {
        pool_->Stop();
    }
    StopRetention();
    outbox_.Disconnect();
    io_.stop();
}

void Application::Reload() {
    spdlog::info("SIGHUP: reloading the configuration and the templates");
    Config fresh;
    std::shared_ptr<const TemplateSet> templates;
    std::shared_ptr<const DkimSigner> dkim;
    try {
        fresh = LoadConfig(sources_);
        templates = std::make_shared<const TemplateSet>(fresh.templates.dir);
        dkim = DkimSignerFor(fresh);
        if (const std::optional<std::string> failure =
                CheckSampleRendering(*templates, fresh, dkim.get())) {
            throw ConfigError(*failure);
        }
    } catch (const std::exception& error) {
        spdlog::error("reload failed, the running configuration stays: {}", error.what());
        return;
    }
    if (fresh.smtp.concurrency != config_.smtp.concurrency ||
        fresh.daemon.metrics_listen != config_.daemon.metrics_listen ||
        fresh.unsubscribe.listen != config_.unsubscribe.listen ||
        fresh.database.worker != config_.database.worker) {
        spdlog::warn("smtp.concurrency, daemon.metrics_listen, unsubscribe.listen and "
                     "database.worker change at the next restart");
        fresh.smtp.concurrency = config_.smtp.concurrency;
        fresh.daemon.metrics_listen = config_.daemon.metrics_listen;
        fresh.unsubscribe.listen = config_.unsubscribe.listen;
        fresh.database.worker = config_.database.worker;
    }
    if (fresh.database.url != config_.database.url ||
        fresh.secrets.database_password != config_.secrets.database_password) {
        spdlog::warn("database.url and its password change at the next restart");
        fresh.database.url = config_.database.url;
        fresh.secrets.database_password = config_.secrets.database_password;
    }
    SetLogLevel(fresh.daemon.log_level);
    for (const std::string& warning : fresh.warnings) {
        spdlog::warn("{}", warning);
    }
    limiter_.SetRate(fresh.smtp.rate_per_second, std::max(1.0, fresh.smtp.rate_per_second));
    pool_->Reconfigure(TransportFactoryFor(fresh));
    templates_ = std::move(templates);
    config_ = std::move(fresh);
    render_settings_->Set({templates_, std::make_shared<const Config>(config_), dkim});
    spdlog::info("configuration reloaded: {}, {} language(s) of templates",
                 config_.smtp.rate_per_second > 0
                     ? fmt::format("at most {} per second", config_.smtp.rate_per_second)
                     : std::string("no rate limit"),
                 templates_->Locales().size());
    if (metrics_.sending_paused && !metrics_.draining) {
        // The new settings may be the fix (a password, a CA file): try them now rather than
        // at the end of the backoff. A held reminder is still released before it is retried.
        resume_timer_.cancel();
        smtp_backoff_.Reset();
        metrics_.sending_paused = false;
        spdlog::info("sending resumes with the new SMTP settings");
    }
    // Messages already rendered keep what they were rendered with; every later one, queued or
    // not yet claimed, renders with the new set.
    RequestCycle();
}

SenderPool::TransportFactory Application::TransportFactoryFor(const Config& config) const {
    if (!config.daemon.dry_run_dir.empty()) {
        return [dir = config.daemon.dry_run_dir] { return std::make_unique<DryRunTransport>(dir); };
    }
    return
        [settings = SmtpSettingsFor(config)] { return std::make_unique<SmtpTransport>(settings); };
}

std::unique_ptr<SenderPool> Application::MakePool() {
    return std::make_unique<SenderPool>(
        io_, config_.smtp.concurrency, TransportFactoryFor(config_), limiter_,
        [this](SendResult result) { OnSendResult(std::move(result)); });
}

} // namespace cartwatch
