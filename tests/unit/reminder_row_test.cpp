#include "reminder_row.hpp"

#include <gtest/gtest.h>

namespace cartwatch {
namespace {

ReminderRow SampleRow() {
    ReminderRow row;
    row.reminder_id = 42;
    row.step = "second";
    row.attempt = 1;
    row.cart_id = 7;
    row.email = "zofia@example.pl";
    row.display_name = "Zofia Wiśniewska";
    row.first_name = "Zofia";
    row.locale = "pl_PL";
    row.currency = "PLN";
    // As PostgreSQL's jsonb output writes numerics: scale is preserved.
    row.items_json = R"([{"product_id": 1, "name": "Kubek „Żółw”", "quantity": 2,
                          "unit_price": 24.90, "line_total": 49.80},
                         {"product_id": 2, "name": "Koc", "quantity": "1",
                          "unit_price": "141.40", "line_total": 141.4}])";
    row.total = "191.20";
    row.recovery_token = "rt/4f 9a";
    row.unsubscribe_token = "ut_77";
    return row;
}

const ShopIdentity kShop{"Żółta Półka", "ul. Długa 12, Gdańsk", "sklep@zoltapolka.example",
                         "Żółta Półka"};
const LinkSettings kLinks{"https://zoltapolka.example/cart/", "https://zoltapolka.example/u/",
                          "unsubscribe@zoltapolka.example"};

TEST(ParseCartItemsTest, KeepsNumericTextExactly) {
    const auto items = ParseCartItems(SampleRow().items_json);
    ASSERT_TRUE(items.ok()) << items.error();
    ASSERT_EQ(2u, items->size());
    EXPECT_EQ("Kubek „Żółw”", (*items)[0].name);
    EXPECT_EQ(2, (*items)[0].quantity);
    EXPECT_EQ("24.90", (*items)[0].unit_price);
    EXPECT_EQ("49.80", (*items)[0].line_total);
    EXPECT_EQ(1, (*items)[1].quantity);
    EXPECT_EQ("141.40", (*items)[1].unit_price);
    EXPECT_EQ("141.4", (*items)[1].line_total);
}

TEST(ParseCartItemsTest, KeepsDigitsADoubleWouldLose) {
    const auto items = ParseCartItems(
        R"([{"name":"x","quantity":1,"unit_price":0.1,"line_total":12345678901234567.89}])");
    ASSERT_TRUE(items.ok());
    EXPECT_EQ("0.1", (*items)[0].unit_price);
    EXPECT_EQ("12345678901234567.89", (*items)[0].line_total);
}

TEST(ParseCartItemsTest, RefusesMalformedItems) {
    EXPECT_FALSE(ParseCartItems("not json").ok());
    EXPECT_FALSE(ParseCartItems("{}").ok());
    EXPECT_FALSE(ParseCartItems(R"([{"quantity":1,"unit_price":1,"line_total":1}])").ok());
    EXPECT_FALSE(
        ParseCartItems(R"([{"name":"x","quantity":1.5,"unit_price":1,"line_total":1}])").ok());
    EXPECT_FALSE(
        ParseCartItems(R"([{"name":"x","quantity":-1,"unit_price":1,"line_total":1}])").ok());
    // Past int64: refused, not shown as 0 (as a number and as a string alike).
    for (const char* quantity : {"99999999999999999999", "\"99999999999999999999\""}) {
        const auto items = ParseCartItems(std::string(R"([{"name":"x","quantity":)") + quantity +
                                          R"(,"unit_price":1,"line_total":1}])");
        EXPECT_FALSE(items.ok()) << quantity;
    }
    EXPECT_TRUE(
        ParseCartItems(
            R"([{"name":"x","quantity":9223372036854775807,"unit_price":1,"line_total":1}])")
            .ok());
    EXPECT_FALSE(
        ParseCartItems(R"([{"name":"x","quantity":1,"unit_price":true,"line_total":1}])").ok());
    EXPECT_FALSE(ParseCartItems(R"([{"name":"x","quantity":1,"unit_price":1}])").ok());
    EXPECT_FALSE(ParseCartItems(R"([1])").ok());
    EXPECT_TRUE(ParseCartItems("[]").ok());
}

// The lines are read straight from the parser's events, with the rules a json object had:
// the last of two equal keys wins, a field holding an object or an array holds no text, and
// only the array's own elements are lines.
TEST(ParseCartItemsTest, ReadsFieldsAsAJsonObjectWould) {
    const auto items = ParseCartItems(
        R"([{"name":"old","name":"Koc","quantity":"3","unit_price":1,"line_total":3,)"
        R"("variant":{"name":"not this","quantity":[1,{"x":2}]},"product_id":9}, )"
        R"({"name":12,"quantity":1,"unit_price":"2.50","line_total":2.50}])");
    ASSERT_TRUE(items.ok()) << items.error();
    ASSERT_EQ(2u, items->size());
    EXPECT_EQ("Koc", (*items)[0].name);
    EXPECT_EQ(3, (*items)[0].quantity);
    EXPECT_EQ("12", (*items)[1].name); // a number's text, as before
    EXPECT_EQ("2.50", (*items)[1].line_total);
    EXPECT_EQ(
        "items[0].name is missing",
        ParseCartItems(R"([{"name":{"a":1},"quantity":1,"unit_price":1,"line_total":1}])").error());
    EXPECT_EQ("items[0].name is missing",
              ParseCartItems(R"([{"name":"x","name":null,"quantity":1,"unit_price":1,)"
                             R"("line_total":1}])")
                  .error());
    EXPECT_EQ("items is not a JSON array", ParseCartItems(R"({"a":{"name":"x"}})").error());
    EXPECT_EQ(
        "items[1] is not an object",
        ParseCartItems(R"([{"name":"x","quantity":1,"unit_price":1,"line_total":1},[]])").error());
    EXPECT_EQ(
        "items[0] lacks unit_price or line_total",
        ParseCartItems(R"([{"name":"x","quantity":1,"unit_price":[1],"line_total":1}])").error());
}

