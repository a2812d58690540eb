// The data one reminder e-mail is rendered from. Plain values only: the
// daemon fills it from a claimed database row (see reminder_row.hpp), tests
// fill it by hand, and the renderer and MIME builder never look elsewhere.
#ifndef CARTWATCH_REMINDER_MESSAGE_HPP
#define CARTWATCH_REMINDER_MESSAGE_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cartwatch {

enum class ReminderStep { kFirst, kSecond };

/// One cart line. Amounts are PostgreSQL numeric text in the cart currency.
struct CartItem {
    std::string name;
    std::int64_t quantity = 0;
    std::string unit_price;
    std::string line_total;
};

/// A discount offered in the second reminder.
struct Voucher {
    std::string code;
    std::string value;       // numeric text, in the cart currency
    std::string expiry_date; // ISO date, "2024-11-30"
};

/// Who sends the reminders; comes from the daemon's configuration.
struct ShopIdentity {
    std::string name;
    std::string address;           // postal address shown in the footer
    std::string from_address;      // sender mailbox; its domain names Message-IDs
    std::string from_display_name; // may be non-ASCII: encoded as needed
};

struct ReminderMessage {
    ReminderStep step = ReminderStep::kFirst;
    std::string locale;        // as stored with the cart: "pl", "de_DE", ...
    std::string currency;      // ISO 4217
    std::string customer_name; // the whole display name (the To header); empty for guests
    std::string first_name;    // the greeting's; empty for guests and when the shop has none
    std::string email;
    std::vector<CartItem> items;
    std::string total;              // numeric text
    std::string recovery_url;       // https only
    std::string unsubscribe_url;    // https only; also the RFC 8058 one-click target
    std::string unsubscribe_mailto; // "mailto:..." for List-Unsubscribe; may be empty
    std::optional<Voucher> voucher; // shown in the second reminder only
    ShopIdentity shop;
};

} // namespace cartwatch

#endif
