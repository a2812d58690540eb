#include "reminder_job.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

TEST(ReminderJob, EveryOutcomeHasItsReport) {
    EXPECT_EQ(ReportFor(SmtpOutcome::kSent), ReportKind::kComplete);
    EXPECT_EQ(ReportFor(SmtpOutcome::kTransient), ReportKind::kRetry);
    EXPECT_EQ(ReportFor(SmtpOutcome::kPermanent), ReportKind::kGiveUp);
    EXPECT_EQ(ReportFor(SmtpOutcome::kBadAddress), ReportKind::kGiveUpSuppress);
    EXPECT_EQ(ReportFor(SmtpOutcome::kUnknown), ReportKind::kUnknown);
    EXPECT_EQ(ReportFor(SmtpOutcome::kServerUnavailable), ReportKind::kRelease);
    EXPECT_EQ(ReportFor(SmtpOutcome::kConfigFault), ReportKind::kRelease);
}

TEST(ReminderJob, OnlyServerSideProblemsPauseSending) {
    EXPECT_TRUE(PausesSending(SmtpOutcome::kServerUnavailable));
    EXPECT_TRUE(PausesSending(SmtpOutcome::kConfigFault));
    for (auto outcome : {SmtpOutcome::kSent, SmtpOutcome::kTransient, SmtpOutcome::kPermanent,
                         SmtpOutcome::kBadAddress, SmtpOutcome::kUnknown}) {
        EXPECT_FALSE(PausesSending(outcome)) << OutcomeName(outcome);
    }
}

TEST(ReminderJob, AnUnknownOutcomeIsNeverReleasedForAResend) {
    // The one rule that keeps "nothing sent twice": a maybe-delivered message is reported as
    // such, not handed back to the queue.
    EXPECT_NE(ReportFor(SmtpOutcome::kUnknown), ReportKind::kRelease);
    EXPECT_NE(ReportFor(SmtpOutcome::kUnknown), ReportKind::kRetry);
}

TEST(ReminderJob, StateAndReportNamesAreStable) {
    EXPECT_EQ(JobStateName(JobState::kHeld), "held");
    EXPECT_EQ(JobStateName(JobState::kReporting), "reporting");
    EXPECT_EQ(ReportKindName(ReportKind::kGiveUpSuppress), "give_up_suppress");
}

TEST(Backoff, DoublesUpToTheCapAndResets) {
    using std::chrono::milliseconds;
    Backoff backoff(milliseconds(1000), milliseconds(5000));
    EXPECT_EQ(backoff.Next(), milliseconds(1000));
    EXPECT_EQ(backoff.Next(), milliseconds(2000));
    EXPECT_EQ(backoff.Next(), milliseconds(4000));
    EXPECT_EQ(backoff.Next(), milliseconds(5000));
    EXPECT_EQ(backoff.Next(), milliseconds(5000));
    backoff.Reset();
    EXPECT_EQ(backoff.Next(), milliseconds(1000));
}

} // namespace
} // namespace cartwatch
