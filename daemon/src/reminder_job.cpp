#include "reminder_job.hpp"

#include <algorithm>

namespace cartwatch {

std::string_view JobStateName(JobState state) {
    switch (state) {
    case JobState::kClaimed:
        return "claimed";
    case JobState::kReady:
        return "ready";
    case JobState::kSending:
        return "sending";
    case JobState::kReporting:
        return "reporting";
    case JobState::kHeld:
        return "held";
    case JobState::kDone:
        return "done";
    }
    return "?";
}

std::string_view ReportKindName(ReportKind kind) {
    switch (kind) {
    case ReportKind::kComplete:
        return "complete";
    case ReportKind::kRetry:
        return "retry";
    case ReportKind::kGiveUp:
        return "give_up";
    case ReportKind::kGiveUpSuppress:
        return "give_up_suppress";
    case ReportKind::kUnknown:
        return "unknown";
    case ReportKind::kRelease:
        return "release";
    }
    return "?";
}

ReportKind ReportFor(SmtpOutcome outcome) {
    switch (outcome) {
    case SmtpOutcome::kSent:
        return ReportKind::kComplete;
    case SmtpOutcome::kTransient:
        return ReportKind::kRetry;
    case SmtpOutcome::kPermanent:
        return ReportKind::kGiveUp;
    case SmtpOutcome::kBadAddress:
        return ReportKind::kGiveUpSuppress;
    case SmtpOutcome::kUnknown:
        return ReportKind::kUnknown;
    case SmtpOutcome::kServerUnavailable:
    case SmtpOutcome::kConfigFault:
        // Nothing reached the server's judgement: the reminder waits for the server to come
        // back and its attempt is given back.
        return ReportKind::kRelease;
    }
    return ReportKind::kRelease;
}

bool PausesSending(SmtpOutcome outcome) {
    return outcome == SmtpOutcome::kServerUnavailable || outcome == SmtpOutcome::kConfigFault;
}

Backoff::Duration Backoff::Next() {
    const Duration now = next_;
    next_ = std::min(cap_, next_ * 2);
    return now;
}

} // namespace cartwatch
