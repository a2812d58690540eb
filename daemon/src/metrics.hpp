// What cartwatchd counts, and the Prometheus text format it is exposed in. The numbers live on
// the event loop's thread; rendering is pure so tests check the exposition text directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cartwatch {

// The outbox as the database sees it (cartwatch.reminder_queue_metrics()).
struct QueueMetrics {
    std::int64_t due = 0; // claimable now
    double oldest_due_age_seconds = 0;
    std::int64_t pending = 0;
    std::int64_t retrying = 0;
    std::int64_t claimed = 0;
    std::int64_t expired_leases = 0;
    std::int64_t sent_24h = 0;
    std::int64_t dead_24h = 0;
    std::int64_t unknown_24h = 0;
    std::int64_t cancelled_24h = 0;
    std::optional<double> last_sent_unix; // any worker's last send
};

// What one of the HTTP endpoints turned away since this process started.
struct HttpEndpointCounters {
    std::int64_t refused_connections = 0; // closed at once: the endpoint served its most
    std::int64_t failed_accepts = 0;      // accept() failed: out of descriptors
};

// What this process did since it started.
struct DaemonMetrics {
    std::int64_t claimed = 0;
    std::int64_t sent = 0;
    std::int64_t retried = 0;    // 4xx: the database retries later
    std::int64_t failed = 0;     // 5xx: given up
    std::int64_t suppressed = 0; // 5.1.x: given up and the address suppressed
    std::int64_t unknown = 0;    // no reply after the message body
    std::int64_t released = 0;   // given back unsent (SMTP unavailable, shutdown)
    std::int64_t render_failures = 0;
    std::int64_t smtp_unavailable = 0; // sends that found no usable server
    std::int64_t database_errors = 0;
    std::int64_t database_reconnects = 0;
    std::int64_t unsubscribes = 0;
    HttpEndpointCounters metrics_endpoint;
    HttpEndpointCounters unsubscribe_endpoint;
    std::int64_t in_flight = 0;
    double send_seconds_total = 0;
    std::int64_t send_seconds_count = 0;
    bool database_up = false;
    bool sending_paused = false;
    bool draining = false;
    double started_unix = 0;
    std::optional<double> last_success_unix; // this process's last send
    std::optional<double> last_cycle_unix;   // last completed claim cycle
};

// The Prometheus text exposition (version 0.0.4) of both; queue may be absent when the
// database cannot be asked.
std::string RenderPrometheus(const DaemonMetrics& daemon, const std::optional<QueueMetrics>& queue);

// The health verdict: healthy when the database is reachable and sending is not paused.
struct Health {
    bool healthy = false;
    std::string json; // a small object for people and probes
};
Health EvaluateHealth(const DaemonMetrics& daemon, const std::optional<QueueMetrics>& queue,
                      double now_unix);

} // namespace cartwatch
