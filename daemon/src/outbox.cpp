#include "outbox.hpp"

#include <pqxx/pqxx>

#include <unistd.h>

#include <utility>

namespace cartwatch {
namespace {

std::string Join(const std::vector<std::string>& values) {
    std::string joined;
    for (const std::string& value : values) {
        joined += (joined.empty() ? "" : ",") + value;
    }
    return joined;
}

// The two statements of every batch, prepared once per connection: as one-off statements
// each call was parsed, analysed (its function's defaults read from the catalog) and planned
// again, 0.04-0.05 ms of planning alone a call, a claim and a completion per batch.
constexpr const char* kClaimStatement = "cartwatch_claim";
constexpr const char* kCompleteStatement = "cartwatch_complete";

} // namespace

struct Outbox::Listener final : pqxx::notification_receiver {
    Listener(pqxx::connection_base& connection)
        : pqxx::notification_receiver(connection, "cartwatch_reminders") {}
    void operator()(const std::string& payload, int) override { received.push_back(payload); }
    std::vector<std::string> received;
};

Outbox::Outbox(std::string connection_string, std::string worker,
               std::chrono::milliseconds statement_timeout)
    : connection_string_(std::move(connection_string)), worker_(std::move(worker)),
      statement_timeout_(statement_timeout) {}

Outbox::~Outbox() {
    Disconnect();
}

void Outbox::Connect() {
    Disconnect();
    auto connection = std::make_unique<pqxx::connection>(connection_string_);
    // libpqxx 6 reconnects silently by default, behind the event loop's back (the socket it
    // watches would change). cartwatchd reconnects itself, so that it watches the new socket,
    // listens again and counts the outage. The call is deprecated in 6.4 but still needed.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    connection->inhibit_reactivation(true);
#pragma GCC diagnostic pop
    pqxx::nontransaction setup(*connection);
    setup.exec("SET application_name = 'cartwatchd'");
    setup.exec("SET statement_timeout = " + std::to_string(statement_timeout_.count()));
    // Timestamps cross as UTC text; the daemon never depends on the server's time zone.
    setup.exec("SET TIME ZONE 'UTC'");
    setup.commit();
    // libpqxx sends these to the server when they are first used.
    connection->prepare(kClaimStatement,
                        "SELECT reminder_id, step, attempt, cart_id, email, display_name, "
                        "first_name, locale, currency, items::text, total::text, recovery_token, "
                        "unsubscribe_token, message_key "
                        "FROM cartwatch.claim_reminders($1, $2, make_interval(secs => $3))");
    connection->prepare(kCompleteStatement,
                        "SELECT reminder_id, refusal FROM cartwatch.complete_reminders($1, "
                        "$2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])");
    connection_ = std::move(connection);
    listener_ = std::make_unique<Listener>(*connection_);
}

void Outbox::Disconnect() {
    listener_.reset();
    if (connection_) {
        try {
            connection_->disconnect();
        } catch (const std::exception&) {
            // Already gone: nothing to close.
        }
        connection_.reset();
    }
}

bool Outbox::Connected() const {
    return connection_ && connection_->is_open();
}

int Outbox::Socket() const {
    return connection_ ? connection_->sock() : -1;
}

std::vector<std::string> Outbox::ConsumeNotifications() {
    if (!connection_ || !listener_) {
        return {};
    }
    connection_->get_notifs();
    return std::exchange(listener_->received, {});
}

std::string Outbox::ExtensionVersion() {
    pqxx::nontransaction tx(*connection_);
    const pqxx::result rows =
        tx.exec("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'cartwatch'");
    return rows.empty() ? std::string() : rows[0][0].as<std::string>();
}

int Outbox::Schedule() {
    pqxx::work tx(*connection_);
    // The claim that follows re-checks every row it takes, so the rows already due are left to
    // it; with a backlog, re-checking them on every poll as well doubled the database's work.
    const pqxx::result rows = tx.exec("SELECT cartwatch.schedule_reminders(recheck_due => false)");
    tx.commit();
    return rows[0][0].as<int>();
}

std::vector<ClaimedReminder> Outbox::Claim(int max_count, std::chrono::milliseconds lease) {
    // A transaction of its own: the carts of the returned rows stay share-locked until commit.
    pqxx::work tx(*connection_);
    const pqxx::result rows = tx.exec_prepared(kClaimStatement, worker_, max_count,
                                               static_cast<double>(lease.count()) / 1000.0);
    tx.commit();
    std::vector<ClaimedReminder> claimed;
    claimed.reserve(rows.size());
    for (const pqxx::row& row : rows) {
        ClaimedReminder r;
        r.reminder_id = row["reminder_id"].as<std::int64_t>();
        r.step = row["step"].as<std::string>();
        r.attempt = row["attempt"].as<int>();
        r.cart_id = row["cart_id"].as<std::int64_t>(0);
        r.email = row["email"].as<std::string>("");
        if (!row["display_name"].is_null()) {
            r.display_name = row["display_name"].as<std::string>();
        }
        if (!row["first_name"].is_null()) {
            r.first_name = row["first_name"].as<std::string>();
        }
        r.locale = row["locale"].as<std::string>("en");
        r.currency = row["currency"].as<std::string>("");
        r.items_json = row["items"].as<std::string>("[]");
        r.total = row["total"].as<std::string>("0");
        r.recovery_token = row["recovery_token"].as<std::string>("");
        r.unsubscribe_token = row["unsubscribe_token"].as<std::string>("");
        r.message_key = row["message_key"].as<std::string>("");
        claimed.push_back(std::move(r));
    }
    return claimed;
}

std::string TextArrayLiteral(const std::vector<std::string>& values) {
    std::string literal = "{";
    for (const std::string& value : values) {
        if (literal.size() > 1) {
            literal += ',';
        }
        // Quoted, every element: inside quotes only " and \ need a backslash.
        literal += '"';
        for (const char c : value) {
            if (c == '"' || c == '\\') {
                literal += '\\';
            }
            literal += c;
        }
        literal += '"';
    }
    return literal + "}";
}

std::vector<RefusedReport> Outbox::WriteReports(const std::vector<OutboxReport>& reports) {
    pqxx::work tx(*connection_);
    const std::string worker = tx.quote(worker_);
    std::vector<std::string> ids, message_ids, replies, subjects, templates;
    std::string failures;
    for (const OutboxReport& r : reports) {
        const std::string id = std::to_string(r.reminder_id);
        switch (r.kind) {
        case OutboxReport::Kind::kComplete:
            ids.push_back(id);
            message_ids.push_back(r.message_id);
            replies.push_back(r.detail);
            subjects.push_back(r.subject);
            templates.push_back(r.template_name);
            break;
        case OutboxReport::Kind::kFail:
            failures += "SELECT cartwatch.fail_reminder(" + id + ", " + worker + ", " +
                        tx.quote(r.detail) + ", " + (r.permanent ? "true" : "false") + ", " +
                        (r.suppress ? "true" : "false") + ");\n";
            break;
        case OutboxReport::Kind::kUnknown:
            failures += "SELECT cartwatch.reminder_outcome_unknown(" + id + ", " + worker + ", " +
                        tx.quote(r.detail) + ");\n";
            break;
        }
    }
    std::vector<RefusedReport> refused;
    if (!ids.empty()) {
        const pqxx::result rows = tx.exec_prepared(
            kCompleteStatement, worker_, "{" + Join(ids) + "}", TextArrayLiteral(message_ids),
            TextArrayLiteral(replies), TextArrayLiteral(subjects), TextArrayLiteral(templates));
        for (const pqxx::row& row : rows) {
            refused.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>("")});
        }
    }
    if (!failures.empty()) {
        // Values are quoted by libpq (tx.quote), so one simple-protocol string carries them all.
        tx.exec(failures);
    }
    tx.commit();
    return refused;
}

