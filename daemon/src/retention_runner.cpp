#include "retention_runner.hpp"

#include <pqxx/connection>
#include <pqxx/errorhandler>
#include <pqxx/nontransaction>

#include <stdexcept>

namespace cartwatch {
namespace {

// Collects run_retention's NOTICEs and WARNINGs ("retention visits: removed 12 rows ...") for
// the daemon's log, instead of libpq's default of printing them to stderr.
class NoticeCollector final : public pqxx::errorhandler {
public:
    NoticeCollector(pqxx::connection_base& connection, std::vector<RetentionNotice>& lines)
        : pqxx::errorhandler(connection), lines_(lines) {}

    bool operator()(const char message[]) noexcept override {
        try {
            std::string line(message);
            while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) {
                line.pop_back();
            }
            for (char& c : line) {
                c = c == '\n' ? ' ' : c;
            }
            // "NOTICE:  retention visits: removed ..." -> a warning flag and the text.
            const bool warning = line.rfind("WARNING:", 0) == 0;
            const auto text = line.find(":  ");
            if (text != std::string::npos && text < 10) {
                line.erase(0, text + 3);
            }
            lines_.push_back({warning, std::move(line)});
        } catch (...) {
            // Out of memory for a log line: drop it.
        }
        return false;
    }

private:
    std::vector<RetentionNotice>& lines_;
};

// Publishes the connection to Cancel() for as long as RunDue uses it.
class ActiveConnection {
public:
    ActiveConnection(std::mutex& mutex, pqxx::connection_base*& active,
                     pqxx::connection_base& connection)
        : mutex_(mutex), active_(active) {
        std::lock_guard<std::mutex> lock(mutex_);
        active_ = &connection;
    }
    ~ActiveConnection() {
        std::lock_guard<std::mutex> lock(mutex_);
        active_ = nullptr;
    }
    ActiveConnection(const ActiveConnection&) = delete;
    ActiveConnection& operator=(const ActiveConnection&) = delete;

private:
    std::mutex& mutex_;
    pqxx::connection_base*& active_;
};

} // namespace

RetentionOutcome RetentionRunner::RunDue() {
    RetentionOutcome outcome;
    pqxx::connection connection(connection_string_);
    const ActiveConnection published(mutex_, active_, connection);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (cancelled_) {
            throw std::runtime_error("retention cancelled: cartwatchd is stopping");
        }
    }
    NoticeCollector notices(connection, outcome.notices);
    pqxx::nontransaction tx(connection);
    tx.exec("SET application_name = 'cartwatchd retention'");
    tx.exec("SET statement_timeout = 0");
    // retention_runner_status() came with the retention roles; a cartwatch that has
    // run_retention but not it is treated as not granted (its steps ran as the caller).
    const pqxx::row found =
        tx.exec1("SELECT current_user, to_regproc('cartwatch.run_retention') IS NOT NULL, "
                 "to_regproc('cartwatch.retention_runner_status') IS NOT NULL");
    outcome.role = found[0].as<std::string>();
    if (!found[1].as<bool>()) {
        outcome.status = RetentionStatus::kNoRetention;
        return outcome;
    }
    const std::string status =
        found[2].as<bool>()
            ? tx.exec1("SELECT cartwatch.retention_runner_status()")[0].as<std::string>()
            : std::string("not_granted");
    if (status == "worker") {
        outcome.status = RetentionStatus::kWorker;
        return outcome;
    }
    if (status != "ready") {
        outcome.status = RetentionStatus::kNotGranted;
        return outcome;
    }
    // A procedure that commits between its batches: it must not run inside a transaction.
    tx.exec("CALL cartwatch.run_retention(due_only => true)");
    return outcome;
}

void RetentionRunner::Cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
    if (active_) {
        try {
            // PQcancel over a new socket: safe while the other thread waits in a query.
            active_->cancel_query();
        } catch (const std::exception&) {
            // The connection is going away anyway.
        }
    }
}

std::string DescribeRetentionStatus(const RetentionOutcome& outcome) {
    switch (outcome.status) {
    case RetentionStatus::kRan:
        return {};
    case RetentionStatus::kNoRetention:
        return "this cartwatch has no retention policies; cartwatchd runs none";
    case RetentionStatus::kWorker:
        return "the cartwatch background worker runs the retention policies of this database; "
               "cartwatchd leaves them to it";
    case RetentionStatus::kNotGranted:
        return "retention policies not run: role " + outcome.role +
               " may not run them. As the extension's owner, run SELECT "
               "cartwatch.grant_retention('" +
               outcome.role +
               "'); or set daemon.retention = false to leave retention to pg_cron or the "
               "background worker";
    }
    return {};
}

} // namespace cartwatch
