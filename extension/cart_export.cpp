// cartwatch.export_abandoned_carts(format, as_of): the abandoned-cart list as CSV (RFC 4180,
// one record per cart item, header first) or XML (one <cart> element per cart with its items),
// the two formats shop owners take into spreadsheets and ERP imports.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "csv_writer.hpp"
#include "pg_boundary.hpp"
#include "server_encoding.hpp"
#include "spi.hpp"
#include "xml_writer.hpp"

namespace cartwatch {
namespace {

// Column order of kExportQuery; the CSV header uses these names.
const std::vector<std::string_view> kColumns = {
    "cart_id",    "customer_id", "email",      "customer_type",    "customer_name", "item_count",
    "cart_value", "currency",    "created_at", "last_activity_at", "product_id",    "product_name",
    "variant",    "quantity",    "unit_price", "line_total"};
enum Column {
    kCartId,
    kCustomerId,
    kEmail,
    kCustomerType,
    kCustomerName,
    kItemCount,
    kCartValue,
    kCurrency,
    kCreatedAt,
    kLastActivityAt,
    kProductId,
    kProductName,
    kVariant,
    kQuantity,
    kUnitPrice,
    kLineTotal,
    kColumnCount
};

// Timestamps as ISO 8601 with offset (to_json's form), whatever the session's DateStyle.
constexpr const char* kExportQuery =
    "SELECT a.cart_id, a.customer_id, a.email, a.customer_type, a.customer_name,"
    "       a.item_count, a.value, a.currency,"
    "       to_json(a.created_at) #>> '{}', to_json(a.last_activity_at) #>> '{}',"
    "       i.product_id, coalesce(i.product_name, p.name), i.variant, i.quantity,"
    "       i.unit_price, i.unit_price * i.quantity"
    "  FROM cartwatch.abandoned_carts($1) AS a"
    "  JOIN cartwatch.cart_items AS i ON i.cart_id = a.cart_id"
    "  LEFT JOIN cartwatch.products AS p ON p.product_id = i.product_id"
    " ORDER BY a.last_activity_at DESC, a.cart_id, i.added_at, i.product_id, i.variant";

using Row = std::vector<std::optional<std::string>>;

enum class ExportFormat { Csv, Xml };

ExportFormat ParseFormat(const std::string& name) {
    if (name == "csv") {
        return ExportFormat::Csv;
    }
    if (name == "xml") {
        return ExportFormat::Xml;
    }
    throw UserError(ErrorKind::InvalidParameter, "unknown export format \"" + name + "\"", "",
                    "Use \"csv\" or \"xml\".");
}

std::vector<Row> FetchRows(TimestampTz as_of) {
    spi::Session session;
    const uint64_t count = spi::Execute(
        kExportQuery, {{TIMESTAMPTZOID, TimestampTzGetDatum(as_of), false}}, true, SPI_OK_SELECT);
    std::vector<Row> rows;
    rows.reserve(count);
    for (uint64_t r = 0; r < count; ++r) {
        Row row;
        row.reserve(kColumnCount);
        for (int c = 1; c <= kColumnCount; ++c) {
            row.push_back(spi::TextValue(r, c));
        }
        rows.push_back(std::move(row));
    }
    session.Finish();
    return rows;
}

std::string ToCsv(const std::vector<Row>& rows) {
    CsvWriter csv;
    csv.AddRow(std::vector<CsvField>(kColumns.begin(), kColumns.end()));
    for (const Row& row : rows) {
        std::vector<CsvField> fields;
        fields.reserve(row.size());
        for (const auto& value : row) {
            fields.push_back(value ? CsvField(*value) : std::nullopt);
        }
        csv.AddRow(fields);
    }
    return csv.TakeText();
}

const std::string* Value(const Row& row, Column column) {
    return row[column] ? &*row[column] : nullptr;
}

std::string_view Or(const Row& row, Column column, std::string_view fallback) {
    return row[column] ? std::string_view(*row[column]) : fallback;
}

// The XML document declares UTF-8, and XmlWriter reads its input as UTF-8: in a database of
// another encoding (LATIN2, say) the values are converted on the way in, and the document
// goes back to the database's encoding as it is returned (ServerText). The client's conversion
// then writes the UTF-8 the declaration promises when the client asks for UTF-8. Without it
// every letter beyond ASCII came out as U+FFFD.
std::string ToXml(std::vector<Row> rows, const std::string& as_of) {
    if (GetDatabaseEncoding() != PG_UTF8) {
        for (Row& row : rows) {
            for (auto& value : row) {
                if (value) {
                    value = Utf8FromServer(value->data(), value->size());
                }
            }
        }
    }
    XmlWriter xml;
    xml.Open("abandoned_carts", {{"as_of", as_of}, {"count", ""}});
    const std::string* current_cart = nullptr;
    size_t carts = 0;
    for (const Row& row : rows) {
        if (current_cart == nullptr || *current_cart != *row[kCartId]) {
            if (current_cart != nullptr) {
                xml.Close(); // items
                xml.Close(); // cart
            }
            current_cart = &*row[kCartId];
            ++carts;
            XmlAttributes cart_attributes{{"id", *row[kCartId]}};
            if (row[kCustomerId]) {
                cart_attributes.emplace_back("customer_id", *row[kCustomerId]);
            }
            cart_attributes.emplace_back("customer_type", Or(row, kCustomerType, ""));
            xml.Open("cart", cart_attributes);
            xml.Element("email", Value(row, kEmail));
            xml.Element("customer_name", Value(row, kCustomerName));
            xml.Element("item_count", Value(row, kItemCount));
            xml.Element("value", Value(row, kCartValue), {{"currency", Or(row, kCurrency, "")}});
            xml.Element("created_at", Value(row, kCreatedAt));
            xml.Element("last_activity_at", Value(row, kLastActivityAt));
            xml.Open("items");
        }
        xml.Open("item", {{"product_id", Or(row, kProductId, "")}});
        xml.Element("name", Value(row, kProductName));
        xml.Element("variant", Value(row, kVariant));
        xml.Element("quantity", Value(row, kQuantity));
        xml.Element("unit_price", Value(row, kUnitPrice));
        xml.Element("line_total", Value(row, kLineTotal));
        xml.Close();
    }
    std::string document = xml.Finish();
    // The cart count is known only at the end; it fills the placeholder in the root element.
    const std::string placeholder = "count=\"\"";
    const size_t at = document.find(placeholder);
    if (at != std::string::npos) {
        document.replace(at, placeholder.size(), "count=\"" + std::to_string(carts) + "\"");
    }
    return document;
}

} // namespace
} // namespace cartwatch

