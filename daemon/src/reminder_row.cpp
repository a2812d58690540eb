#include "reminder_row.hpp"

#include "url.hpp"
#include "utf8.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>

namespace cartwatch {
namespace {

using nlohmann::json;

// One element of the items array as read: a field holds text when its JSON value was a string
// or a number (so a quantity sent as 2 or as "2" reads the same), nullopt when it was absent or
// any other value. As with a json object, the last of two equal keys wins.
struct ItemFields {
    bool is_object = false;
    std::optional<std::string> name;
    std::optional<std::string> quantity;
    std::optional<std::string> unit_price;
    std::optional<std::string> line_total;
};

// The field of `item` that the value of the key `name` goes to; null for keys the e-mail does
// not show (product_id, variant).
std::optional<std::string>* FieldNamed(ItemFields& item, std::string_view name) {
    if (name == "name") {
        return &item.name;
    }
    if (name == "quantity") {
        return &item.quantity;
    }
    if (name == "unit_price") {
        return &item.unit_price;
    }
    return name == "line_total" ? &item.line_total : nullptr;
}

// A SAX consumer that reads the items array straight into cart lines, without building a json
// DOM first (which cost a node, and a string, per value of every line). Every number is kept as
// the text PostgreSQL wrote: nlohmann would turn 12.50 into the double 12.5 (and 0.1 into
// 0.1000000000000000055...), which money must never go through. nlohmann still parses, so any
// text that is not JSON is refused; what the lines must hold is checked once the whole text has
// parsed (see ParseCartItems), so a syntax error is reported before a missing field.
class CartItemsReader : public nlohmann::json_sax<json> {
public:
    bool root_is_array() const { return root_is_array_; }
    std::vector<ItemFields>& elements() { return elements_; }
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
            field_ = FieldNamed(elements_.back(), name);
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
    std::vector<ItemFields> elements_;
    std::optional<std::string>* field_ = nullptr;
    std::string error_;
};

// The items as PostgreSQL's jsonb output writes them, read without nlohmann (whose lexer cost
// more than the rest of reading a reminder's row): an array of flat objects whose values are
// strings without escapes, numbers, true, false or null. Anything else (an escape, a nested
// value, a byte order mark, a syntax error, "-0", which nlohmann reads as 0) makes Scan return
// nullopt, and nlohmann reads the text instead, so what is refused, and how, stays its call.
// What this accepts is JSON that nlohmann reads to the same fields.
class PlainItemsScanner {
public:
    explicit PlainItemsScanner(std::string_view text) : text_(text) {}

    std::optional<std::vector<ItemFields>> Scan() {
        std::vector<ItemFields> items;
        SkipSpace();
        if (!Take('[')) {
            return std::nullopt;
        }
        SkipSpace();
        if (!Take(']')) {
            do {
                SkipSpace();
                if (!ScanObject(items.emplace_back())) {
                    return std::nullopt;
                }
                SkipSpace();
            } while (Take(','));
            if (!Take(']')) {
                return std::nullopt;
            }
        }
        SkipSpace();
        if (pos_ != text_.size()) {
            return std::nullopt;
        }
        return items;
    }

private:
    bool Take(char c) {
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool TakeDigits() {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            ++pos_;
        }
        return pos_ > start;
    }
    void SkipSpace() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                       text_[pos_] == '\r' || text_[pos_] == '\t')) {
            ++pos_;
        }
    }
    bool ScanObject(ItemFields& item) {
        if (!Take('{')) {
            return false;
        }
        item.is_object = true;
        SkipSpace();
        if (Take('}')) {
            return true;
        }
        do {
            SkipSpace();
            std::string_view key;
            if (!ScanString(key)) {
                return false;
            }
            SkipSpace();
            if (!Take(':')) {
                return false;
            }
            SkipSpace();
            std::optional<std::string_view> value;
            if (!ScanValue(value)) {
                return false;
            }
            if (std::optional<std::string>* field = FieldNamed(item, key)) {
                *field = value ? std::optional<std::string>(*value) : std::nullopt;
            }
            SkipSpace();
        } while (Take(','));
        return Take('}');
    }
    // A string's or a number's text; nullopt for true, false and null.
    bool ScanValue(std::optional<std::string_view>& value) {
        if (pos_ < text_.size() && text_[pos_] == '"') {
            std::string_view text;
            if (!ScanString(text)) {
                return false;
            }
            value = text;
            return true;
        }
        for (const std::string_view literal : {"null", "true", "false"}) {
            if (text_.substr(pos_, literal.size()) == literal) {
                pos_ += literal.size();
                value = std::nullopt;
                return true;
            }
        }
        return ScanNumber(value);
    }
    bool ScanString(std::string_view& text) {
        if (!Take('"')) {
            return false;
        }
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != '"') {
            const auto c = static_cast<unsigned char>(text_[pos_]);
            if (c == '\\' || c < 0x20) {
                return false;
            }
            ++pos_;
        }
        if (pos_ == text_.size()) {
            return false;
        }
        text = text_.substr(start, pos_ - start);
        ++pos_;
        return IsValidUtf8(text);
    }
    // JSON's number grammar, without an exponent (which PostgreSQL never writes) and at most
    // 30 characters: nlohmann refuses a number beyond a double's range, and these never are.
    // nlohmann hands an integer over as its value, which the reader writes back with
    // to_string: the same text for every integer but "-0" (and one beyond 64 bits comes as a
    // float, with its text).
    bool ScanNumber(std::optional<std::string_view>& value) {
        const std::size_t start = pos_;
        Take('-');
        if (!Take('0') && !TakeDigits()) {
            return false;
        }
        if (Take('.') && !TakeDigits()) {
            return false;
        }
        const std::string_view number = text_.substr(start, pos_ - start);
        if (number == "-0" || number.size() > 30) {
            return false;
        }
        value = number;
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// One element of the items array. product_id is ignored: the e-mail shows
// names, and the recovery link restores the cart on the shop's side.
Result<CartItem> ParseItem(ItemFields& item, std::size_t index) {
    const std::string where = "items[" + std::to_string(index) + "]";
    if (!item.is_object) {
        return Fail(where + " is not an object");
    }
    CartItem parsed;
    if (!item.name) {
        return Fail(where + ".name is missing");
    }
    parsed.name = std::move(*item.name);
    // from_chars refuses "2.5", "-1" past the check below, and, by its error code (it consumes
    // every digit and leaves the value alone), anything beyond int64.
    const std::optional<std::string>& quantity = item.quantity;
    const char* begin = quantity ? quantity->data() : nullptr;
    const char* end = quantity ? quantity->data() + quantity->size() : nullptr;
    const std::from_chars_result read =
        quantity ? std::from_chars(begin, end, parsed.quantity) : std::from_chars_result{};
    if (!quantity || read.ec != std::errc() || read.ptr != end || parsed.quantity < 0) {
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
    std::optional<std::vector<ItemFields>> elements = PlainItemsScanner(items_json).Scan();
    if (!elements) {
        CartItemsReader reader;
        if (!json::sax_parse(items_json, &reader)) {
            return Fail(reader.error().empty() ? "items is not valid JSON" : reader.error());
        }
        if (!reader.root_is_array()) {
            return Fail("items is not a JSON array");
        }
        elements = std::move(reader.elements());
    }
    std::vector<CartItem> items;
    items.reserve(elements->size());
    for (std::size_t i = 0; i < elements->size(); ++i) {
        Result<CartItem> item = ParseItem((*elements)[i], i);
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
