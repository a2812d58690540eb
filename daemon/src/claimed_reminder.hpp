// One reminder as cartwatch.claim_reminders() hands it out: everything its message is
// rendered from. Plain values, shared by the outbox client, the jobs and the renderer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cartwatch {

// One row of cartwatch.claim_reminders().
struct ClaimedReminder {
    std::int64_t reminder_id = 0;
    std::string step; // "first" or "second"
    int attempt = 0;
    std::int64_t cart_id = 0;
    std::string email;
    std::optional<std::string> display_name; // NULL for guests
    std::optional<std::string> first_name;   // NULL for guests and customers without one
    std::string locale;
    std::string currency;
    std::string items_json;
    std::string total;
    std::string recovery_token;
    std::string unsubscribe_token;
    std::string message_key; // stable across attempts
};

} // namespace cartwatch
