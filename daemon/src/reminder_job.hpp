// One reminder inside cartwatchd, from the claim to the report, and the decisions taken on its
// way. The application moves each job through JobState with a switch; what a send outcome
// means for the database is decided here, in one pure function, so it is tested on its own.
#pragma once

#include "claimed_reminder.hpp"
#include "smtp_reply.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cartwatch {

enum class JobState {
    kClaimed,   // held under a lease, not handed on yet
    kReady,     // waiting for a sender thread
    kSending,   // a sender thread renders and sends it
    kReporting, // the outcome is known and waits to be written to the database
    kHeld,      // not sent because SMTP is unavailable: goes back to the queue, no attempt used
    kDone,      // reported (or released)
};

std::string_view JobStateName(JobState state);

// What the database is told about a job.
enum class ReportKind {
    kComplete,       // complete_reminder
    kRetry,          // fail_reminder(permanent => false)
    kGiveUp,         // fail_reminder(permanent => true)
    kGiveUpSuppress, // fail_reminder(permanent => true, suppress => true)
    kUnknown,        // reminder_outcome_unknown: maybe delivered, never resent blindly
    kRelease,        // release_reminders: not tried, the claim does not count
};

std::string_view ReportKindName(ReportKind kind);

// The report a send outcome leads to.
ReportKind ReportFor(SmtpOutcome outcome);

// Whether an outcome means "stop sending for a while": the server or our credentials are at
// fault, not the message, so sending the next one would fail the same way.
bool PausesSending(SmtpOutcome outcome);

struct ReminderJob {
    std::int64_t reminder_id = 0;
    std::string step;
    int attempt = 0;
    JobState state = JobState::kClaimed;
    // What it is rendered from; handed to the sender thread.
    ClaimedReminder reminder;
    // Filled when rendered.
    std::string message_id;
    std::string subject;
    std::string template_name;
    // Filled when the outcome is known.
    std::optional<SmtpVerdict> verdict;
};

// Exponential backoff with a cap, for reconnecting to the database and for resuming after
// SMTP failures: 1 s, 2 s, 4 s ... up to the cap; Reset() after a success.
class Backoff {
public:
    using Duration = std::chrono::milliseconds;

    Backoff(Duration first, Duration cap) : first_(first), cap_(cap), next_(first) {}

    // The delay to wait now; the next call returns twice as much, up to the cap.
    Duration Next();
    void Reset() { next_ = first_; }

private:
    Duration first_;
    Duration cap_;
    Duration next_;
};

} // namespace cartwatch
