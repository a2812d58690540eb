// cartwatchd's share of the retention policies: when the extension has them, no background
// worker runs them and this role was granted them (cartwatch.grant_retention), one
// CALL cartwatch.run_retention(due_only => true) on a connection of its own. The procedure
// commits between its batches and may run for minutes, so it never shares the outbox's
// connection, and nothing here holds a statement timeout over it.
#pragma once

#include <mutex>
#include <string>
#include <vector>

namespace pqxx {
class connection_base;
}

namespace cartwatch {

enum class RetentionStatus {
    kRan,         // the due policies ran (perhaps none was due)
    kNoRetention, // this cartwatch has no retention policies
    kWorker,      // the background worker runs them in this database
    kNotGranted,  // this role may not: the extension's owner has to grant_retention() it
};

// One line run_retention reported: a policy's result, or a warning when it failed.
struct RetentionNotice {
    bool warning = false;
    std::string text; // "retention visits: removed 12 rows older than ..."
};

struct RetentionOutcome {
    RetentionStatus status = RetentionStatus::kRan;
    std::string role;                     // the role the daemon connects as
    std::vector<RetentionNotice> notices; // what run_retention reported, a line per policy run
};

class RetentionRunner {
public:
    explicit RetentionRunner(std::string connection_string)
        : connection_string_(std::move(connection_string)) {}

    RetentionRunner(const RetentionRunner&) = delete;
    RetentionRunner& operator=(const RetentionRunner&) = delete;

    // Connects, asks whether to run, runs the due policies, disconnects. Throws the database's
    // errors (a failed run is recorded in cartwatch.retention_runs as well).
    RetentionOutcome RunDue();

    // From another thread: cancels the statement RunDue is in, so that a shutdown does not
    // wait for a long run. The batches committed so far stay done; the run shows as
    // interrupted and the next one carries on.
    void Cancel();

private:
    std::string connection_string_;
    std::mutex mutex_;
    pqxx::connection_base* active_ = nullptr; // RunDue's connection while it has one
    bool cancelled_ = false;
};

// The log line for a status that keeps cartwatchd from running retention; empty for kRan.
std::string DescribeRetentionStatus(const RetentionOutcome& outcome);

} // namespace cartwatch
