#include "reminder_row.hpp"

#include "url.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace cartwatch {
namespace {

using nlohmann::json;

// A SAX consumer that reads the items array straight into cart lines, without building a json
// DOM first (which cost a node, and a string, per value of every line). Every number is kept as
// the text PostgreSQL wrote: nlohmann would turn 12.50 into the double 12.5 (and 0.1 into
// 0.1000000000000000055...), which money must never go through. nlohmann still parses, so any
// text that is not JSON is refused; what the lines must hold is checked once the whole text has
// parsed (see ParseCartItems), so a syntax error is reported before a missing field.
class CartItemsReader : public nlohmann::json_sax<json> {
public:
    // One element of the array as read: a field holds text when its JSON value was a string or
    // a number (so a quantity sent as 2 or as "2" reads the same), nullopt when it was absent or
    // any other value. As with a json object, the last of two equal keys wins.
    struct Element {
        bool is_object = false;
        std::optional<std::string> name;
        std::optional<std::string> quantity;
        std::optional<std::string> unit_price;
        std::optional<std::string> line_total;
    };

    bool root_is_array() const { return root_is_array_; }
    std::vector<Element>& elements() { return elements_; }
    const std::string& error() const { return error_; }

    bool null() override { return Scalar(std::nullopt); }
    bool boolean(bool) override { return Scalar(std::nullopt); }
    bool number_integer(number_integer_t value) override { return Scalar(std::to_string(value)); }
    bool number_unsigned(number_unsigned_t value) override { return Scalar(std::to_string(value)); }
    bool number_float(number_float_t, const string_t& text) override { return Scalar(text); }
    bool string(string_t& value) override { return Scalar(std::move(value)); }
    bool binary(binary_t&) override { return Scalar(std::nullopt); }
    bool start_object(std::size_t) override { return Open(false); }
    bool key(string_t& name) override {
        // Keys at depth 2 are an element's own (deeper ones belong to a field's value).
        if (depth_ == 2 && root_is_array_) {
            field_ = FieldNamed(name);
        }
        return true;
    }
    bool end_object() override { return Close(); }
    bool start_array(std::size_t) override { return Open(true); }
    bool end_array() override { return Close(); }
    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::detail::exception&) override {
        error_ = "items is not valid JSON (at byte " + std::to_string(position) + ")";
        return false;
    }

private:
    // The field of the current element that the value after `name` goes to; null for keys the
    // e-mail does not show (product_id, variant).
    std::optional<std::string>* FieldNamed(const std::string& name) {
        Element& element = elements_.back();
        if (name == "name") {
            return &element.name;
        }
        if (name == "quantity") {
            return &element.quantity;
        }
        if (name == "unit_price") {
            return &element.unit_price;
        }
        return name == "line_total" ? &element.line_total : nullptr;
    }
    // A value at depth 0 is the root, at depth 1 an element, at depth 2 a field's value; deeper
    // ones belong to a field's own object or array, which counts as no text.
    void Place(std::optional<std::string> text) {
        if (depth_ == 0) {
            root_is_array_ = false;
        } else if (depth_ == 1 && root_is_array_) {
            elements_.emplace_back();
        } else if (depth_ == 2 && field_ != nullptr) {
            *field_ = std::move(text);
        }
    }
    bool Scalar(std::optional<std::string> text) {
        Place(std::move(text));
        return true;
    }
    bool Open(bool array) {
        if (depth_ == 0) {
            root_is_array_ = array;
        } else {
            Place(std::nullopt);
            if (depth_ == 1 && root_is_array_) {
                elements_.back().is_object = !array;
            }
        }
        field_ = nullptr;
        ++depth_;
        return true;
    }
    bool Close() {
        --depth_;
        field_ = nullptr;
        return true;
    }

    std::size_t depth_ = 0;
    bool root_is_array_ = false;
    std::vector<Element> elements_;
    std::optional<std::string>* field_ = nullptr;
    std::string error_;
};

// One element of the items array. product_id is ignored: the e-mail shows
// names, and the recovery link restores the cart on the shop's side.
Result<CartItem> ParseItem(CartItemsReader::Element& item, std::size_t index) {
    const std::string where = "items[" + std::to_string(index) + "]";
    if (!item.is_object) {
        return Fail(where + " is not an object");
    }
    CartItem parsed;
    if (!item.name) {
        return Fail(where + ".name is missing");
    }
    parsed.name = std::move(*item.name);
    // from_chars refuses "2.5", "-1" past the check below, and anything beyond int64.
    const std::optional<std::string>& quantity = item.quantity;
    const char* begin = quantity ? quantity->data() : nullptr;
    const char* end = quantity ? quantity->data() + quantity->size() : nullptr;
    if (!quantity || std::from_chars(begin, end, parsed.quantity).ptr != end ||
        parsed.quantity < 0) {
        return Fail(where + ".quantity is not a whole number");
    }
    if (!item.unit_price || !item.line_total) {
        return Fail(where + " lacks unit_price or line_total");
    }
    parsed.unit_price = std::move(*item.unit_price);
    parsed.line_total = std::move(*item.line_total);
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
    CartItemsReader reader;
    if (!json::sax_parse(items_json, &reader)) {
        return Fail(reader.error().empty() ? "items is not valid JSON" : reader.error());
    }
    if (!reader.root_is_array()) {
        return Fail("items is not a JSON array");
    }
    std::vector<CartItem> items;
    items.reserve(reader.elements().size());
    for (std::size_t i = 0; i < reader.elements().size(); ++i) {
        Result<CartItem> item = ParseItem(reader.elements()[i], i);
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
