// cartwatchd's side of the reminder outbox: one libpq connection (libpqxx), LISTEN on
// cartwatch_reminders, and one method per function of the extension's daemon API. Methods
// throw pqxx exceptions; the application turns them into a "database down" state and
// reconnects, so nothing here retries on its own.
#pragma once

#include "claimed_reminder.hpp"
#include "metrics.hpp"

#include <pqxx/connection>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cartwatch {

// One outcome to write: complete_reminder, fail_reminder or reminder_outcome_unknown.
struct OutboxReport {
    enum class Kind { kComplete, kFail, kUnknown } kind = Kind::kComplete;
    std::int64_t reminder_id = 0;
    std::string detail; // the SMTP reply (complete) or the error (fail, unknown)
    std::string message_id;
    std::string subject;
    std::string template_name;
    bool permanent = false;
    bool suppress = false;
};

// An outcome the outbox would not record, and why.
struct RefusedReport {
    std::int64_t reminder_id = 0;
    std::string reason;
};

// A PostgreSQL array literal of text values ({"a","b\"c"}), for a statement parameter.
std::string TextArrayLiteral(const std::vector<std::string>& values);

// What `cartwatchd preview` shows: the reminder as it would be rendered, and why the cart would
// get none at the moment, if it would not (the first veto of cart_reminder_facts: ordered,
// not_in_audience, ...; empty when it would).
struct CartPreview {
    ClaimedReminder reminder;
    std::string veto;
};

class Outbox {
public:
    Outbox(std::string connection_string, std::string worker,
           std::chrono::milliseconds statement_timeout);
    ~Outbox();
    Outbox(const Outbox&) = delete;
    Outbox& operator=(const Outbox&) = delete;

    // Connects and listens; throws when the database cannot be reached.
    void Connect();
    void Disconnect();
    bool Connected() const;
    // The connection's socket, for the event loop to watch; -1 when not connected.
    int Socket() const;
    // Reads what arrived on the socket; returns the payloads of the notifications that came
    // (each the due time, in UTC, of what the notifying write made claimable).
    std::vector<std::string> ConsumeNotifications();

    const std::string& Worker() const { return worker_; }

    // The extension's version, and whether its daemon functions exist (check-config).
    std::string ExtensionVersion();

    int Schedule();
    std::vector<ClaimedReminder> Claim(int max_count, std::chrono::milliseconds lease);
    // Writes many outcomes in one transaction: the sends in one complete_reminders() statement,
    // the failures one call each (they are rare). Returns the sends the outbox refused (an
    // expired lease, typically), which it left unchanged; a refused failure throws and rolls
    // back the whole batch.
    std::vector<RefusedReport> WriteReports(const std::vector<OutboxReport>& reports);
    int Release();
    QueueMetrics Metrics();
    bool Unsubscribe(const std::string& token);

    // A cart as a reminder would show it, without claiming anything (preview).
    CartPreview PreviewCart(std::int64_t cart_id, const std::string& step,
                            const std::optional<std::string>& locale);

private:
    struct Listener;

    std::string connection_string_;
    std::string worker_;
    std::chrono::milliseconds statement_timeout_;
    std::unique_ptr<pqxx::connection> connection_;
    std::unique_ptr<Listener> listener_;
};

// Whether an exception from the Outbox means the connection is gone (reconnect) rather than
// that one statement failed (log it, go on).
bool IsConnectionLost(const std::exception& error);

// host:pid, the default worker name: tells claims apart in the outbox.
std::string DefaultWorkerName();

} // namespace cartwatch
