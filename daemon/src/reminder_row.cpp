#include "reminder_row.hpp"

#include "url.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace cartwatch {
namespace {

using nlohmann::json;

// A SAX consumer that builds the usual json DOM except that every number is
// stored as its text. nlohmann's own DOM parser would turn 12.50 into the
// double 12.5 (and 0.1 into 0.1000000000000000055...), which money must
// never go through.
class ExactNumberBuilder : public nlohmann::json_sax<json> {
public:
    json& root() { return root_; }
    const std::string& error() const { return error_; }

    bool null() override { return Insert(nullptr); }
    bool boolean(bool value) override { return Insert(value); }
    bool number_integer(number_integer_t value) override { return Insert(std::to_string(value)); }
    bool number_unsigned(number_unsigned_t value) override { return Insert(std::to_string(value)); }
    bool number_float(number_float_t, const string_t& text) override { return Insert(text); }
    bool string(string_t& value) override { return Insert(value); }
    bool binary(binary_t&) override { return Insert(nullptr); }
    bool start_object(std::size_t) override { return Open(json::object()); }
    bool key(string_t& name) override {
        key_ = name;
        return true;
    }
    bool end_object() override { return Close(); }
    bool start_array(std::size_t) override { return Open(json::array()); }
    bool end_array() override { return Close(); }
    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::detail::exception&) override {
        error_ = "items is not valid JSON (at byte " + std::to_string(position) + ")";
        return false;
    }

private:
    // Pointers into parents stay valid: a parent is only appended to after
    // the child on top of the stack has been closed.
    json* Place(json value) {
        if (open_.empty()) {
            root_ = std::move(value);
            return &root_;
        }
        json& parent = *open_.back();
        if (parent.is_array()) {
            parent.push_back(std::move(value));
            return &parent.back();
        }
        parent[key_] = std::move(value);
        return &parent[key_];
    }
    bool Insert(json value) {
        Place(std::move(value));
        return true;
    }
    bool Open(json container) {
        open_.push_back(Place(std::move(container)));
        return true;
    }
    bool Close() {
        open_.pop_back();
        return true;
    }

    json root_;
    std::vector<json*> open_;
    std::string key_;
    std::string error_;
};

// Reads a field that must hold a number (sent as a JSON number or a string).
std::optional<std::string> NumberText(const json& item, const char* field) {
    const auto it = item.find(field);
    if (it == item.end() || !it->is_string()) {
        return std::nullopt;
    }
    return it->get<std::string>();
}

// One element of the items array. product_id is ignored: the e-mail shows
// names, and the recovery link restores the cart on the shop's side.
Result<CartItem> ParseItem(const json& item, std::size_t index) {
    const std::string where = "items[" + std::to_string(index) + "]";
    if (!item.is_object()) {
        return Fail(where + " is not an object");
    }
    CartItem parsed;
    const auto name = item.find("name");
    if (name == item.end() || !name->is_string()) {
        return Fail(where + ".name is missing");
    }
    parsed.name = name->get<std::string>();
    // The builder above stores numbers as text, so a quantity sent as 2 or as
    // "2" reads the same; from_chars refuses "2.5", "-1" past the check
    // below, and anything beyond int64.
    const auto quantity = NumberText(item, "quantity");
    const char* begin = quantity ? quantity->data() : nullptr;
    const char* end = quantity ? quantity->data() + quantity->size() : nullptr;
    if (!quantity || std::from_chars(begin, end, parsed.quantity).ptr != end ||
        parsed.quantity < 0) {
        return Fail(where + ".quantity is not a whole number");
    }
    auto unit_price = NumberText(item, "unit_price");
    auto line_total = NumberText(item, "line_total");
    if (!unit_price || !line_total) {
        return Fail(where + " lacks unit_price or line_total");
    }
    parsed.unit_price = std::move(*unit_price);
    parsed.line_total = std::move(*line_total);
    return parsed;
}

// Tokens are opaque and come from the database: percent-encoding them keeps
// any byte from ending the URL, and the result is re-checked as a whole so a
// misconfigured prefix (http://, spaces) is caught on the first reminder.
Result<std::string> BuildLink(const std::string& prefix, const std::string& token,
                              const char* what) {
    if (token.empty()) {
        return Fail(std::string(what) + " token is empty");
    }
    std::string url = prefix + PercentEncode(token);
    if (!IsSafeHttpsUrl(url)) {
        return Fail(std::string(what) + " link is not a plain https URL");
    }
    return url;
}

} // namespace

Result<std::vector<CartItem>> ParseCartItems(std::string_view items_json) {
    ExactNumberBuilder builder;
    const bool parsed = json::sax_parse(items_json, &builder);
    if (!parsed) {
        return Fail(builder.error().empty() ? "items is not valid JSON" : builder.error());
    }
    const json& root = builder.root();
    if (!root.is_array()) {
        return Fail("items is not a JSON array");
    }
    std::vector<CartItem> items;
    items.reserve(root.size());
    for (std::size_t i = 0; i < root.size(); ++i) {
        Result<CartItem> item = ParseItem(root[i], i);
        if (!item) {
            return Fail(item.error());
        }
        items.push_back(std::move(item).value());
    }
    return items;
}

Result<ReminderMessage> ReminderFromRow(const ReminderRow& row, const ShopIdentity& shop,
                                        const LinkSettings& links, std::optional<Voucher> voucher) {
    ReminderMessage message;
    if (row.step == "first") {
        message.step = ReminderStep::kFirst;
    } else if (row.step == "second") {
        message.step = ReminderStep::kSecond;
    } else {
        return Fail("unknown reminder step");
    }
    Result<std::vector<CartItem>> items = ParseCartItems(row.items_json);
    if (!items) {
        return Fail(items.error());
    }
    Result<std::string> recovery =
        BuildLink(links.recovery_url_prefix, row.recovery_token, "recovery");
    Result<std::string> unsubscribe =
        BuildLink(links.unsubscribe_url_prefix, row.unsubscribe_token, "unsubscribe");
    if (!recovery) {
        return Fail(recovery.error());
    }
    if (!unsubscribe) {
        return Fail(unsubscribe.error());
    }
    message.locale = row.locale;
    message.currency = row.currency;
    message.customer_name = row.display_name.value_or("");
    message.first_name = row.first_name.value_or("");
    message.email = row.email;
    message.items = std::move(items).value();
    message.total = row.total;
    message.recovery_url = std::move(recovery).value();
    message.unsubscribe_url = std::move(unsubscribe).value();
    // RFC 8058 needs the https link; the mailto is the RFC 2369 fallback for
    // clients without one-click support. The token rides in the subject so
    // one mailbox serves every recipient.
    if (!links.unsubscribe_mailbox.empty()) {
        message.unsubscribe_mailto = "mailto:" + links.unsubscribe_mailbox +
                                     "?subject=unsubscribe%20" +
                                     PercentEncode(row.unsubscribe_token);
    }
    message.voucher = std::move(voucher);
    message.shop = shop;
    return message;
}

} // namespace cartwatch
