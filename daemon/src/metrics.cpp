#include "metrics.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <initializer_list>
#include <utility>
#include <sstream>

namespace cartwatch {
namespace {

class Exposition {
public:
    void Metric(const char* name, const char* type, const char* help, double value) {
        Describe(name, type, help);
        out_ << name << ' ' << Number(value) << '\n';
    }
    // One counter with a value per endpoint="..." label.
    void PerEndpoint(const char* name, const char* help,
                     std::initializer_list<std::pair<const char*, double>> values) {
        Describe(name, "counter", help);
        for (const auto& [endpoint, value] : values) {
            out_ << name << "{endpoint=\"" << endpoint << "\"} " << Number(value) << '\n';
        }
    }
    std::string Text() const { return out_.str(); }

private:
    void Describe(const char* name, const char* type, const char* help) {
        out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
    }
    static std::string Number(double value) {
        if (std::nearbyint(value) == value && std::fabs(value) < 1e15) {
            return std::to_string(static_cast<long long>(value));
        }
        std::ostringstream text;
        text.precision(15);
        text << value;
        return text.str();
    }
    std::ostringstream out_;
};

} // namespace

std::string RenderPrometheus(const DaemonMetrics& d, const std::optional<QueueMetrics>& queue) {
    Exposition e;
    e.Metric("cartwatchd_reminders_claimed_total", "counter", "Reminders claimed from the outbox.",
             static_cast<double>(d.claimed));
    e.Metric("cartwatchd_reminders_sent_total", "counter", "Reminders the SMTP server accepted.",
             static_cast<double>(d.sent));
    e.Metric("cartwatchd_reminders_retried_total", "counter",
             "Sends refused with a 4xx reply; the outbox retries them later.",
             static_cast<double>(d.retried));
    e.Metric("cartwatchd_reminders_failed_total", "counter",
             "Sends refused with a 5xx reply; given up (suppressions included).",
             static_cast<double>(d.failed + d.suppressed));
    e.Metric("cartwatchd_reminders_suppressed_total", "counter",
             "Addresses suppressed after a 5.1.x reply.", static_cast<double>(d.suppressed));
    e.Metric("cartwatchd_reminders_unknown_total", "counter",
             "Sends with no reply after the message body: maybe delivered, not resent.",
             static_cast<double>(d.unknown));
    e.Metric("cartwatchd_reminders_released_total", "counter",
             "Claimed reminders given back unsent (SMTP unavailable, shutdown).",
             static_cast<double>(d.released));
    e.Metric("cartwatchd_render_failures_total", "counter",
             "Reminders that could not be rendered (given up).",
             static_cast<double>(d.render_failures));
    e.Metric("cartwatchd_smtp_unavailable_total", "counter",
             "Sends that found no usable SMTP server (down, TLS, login, policy).",
             static_cast<double>(d.smtp_unavailable));
    e.Metric("cartwatchd_database_errors_total", "counter", "Failed database calls.",
             static_cast<double>(d.database_errors));
    e.Metric("cartwatchd_database_reconnects_total", "counter",
             "Reconnections to the database after it was lost.",
             static_cast<double>(d.database_reconnects));
    e.Metric("cartwatchd_unsubscribes_total", "counter",
             "Unsubscribe requests honoured by the built-in endpoint.",
             static_cast<double>(d.unsubscribes));
    e.PerEndpoint(
        "cartwatchd_http_connections_refused_total",
        "Connections an HTTP endpoint closed at once: it served its most already.",
        {{"metrics", static_cast<double>(d.metrics_endpoint.refused_connections)},
         {"unsubscribe", static_cast<double>(d.unsubscribe_endpoint.refused_connections)}});
    e.PerEndpoint("cartwatchd_http_accept_failures_total",
                  "Failed accepts of an HTTP endpoint (out of file descriptors).",
                  {{"metrics", static_cast<double>(d.metrics_endpoint.failed_accepts)},
                   {"unsubscribe", static_cast<double>(d.unsubscribe_endpoint.failed_accepts)}});
    e.Metric("cartwatchd_sends_in_flight", "gauge", "Messages handed to sender threads.",
             static_cast<double>(d.in_flight));
    e.Metric("cartwatchd_send_duration_seconds_sum", "counter", "Time spent in SMTP transactions.",
             d.send_seconds_total);
    e.Metric("cartwatchd_send_duration_seconds_count", "counter", "SMTP transactions timed.",
             static_cast<double>(d.send_seconds_count));
    e.Metric("cartwatchd_database_up", "gauge", "1 when the database connection works.",
             d.database_up ? 1 : 0);
    e.Metric("cartwatchd_sending_paused", "gauge",
             "1 while sending waits for the SMTP server (down, TLS, login).",
             d.sending_paused ? 1 : 0);
    e.Metric("cartwatchd_draining", "gauge", "1 while shutting down.", d.draining ? 1 : 0);
    e.Metric("cartwatchd_start_time_seconds", "gauge", "When this process started (Unix time).",
             d.started_unix);
    e.Metric("cartwatchd_last_success_time_seconds", "gauge",
             "This process's last accepted send (Unix time; 0: none yet).",
             d.last_success_unix.value_or(0));
    e.Metric("cartwatchd_last_cycle_time_seconds", "gauge",
             "The last completed outbox cycle (Unix time; 0: none yet).",
             d.last_cycle_unix.value_or(0));
    if (queue) {
        e.Metric("cartwatch_reminders_due", "gauge", "Reminders claimable now.",
                 static_cast<double>(queue->due));
        e.Metric("cartwatch_reminders_oldest_due_age_seconds", "gauge",
                 "How long the oldest claimable reminder has waited (0: none).",
                 queue->oldest_due_age_seconds);
        e.Metric("cartwatch_reminders_pending", "gauge", "Reminders waiting for a first send.",
                 static_cast<double>(queue->pending));
        e.Metric("cartwatch_reminders_retrying", "gauge",
                 "Reminders waiting for a retry after a transient failure.",
                 static_cast<double>(queue->retrying));
        e.Metric("cartwatch_reminders_claimed", "gauge", "Reminders held by workers.",
                 static_cast<double>(queue->claimed));
        e.Metric("cartwatch_reminders_expired_leases", "gauge",
                 "Claims whose lease ran out (a worker died or hangs).",
                 static_cast<double>(queue->expired_leases));
        e.Metric("cartwatch_reminders_sent_24h", "gauge", "Reminders sent in the last 24 hours.",
                 static_cast<double>(queue->sent_24h));
        e.Metric("cartwatch_reminders_dead_24h", "gauge",
                 "Reminders given up in the last 24 hours.", static_cast<double>(queue->dead_24h));
        e.Metric("cartwatch_reminders_unknown_24h", "gauge",
                 "Reminders with an unknown outcome in the last 24 hours.",
                 static_cast<double>(queue->unknown_24h));
        e.Metric("cartwatch_reminders_cancelled_24h", "gauge",
                 "Queued reminders cancelled in the last 24 hours.",
                 static_cast<double>(queue->cancelled_24h));
        e.Metric("cartwatch_reminders_last_sent_time_seconds", "gauge",
                 "The last send by any worker (Unix time; 0: none).",
                 queue->last_sent_unix.value_or(0));
    }
    return e.Text();
}

Health EvaluateHealth(const DaemonMetrics& d, const std::optional<QueueMetrics>& queue,
                      double now_unix) {
    nlohmann::json body;
    std::string status = "ok";
    if (d.draining) {
        status = "stopping";
    } else if (!d.database_up) {
        status = "database unavailable";
    } else if (d.sending_paused) {
        status = "sending paused: SMTP unavailable";
    }
    body["status"] = status;
    body["database_up"] = d.database_up;
    body["sending_paused"] = d.sending_paused;
    body["in_flight"] = d.in_flight;
    body["sent"] = d.sent;
    body["uptime_seconds"] = std::llround(now_unix - d.started_unix);
    if (d.last_success_unix) {
        body["seconds_since_last_send"] = std::llround(now_unix - *d.last_success_unix);
    }
    if (d.last_cycle_unix) {
        body["seconds_since_last_cycle"] = std::llround(now_unix - *d.last_cycle_unix);
    }
    if (queue) {
        body["due"] = queue->due;
        body["oldest_due_age_seconds"] = std::llround(queue->oldest_due_age_seconds);
    }
    return Health{status == "ok", body.dump()};
}

} // namespace cartwatch
