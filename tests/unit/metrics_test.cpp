#include "metrics.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

TEST(Metrics, ExposesCountersInPrometheusTextFormat) {
    DaemonMetrics d;
    d.sent = 12;
    d.failed = 2;
    d.suppressed = 1;
    d.database_up = true;
    d.last_success_unix = 1700000000.5;
    const std::string text = RenderPrometheus(d, std::nullopt);
    EXPECT_NE(text.find("# TYPE cartwatchd_reminders_sent_total counter\n"
                        "cartwatchd_reminders_sent_total 12\n"),
              std::string::npos);
    // Suppressions are failures too.
    EXPECT_NE(text.find("\ncartwatchd_reminders_failed_total 3\n"), std::string::npos);
    EXPECT_NE(text.find("\ncartwatchd_database_up 1\n"), std::string::npos);
    EXPECT_NE(text.find("\ncartwatchd_last_success_time_seconds 1700000000.5\n"),
              std::string::npos);
    // Without the database there is no queue to report, rather than zeros that look healthy.
    EXPECT_EQ(text.find("cartwatch_reminders_due"), std::string::npos);
}

TEST(Metrics, CountsWhatEachHttpEndpointTurnedAway) {
    DaemonMetrics d;
    d.metrics_endpoint.refused_connections = 7;
    d.unsubscribe_endpoint.failed_accepts = 3;
    const std::string text = RenderPrometheus(d, std::nullopt);
    EXPECT_NE(text.find("# TYPE cartwatchd_http_connections_refused_total counter\n"
                        "cartwatchd_http_connections_refused_total{endpoint=\"metrics\"} 7\n"
                        "cartwatchd_http_connections_refused_total{endpoint=\"unsubscribe\"} 0\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("cartwatchd_http_accept_failures_total{endpoint=\"metrics\"} 0\n"
                        "cartwatchd_http_accept_failures_total{endpoint=\"unsubscribe\"} 3\n"),
              std::string::npos)
        << text;
}

TEST(Metrics, ExposesTheQueue) {
    QueueMetrics q;
    q.due = 5;
    q.oldest_due_age_seconds = 742;
    q.unknown_24h = 1;
    const std::string text = RenderPrometheus(DaemonMetrics{}, q);
    EXPECT_NE(text.find("\ncartwatch_reminders_due 5\n"), std::string::npos);
    EXPECT_NE(text.find("\ncartwatch_reminders_oldest_due_age_seconds 742\n"), std::string::npos);
    EXPECT_NE(text.find("\ncartwatch_reminders_unknown_24h 1\n"), std::string::npos);
    EXPECT_NE(text.find("\ncartwatch_reminders_last_sent_time_seconds 0\n"), std::string::npos);
}

TEST(Metrics, HealthNeedsTheDatabaseAndAWorkingSender) {
    DaemonMetrics d;
    d.started_unix = 1000;
    EXPECT_FALSE(EvaluateHealth(d, std::nullopt, 1010).healthy);
    d.database_up = true;
    const Health ok = EvaluateHealth(d, std::nullopt, 1010);
    EXPECT_TRUE(ok.healthy);
    EXPECT_NE(ok.json.find("\"status\":\"ok\""), std::string::npos);
    EXPECT_NE(ok.json.find("\"uptime_seconds\":10"), std::string::npos);
    d.sending_paused = true;
    const Health paused = EvaluateHealth(d, std::nullopt, 1010);
    EXPECT_FALSE(paused.healthy);
    EXPECT_NE(paused.json.find("SMTP unavailable"), std::string::npos);
}

} // namespace
} // namespace cartwatch
