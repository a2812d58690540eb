// Turns a claimed reminder row into a ReminderMessage, so the daemon's
// database code and the tests share one mapping.
#ifndef CARTWATCH_REMINDER_ROW_HPP
#define CARTWATCH_REMINDER_ROW_HPP

#include "reminder_message.hpp"
#include "result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cartwatch {

/// The columns of a claimed reminder, as text where PostgreSQL sends text.
struct ReminderRow {
    std::int64_t reminder_id = 0;
    std::string step; // "first" or "second"
    int attempt = 0;
    std::int64_t cart_id = 0;
    std::string email;
    std::optional<std::string> display_name; // NULL for guests
    std::optional<std::string> first_name;   // NULL for guests and customers without one
    std::string locale;
    std::string currency;
    std::string items_json; // jsonb array: product_id, name, quantity, unit_price, line_total
    std::string total;      // numeric text
    std::string recovery_token;
    std::string unsubscribe_token;
};

/// Where the tokens point; from the daemon's configuration.
struct LinkSettings {
    std::string recovery_url_prefix;    // e.g. "https://shop.example/cart/recover/"
    std::string unsubscribe_url_prefix; // e.g. "https://shop.example/unsubscribe/"
    std::string unsubscribe_mailbox;    // e.g. "unsubscribe@shop.example"; may be empty
};

/// Parses the items jsonb. Prices may arrive as JSON numbers or strings;
/// numbers are kept as the exact text PostgreSQL wrote ("12.50" stays
/// "12.50") because they never pass through a double.
Result<std::vector<CartItem>> ParseCartItems(std::string_view items_json);

/// Builds the render input: tokens are percent-encoded onto the configured
/// prefixes, a NULL or blank display name makes the customer a guest, and a
/// NULL first name leaves the greeting to the template's nameless form.
Result<ReminderMessage> ReminderFromRow(const ReminderRow& row, const ShopIdentity& shop,
                                        const LinkSettings& links,
                                        std::optional<Voucher> voucher = std::nullopt);

} // namespace cartwatch

#endif