// Items in jsonb's usual shape are read without nlohmann; anything else (escapes, exponents,
// "-0", a byte order mark, bad UTF-8, an out-of-range number) goes to nlohmann, and every one
// must read as nlohmann reads it.
TEST(ParseCartItemsTest, TheUsualShapeAndEveryOtherReadAlike) {
    const auto escaped = ParseCartItems(
        R"([{"name":"a\"b\u0105","quantity":-0,"unit_price":1e5,"line_total":1E+2}])");
    ASSERT_TRUE(escaped.ok()) << escaped.error();
    EXPECT_EQ("a\"b\u0105", (*escaped)[0].name);
    EXPECT_EQ(0, (*escaped)[0].quantity);
    EXPECT_EQ("1e5", (*escaped)[0].unit_price);
    EXPECT_EQ("1E+2", (*escaped)[0].line_total);
    const auto spaced = ParseCartItems(
        "\xEF\xBB\xBF \t\r\n[ {\"name\" : \"x\" , \"quantity\" : 1 , \"unit_price\" : "
        "-0.5 , \"line_total\" : 123456789012345678901234567890.1 } ] \n");
    ASSERT_TRUE(spaced.ok()) << spaced.error();
    EXPECT_EQ("-0.5", (*spaced)[0].unit_price);
    EXPECT_EQ("123456789012345678901234567890.1", (*spaced)[0].line_total);
    EXPECT_EQ("items is not valid JSON (at byte 12)",
              ParseCartItems("[{\"name\":\"\xC3\x28\",\"quantity\":1,\"unit_price\":1,"
                             "\"line_total\":1}]")
                  .error());
    EXPECT_FALSE(
        ParseCartItems(R"([{"name":"x","quantity":1,"unit_price":1,"line_total":1e999}])").ok());
    EXPECT_FALSE(
        ParseCartItems(R"([{"name":"x","quantity":01,"unit_price":1,"line_total":1}])").ok());
    EXPECT_FALSE(
        ParseCartItems("[{\"name\":\"a\tb\",\"quantity\":1,\"unit_price\":1,\"line_total\":1}]")
            .ok());
    EXPECT_FALSE(
        ParseCartItems(R"([{"name":"x","quantity":1,"unit_price":1,"line_total":1},])").ok());
}

// What is wrong with the text as JSON is reported before what is wrong with a line.
TEST(ParseCartItemsTest, ASyntaxErrorComesFirst) {
    const auto items = ParseCartItems(R"([{"quantity":1}, {"name": "x"} x])");
    ASSERT_FALSE(items.ok());
    EXPECT_EQ("items is not valid JSON (at byte 32)", items.error());
    EXPECT_FALSE(ParseCartItems("").ok());
    EXPECT_FALSE(ParseCartItems("[\"\xff\"]").ok()); // not UTF-8
}

TEST(ReminderFromRowTest, BuildsLinksAndFields) {
    Voucher voucher{"WRACAM10", "10.00", "2024-12-01"};
    const auto message = ReminderFromRow(SampleRow(), kShop, kLinks, voucher);
    ASSERT_TRUE(message.ok()) << message.error();
    EXPECT_EQ(ReminderStep::kSecond, message->step);
    EXPECT_EQ("pl_PL", message->locale);
    EXPECT_EQ("Zofia Wiśniewska", message->customer_name);
    EXPECT_EQ("Zofia", message->first_name);
    EXPECT_EQ("https://zoltapolka.example/cart/rt%2F4f%209a", message->recovery_url);
    EXPECT_EQ("https://zoltapolka.example/u/ut_77", message->unsubscribe_url);
    EXPECT_EQ("mailto:unsubscribe@zoltapolka.example?subject=unsubscribe%20ut_77",
              message->unsubscribe_mailto);
    EXPECT_EQ("191.20", message->total);
    ASSERT_TRUE(message->voucher.has_value());
    EXPECT_EQ("sklep@zoltapolka.example", message->shop.from_address);
}

TEST(ReminderFromRowTest, NullDisplayNameIsAGuest) {
    ReminderRow row = SampleRow();
    row.display_name.reset();
    row.first_name.reset();
    row.step = "first";
    const auto message = ReminderFromRow(row, kShop, kLinks);
    ASSERT_TRUE(message.ok());
    EXPECT_EQ("", message->customer_name);
    EXPECT_EQ("", message->first_name);
    EXPECT_EQ(ReminderStep::kFirst, message->step);
}

TEST(ReminderFromRowTest, RefusesBadRows) {
    ReminderRow row = SampleRow();
    row.step = "third";
    EXPECT_FALSE(ReminderFromRow(row, kShop, kLinks).ok());
    row = SampleRow();
    row.recovery_token.clear();
    EXPECT_FALSE(ReminderFromRow(row, kShop, kLinks).ok());
    LinkSettings http = kLinks;
    http.recovery_url_prefix = "http://zoltapolka.example/";
    EXPECT_FALSE(ReminderFromRow(SampleRow(), kShop, http).ok());
    row = SampleRow();
    row.items_json = "[";
    EXPECT_FALSE(ReminderFromRow(row, kShop, kLinks).ok());
}

} // namespace
} // namespace cartwatch