// export_abandoned_carts(format text, as_of timestamptz) RETURNS text
CW_FUNCTION(cartwatch_export_abandoned_carts) {
    using namespace cartwatch;
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) {
        throw UserError(ErrorKind::InvalidParameter,
                        PG_ARGISNULL(0) ? "format must not be NULL" : "as_of must not be NULL", "",
                        "Use \"csv\" or \"xml\", and a timestamp such as now().");
    }
    text* format_arg = PG_GETARG_TEXT_PP(0);
    const TimestampTz as_of = PG_GETARG_TIMESTAMPTZ(1);
    const std::string format_name = PgCall([format_arg] { return text_to_cstring(format_arg); });
    const ExportFormat format = ParseFormat(format_name);
    const std::string as_of_text = PgCall([as_of] { return timestamptz_to_str(as_of); });

    std::vector<Row> rows = FetchRows(as_of);
    if (format == ExportFormat::Xml) {
        const std::string document = ToXml(std::move(rows), as_of_text);
        PG_RETURN_DATUM(PgCall([&document] { return ServerText(document); }));
    }
    const std::string document = ToCsv(rows); // in the database's encoding, as its values
    const char* data = document.data();
    const int length = static_cast<int>(document.size());
    PG_RETURN_TEXT_P(PgCall([=] { return cstring_to_text_with_len(data, length); }));
}