int Outbox::Release() {
    pqxx::work tx(*connection_);
    const pqxx::result rows = tx.exec_params("SELECT cartwatch.release_reminders($1)", worker_);
    tx.commit();
    return rows[0][0].as<int>(0);
}

QueueMetrics Outbox::Metrics() {
    pqxx::nontransaction tx(*connection_);
    const pqxx::result rows =
        tx.exec("SELECT due, coalesce(oldest_due_age_seconds, 0), pending, retrying, claimed, "
                "expired_leases, sent_24h, dead_24h, unknown_24h, cancelled_24h, "
                "extract(epoch FROM last_sent_at)::float8 "
                "FROM cartwatch.reminder_queue_metrics()");
    const pqxx::row row = rows[0];
    QueueMetrics m;
    m.due = row[0].as<std::int64_t>(0);
    m.oldest_due_age_seconds = row[1].as<double>(0);
    m.pending = row[2].as<std::int64_t>(0);
    m.retrying = row[3].as<std::int64_t>(0);
    m.claimed = row[4].as<std::int64_t>(0);
    m.expired_leases = row[5].as<std::int64_t>(0);
    m.sent_24h = row[6].as<std::int64_t>(0);
    m.dead_24h = row[7].as<std::int64_t>(0);
    m.unknown_24h = row[8].as<std::int64_t>(0);
    m.cancelled_24h = row[9].as<std::int64_t>(0);
    if (!row[10].is_null()) {
        m.last_sent_unix = row[10].as<double>();
    }
    return m;
}

bool Outbox::Unsubscribe(const std::string& token) {
    pqxx::work tx(*connection_);
    const pqxx::result rows = tx.exec_params("SELECT cartwatch.unsubscribe($1)", token);
    tx.commit();
    return rows[0][0].as<bool>(false);
}

CartPreview Outbox::PreviewCart(std::int64_t cart_id, const std::string& step,
                                const std::optional<std::string>& locale) {
    pqxx::nontransaction tx(*connection_);
    const pqxx::result rows =
        tx.exec_params("SELECT f.email, f.display_name, coalesce($2, f.locale), f.currency, "
                       "content.items::text, content.total::text, f.veto, f.first_name "
                       "FROM cartwatch.cart_reminder_facts(ARRAY[$1]::bigint[], now()) AS f "
                       "CROSS JOIN LATERAL cartwatch.cart_content($1) AS content",
                       cart_id, locale);
    if (rows.empty()) {
        throw std::runtime_error("cart " + std::to_string(cart_id) + " does not exist");
    }
    const pqxx::row row = rows[0];
    ClaimedReminder r;
    r.cart_id = cart_id;
    r.step = step;
    r.attempt = 1;
    r.email = row[0].as<std::string>("");
    if (!row[1].is_null()) {
        r.display_name = row[1].as<std::string>();
    }
    if (!row[7].is_null()) {
        r.first_name = row[7].as<std::string>();
    }
    r.locale = row[2].as<std::string>("en");
    r.currency = row[3].as<std::string>("");
    r.items_json = row[4].as<std::string>("[]");
    r.total = row[5].as<std::string>("0");
    // Placeholders: a preview must not mint working links.
    r.recovery_token = "PREVIEW-RECOVERY-TOKEN";
    r.unsubscribe_token = "PREVIEW-UNSUBSCRIBE-TOKEN";
    r.message_key = "preview." + std::to_string(cart_id);
    return {std::move(r), row[6].as<std::string>("")};
}

bool IsConnectionLost(const std::exception& error) {
    return dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr ||
           dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr;
}

std::string DefaultWorkerName() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) {
        host[0] = '\0';
    }
    return std::string(host[0] ? host : "localhost") + ":" + std::to_string(getpid());
}

} // namespace cartwatch
