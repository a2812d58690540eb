// PrestaShop's customer CSV, in and out:
//   ID;Nazwa kontaktu;Imię;Nazwisko;Adres e-mail;Firma;Sprzedaż;Włączony;Newsletter;
//   Oferty partnerów;Rejestracja;Ostatnia wizyta;
// with ';' between fields, a ';' after the last one, "191,20 zł" and "01.11.2021 13:00".
// Sprzedaż is labelled with the currency of the customer's paid orders: "191,20 zł" for PLN,
// "178,00 EUR" for another, "0,00" without paid orders, "10,00 EUR + 20,00 CHF" for several.
//
// The export comes in two forms from one loop (ExportCustomerRecords): export_customers_csv()
// is one text, every record followed by CRLF, and so at most 1 GB (about 8 million customers)
// held whole in the backend; export_customers_csv_lines() returns the same records a row each,
// without the CRLF, through a tuplestore that spills to disk past work_mem.
//
// parse_customers_csv(data) only parses and validates, one output row per record (with the
// reason when the record is bad); import_customers_csv() in SQL decides what to insert or
// update, so every database rule (the e-mail domain, constraints) applies as usual.
// Dates are local times in the session's TimeZone, both ways, as the back office shows them.
// The C++ side works in UTF-8 (the header names, zł, the BOM): text comes in converted from the
// database's encoding and goes out converted back, so a LATIN2 database reads and writes the
// same file (a character its encoding lacks, such as €, fails the conversion with its name).
// The format holds the years 1 to 9999 only: a registration date outside them (infinity, BC)
// stops the export with the customer's ID, rather than write what the import cannot read; a
// last visit outside them (derived data, never imported) is written empty.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "funcapi.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "csv_reader.hpp"
#include "csv_writer.hpp"
#include "pg_boundary.hpp"
#include "polish_format.hpp"
#include "server_encoding.hpp"
#include "spi.hpp"

namespace cartwatch {
namespace {

enum Column {
    kId,
    kTitle,
    kFirstName,
    kLastName,
    kEmail,
    kCompany,
    kSales,
    kEnabled,
    kNewsletter,
    kPartnerOffers,
    kRegistered,
    kLastVisit,
    kColumnCount
};

// The Polish header (the export writes it) and PrestaShop's English one, both accepted.
struct ColumnNames {
    const char* polish;
    const char* english;
};
constexpr std::array<ColumnNames, kColumnCount> kColumnNames = {{
    {"ID", "ID"},
    {"Nazwa kontaktu", "Social title"},
    {"Imię", "First name"},
    {"Nazwisko", "Last name"},
    {"Adres e-mail", "Email"},
    {"Firma", "Company"},
    {"Sprzedaż", "Sales"},
    {"Włączony", "Enabled"},
    {"Newsletter", "Newsletter"},
    {"Oferty partnerów", "Partner offers"},
    {"Rejestracja", "Registration"},
    {"Ostatnia wizyta", "Last visit"},
}};

constexpr char kDelimiter = ';';

std::string AsciiLower(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return lower;
}

std::string ExpectedHeader() {
    std::string header;
    for (const ColumnNames& names : kColumnNames) {
        header += names.polish;
        header += kDelimiter;
    }
    return header;
}

// Where each column is in the file; throws when a column is missing, repeated or unknown.
struct Layout {
    std::array<size_t, kColumnCount> position{};
    size_t fields = 0; // fields a record needs: up to the last named column
};

Layout ReadHeader(const CsvRecord& header) {
    Layout layout;
    std::array<bool, kColumnCount> seen{};
    for (size_t at = 0; at < header.fields.size(); ++at) {
        const std::string name(TrimBlanks(header.fields[at].value_or("")));
        if (name.empty()) {
            continue; // the ';' after the last column
        }
        bool known = false;
        for (size_t column = 0; column < kColumnCount; ++column) {
            if (AsciiLower(name) == AsciiLower(kColumnNames[column].polish) ||
                AsciiLower(name) == AsciiLower(kColumnNames[column].english)) {
                if (seen[column]) {
                    throw UserError(ErrorKind::InvalidText,
                                    "customer CSV has the column \"" + name + "\" twice");
                }
                seen[column] = true;
                layout.position[column] = at;
                layout.fields = std::max(layout.fields, at + 1);
                known = true;
            }
        }
        if (!known) {
            throw UserError(
                ErrorKind::InvalidText, "customer CSV has an unknown column \"" + name + "\"",
                "The first line must name PrestaShop's customer columns: " + ExpectedHeader());
        }
    }
    for (size_t column = 0; column < kColumnCount; ++column) {
        if (!seen[column]) {
            throw UserError(ErrorKind::InvalidText,
                            std::string("customer CSV lacks the column \"") +
                                kColumnNames[column].polish + "\"",
                            "The first line must name PrestaShop's customer columns: " +
                                ExpectedHeader());
        }
    }
    return layout;
}

// One record, parsed; `error` set means the record is rejected and nothing else is valid.
// `warning` says which value of a column the import does not store (Sprzedaż, Ostatnia wizyta)
// was bad and left out: the record is still good.
struct CustomerLine {
    int64_t line = 0;
    std::optional<int64_t> customer_id;
    std::array<std::optional<std::string>, kColumnCount> text; // title, names, e-mail, company
    std::optional<int64_t> sales_hundredths;
    std::array<std::optional<bool>, kColumnCount> flags;
    std::optional<LocalDateTime> registered_at;
    std::optional<LocalDateTime> last_visit_at;
    std::string error;
    std::string warning;
};

// Any bigint: the identity is BY DEFAULT, so the export writes ids of 0 and below too.
std::optional<int64_t> ParseId(std::string_view text, std::string* error) {
    text = TrimBlanks(text);
    if (text.empty()) {
        return std::nullopt;
    }
    const std::string invalid = "invalid customer id \"" + std::string(text) + "\"";
    const bool negative = text.front() == '-';
    const std::string_view digits = negative ? text.substr(1) : text;
    // Accumulated as a magnitude, so that INT64_MIN, which has no positive twin, fits.
    const uint64_t limit = negative ? uint64_t{1} << 63 : uint64_t{INT64_MAX};
    uint64_t magnitude = 0;
    for (char c : digits) {
        if (c < '0' || c > '9' || magnitude > (limit - (c - '0')) / 10) {
            *error = invalid;
            return std::nullopt;
        }
        magnitude = magnitude * 10 + (c - '0');
    }
    if (digits.empty()) {
        *error = invalid;
        return std::nullopt;
    }
    return negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
}

template <typename T> std::optional<T> Take(Parsed<T> parsed, Column column, std::string* error) {
    if (!parsed.ok() && error->empty()) {
        *error = "column \"" + std::string(kColumnNames[column].polish) + "\": " + parsed.error;
    }
    return parsed.value;
}

// For a column that is checked but never stored: a bad value is left out with a warning, since
// rejecting the customer for it would lose the data that is stored.
void AddWarning(CustomerLine* customer, Column column, const std::string& problem) {
    if (!customer->warning.empty()) {
        customer->warning += "; ";
    }
    customer->warning +=
        "column \"" + std::string(kColumnNames[column].polish) + "\" ignored: " + problem;
}

template <typename T>
std::optional<T> TakeUnstored(Parsed<T> parsed, Column column, CustomerLine* customer) {
    if (!parsed.ok()) {
        AddWarning(customer, column, parsed.error);
    }
    return parsed.value;
}

CustomerLine ParseLine(const CsvRecord& record, const Layout& layout) {
    CustomerLine customer;
    customer.line = static_cast<int64_t>(record.line);
    if (record.fields.size() < layout.fields) {
        customer.error = "expected " + std::to_string(layout.fields) + " fields, found " +
                         std::to_string(record.fields.size());
        return customer;
    }
    for (size_t at = layout.fields; at < record.fields.size(); ++at) {
        if (record.fields[at].has_value()) {
            customer.error = "expected " + std::to_string(layout.fields) + " fields, found " +
                             std::to_string(record.fields.size());
            return customer;
        }
    }
    auto field = [&](Column column) -> const std::optional<std::string>& {
        return record.fields[layout.position[column]];
    };
    auto raw = [&](Column column) {
        return field(column) ? std::string_view(*field(column)) : std::string_view();
    };
    std::string* error = &customer.error;
    customer.customer_id = ParseId(raw(kId), error);
    for (Column column : {kTitle, kFirstName, kLastName, kCompany}) {
        customer.text[column] = field(column);
    }
    // A customer without an e-mail address exports with an empty one; its ID names it. A row
    // without an ID has nothing else to name or create its customer by.
    const std::string_view email = TrimBlanks(raw(kEmail));
    if (email.empty() && !customer.customer_id && error->empty()) {
        *error = "missing e-mail address: a row without an ID needs one";
    }
    if (!email.empty()) {
        customer.text[kEmail] = std::string(email);
    }
    customer.sales_hundredths = TakeUnstored(ParseMoney(raw(kSales)), kSales, &customer);
    for (Column column : {kEnabled, kNewsletter, kPartnerOffers}) {
        customer.flags[column] = Take(ParseFlag(raw(column)), column, error);
    }
    customer.registered_at = Take(ParseDateTime(raw(kRegistered)), kRegistered, error);
    customer.last_visit_at = TakeUnstored(ParseDateTime(raw(kLastVisit)), kLastVisit, &customer);
    return customer;
}

std::vector<CustomerLine> ParseCustomers(std::string_view data) {
    CsvReader reader(data, kDelimiter);
    CsvRecord record;
    std::string error;
    CsvReader::Status status = reader.Next(&record, &error);
    if (status == CsvReader::Status::End) {
        throw UserError(ErrorKind::InvalidText, "customer CSV is empty", "",
                        "The first line must name PrestaShop's customer columns: " +
                            ExpectedHeader());
    }
    if (status == CsvReader::Status::Error) {
        throw UserError(ErrorKind::InvalidText, "customer CSV header is not valid CSV: " + error);
    }
    const Layout layout = ReadHeader(record);
    std::vector<CustomerLine> customers;
    for (;;) {
        status = reader.Next(&record, &error);
        if (status == CsvReader::Status::End) {
            break;
        }
        if (status == CsvReader::Status::Error) {
            CustomerLine bad;
            bad.line = static_cast<int64_t>(record.line);
            bad.error = error;
            customers.push_back(std::move(bad));
            continue;
        }
        customers.push_back(ParseLine(record, layout));
    }
    return customers;
}

// Local time in the session's time zone -> timestamptz; nullopt when out of range.
std::optional<TimestampTz> ToTimestamp(const LocalDateTime& local) {
    return PgCall([&]() -> std::optional<TimestampTz> {
        struct pg_tm tm = {};
        tm.tm_year = local.year;
        tm.tm_mon = local.month;
        tm.tm_mday = local.day;
        tm.tm_hour = local.hour;
        tm.tm_min = local.minute;
        tm.tm_sec = local.second;
        int zone = DetermineTimeZoneOffset(&tm, session_timezone);
        TimestampTz result;
        if (tm2timestamp(&tm, local.microsecond, &zone, &result) != 0 ||
            !IS_VALID_TIMESTAMP(result)) {
            return std::nullopt;
        }
        return result;
    });
}

// timestamptz -> local time in the session's time zone; nullopt when the CSV cannot write it
// (infinite, or outside the years 1 to 9999, which the importer reads).
std::optional<LocalDateTime> ToLocal(TimestampTz value) {
    return PgCall([value]() -> std::optional<LocalDateTime> {
        struct pg_tm tm = {};
        fsec_t fraction = 0;
        int zone = 0;
        if (TIMESTAMP_NOT_FINITE(value) ||
            timestamp2tm(value, &zone, &tm, &fraction, nullptr, nullptr) != 0 || tm.tm_year < 1 ||
            tm.tm_year > 9999) {
            return std::nullopt;
        }
        LocalDateTime local;
        local.year = tm.tm_year;
        local.month = tm.tm_mon;
        local.day = tm.tm_mday;
        local.hour = tm.tm_hour;
        local.minute = tm.tm_min;
        local.second = tm.tm_sec;
        local.microsecond = static_cast<int>(fraction);
        return local;
    });
}

// Output columns of parse_customers_csv, in order.
enum OutputColumn {
    kOutLine,
    kOutCustomerId,
    kOutTitle,
    kOutFirstName,
    kOutLastName,
    kOutEmail,
    kOutCompany,
    kOutSales,
    kOutEnabled,
    kOutNewsletter,
    kOutPartnerOffers,
    kOutRegistered,
    kOutLastVisit,
    kOutError,
    kOutWarning,
    kOutCount
};

void PutRow(Tuplestorestate* store, TupleDesc descriptor, CustomerLine& customer) {
    std::array<Datum, kOutCount> values{};
    std::array<bool, kOutCount> nulls{};
    nulls.fill(true);
    values[kOutLine] = Int32GetDatum(static_cast<int32>(customer.line));
    nulls[kOutLine] = false;
    std::optional<TimestampTz> registered;
    std::optional<TimestampTz> last_visit;
    if (customer.error.empty() && customer.registered_at) {
        registered = ToTimestamp(*customer.registered_at);
        if (!registered) {
            customer.error = "column \"Rejestracja\": date out of range";
        }
    }
    if (customer.error.empty() && customer.last_visit_at) {
        last_visit = ToTimestamp(*customer.last_visit_at);
        if (!last_visit) {
            AddWarning(&customer, kLastVisit, "date out of range");
        }
    }
    std::string sales;
    if (customer.sales_hundredths) {
        const int64_t amount = *customer.sales_hundredths;
        const uint64_t magnitude = amount < 0 ? 0 - static_cast<uint64_t>(amount) : amount;
        sales = (amount < 0 ? "-" : "") + std::to_string(magnitude / 100) + "." +
                std::to_string(magnitude % 100 / 10) + std::to_string(magnitude % 10);
    }
    PgCall([&] {
        if (!customer.error.empty()) {
            values[kOutError] = ServerText(customer.error);
            nulls[kOutError] = false;
            tuplestore_putvalues(store, descriptor, values.data(), nulls.data());
            return;
        }
        if (customer.customer_id) {
            values[kOutCustomerId] = Int64GetDatum(*customer.customer_id);
            nulls[kOutCustomerId] = false;
        }
        const std::array<std::pair<OutputColumn, Column>, 5> texts = {{{kOutTitle, kTitle},
                                                                       {kOutFirstName, kFirstName},
                                                                       {kOutLastName, kLastName},
                                                                       {kOutEmail, kEmail},
                                                                       {kOutCompany, kCompany}}};
        for (const auto& [out, column] : texts) {
            if (customer.text[column]) {
                values[out] = ServerText(*customer.text[column]);
                nulls[out] = false;
            }
        }
        if (!sales.empty()) {
            values[kOutSales] =
                DirectFunctionCall3(numeric_in, CStringGetDatum(sales.c_str()),
                                    ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
            nulls[kOutSales] = false;
        }
        const std::array<std::pair<OutputColumn, Column>, 3> flags = {
            {{kOutEnabled, kEnabled},
             {kOutNewsletter, kNewsletter},
             {kOutPartnerOffers, kPartnerOffers}}};
        for (const auto& [out, column] : flags) {
            if (customer.flags[column]) {
                values[out] = BoolGetDatum(*customer.flags[column]);
                nulls[out] = false;
            }
        }
        if (registered) {
            values[kOutRegistered] = TimestampTzGetDatum(*registered);
            nulls[kOutRegistered] = false;
        }
        if (last_visit) {
            values[kOutLastVisit] = TimestampTzGetDatum(*last_visit);
            nulls[kOutLastVisit] = false;
        }
        if (!customer.warning.empty()) {
            values[kOutWarning] = ServerText(customer.warning);
            nulls[kOutWarning] = false;
        }
        tuplestore_putvalues(store, descriptor, values.data(), nulls.data());
    });
}

// Every customer in id order, read from one cursor a page at a time, so a million customers
// never sit in one SPI result.
//
// Sprzedaż is the summary's paid value labelled with the currency of the customer's paid
// orders. The summary adds totals as recorded, so for a customer whose paid orders are in more
// than one currency its sum means nothing: the amount of each currency is written instead
// ("10,00 EUR + 20,00 CHF"). Column 13 has them as "CHF:2000 EUR:1000" (hundredths), NULL
// without paid orders. They come from one grouped pass over the orders, merged with the
// customers by id. Asked customer by customer, they cost an index probe and a heap page per
// order: a full-size export (1,000,000 customers, 10,000,000 orders) took 66-77 s that way and
// takes 14-16 s with the pass (docs/BENCHMARKS.md).
constexpr long kExportPage = 10000;
constexpr const char* kExportSelect =
    "SELECT c.customer_id, c.title, c.first_name, c.last_name, c.email, c.company,"
    "       round(coalesce(t.paid_value, 0) * 100)::bigint, c.enabled, c.newsletter,"
    "       c.partner_offers, c.registered_at, t.last_visit_at,"
    "       CASE WHEN t.valid_orders > 0 THEN s.sales END"
    "  FROM cartwatch.customers AS c"
    "  LEFT JOIN cartwatch.customer_totals AS t ON t.customer_id = c.customer_id"
    "  LEFT JOIN (SELECT g.customer_id,"
    "                    string_agg(g.currency || ':' || g.hundredths, ' ' ORDER BY g.currency)"
    "                        AS sales"
    "               FROM (SELECT o.customer_id, o.currency::text AS currency,"
    "                            round(sum(o.total) * 100)::bigint AS hundredths"
    "                       FROM cartwatch.orders AS o"
    "                      WHERE cartwatch.order_is_valid(o.status) AND o.customer_id IS NOT NULL"
    "                      GROUP BY o.customer_id, o.currency) AS g"
    "              GROUP BY g.customer_id) AS s ON s.customer_id = c.customer_id"
    " ORDER BY c.customer_id";
constexpr int kExportSalesByCurrency = kColumnCount + 1;

std::optional<Datum> BinaryValue(uint64_t row, int column) {
    bool is_null = false;
    Datum value = PgCall([&] {
        return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, &is_null);
    });
    return is_null ? std::nullopt : std::optional<Datum>(value);
}

// Column `column` (1-based) of row `row` of the last SPI result as UTF-8 text.
std::optional<std::string> Utf8Value(uint64_t row, int column) {
    std::optional<std::string> value = spi::TextValue(row, column);
    return value ? std::optional<std::string>(Utf8FromServer(value->data(), value->size()))
                 : std::nullopt;
}

// The Sprzedaż cell: `paid` in the one currency of `by_currency` ("EUR:17800"), no label
// without one, each currency's own amount when there are several.
std::string SalesCell(int64_t paid, const std::optional<std::string>& by_currency) {
    if (!by_currency) {
        return FormatMoney(paid, "");
    }
    std::vector<std::pair<std::string, int64_t>> amounts;
    for (size_t start = 0; start < by_currency->size();) {
        const size_t end = std::min(by_currency->find(' ', start), by_currency->size());
        const std::string entry = by_currency->substr(start, end - start);
        const size_t colon = entry.find(':');
        amounts.emplace_back(entry.substr(0, colon), std::stoll(entry.substr(colon + 1)));
        start = end + 1;
    }
    if (amounts.size() == 1) {
        return FormatMoney(paid, amounts.front().first);
    }
    std::string cell;
    for (const auto& [currency, hundredths] : amounts) {
        cell += (cell.empty() ? "" : " + ") + FormatMoney(hundredths, currency);
    }
    return cell;
}

// Makes `context` current while alive. Restoring the outer one is a pointer assignment, so it is
// safe while an exception unwinds.
class CurrentMemory {
public:
    explicit CurrentMemory(MemoryContext context) : outer_(MemoryContextSwitchTo(context)) {}
    ~CurrentMemory() { MemoryContextSwitchTo(outer_); }
    CurrentMemory(const CurrentMemory&) = delete;
    CurrentMemory& operator=(const CurrentMemory&) = delete;

private:
    MemoryContext outer_;
};

// The export in file order, the header first, then every customer by id, one record at a time
// to `take`, without its line end (CsvWriter::kRecordEnd). Both SQL forms are this loop: the
// text form joins the records, the lines form returns them as rows.
void ExportCustomerRecords(const std::function<void(const std::string& record)>& take) {
    CsvWriter csv(kDelimiter);
    std::vector<CsvField> header;
    for (const ColumnNames& names : kColumnNames) {
        header.emplace_back(names.polish);
    }
    header.emplace_back(std::nullopt); // PrestaShop ends every line with ';'
    take(csv.Record(header));

    spi::Session session;
    spi::Cursor customers(kExportSelect);
    // A row's values (SPI's text copies, encoding conversions, what `take` makes of the record)
    // are freed before the next row: the SPI connection's own memory lasts until the export
    // ends, and the lines form's backend would grow with the shop as the text form's does
    // (119 instead of 27 MiB at 200,000 customers, docs/BENCHMARKS.md). A child of that memory,
    // so it goes with it, also after an error. Made current row by row, since every SPI fetch
    // returns to the connection's memory.
    MemoryContext row_memory = PgCall([] {
        return AllocSetContextCreate(CurrentMemoryContext, "cartwatch export row",
                                     ALLOCSET_DEFAULT_SIZES);
    });
    for (;;) {
        const uint64_t count = customers.Fetch(kExportPage);
        for (uint64_t row = 0; row < count; ++row) {
            PgCall([row_memory] { MemoryContextReset(row_memory); });
            CurrentMemory in_row(row_memory);
            std::array<std::optional<std::string>, kColumnCount> cells;
            for (Column column : {kId, kTitle, kFirstName, kLastName, kEmail, kCompany}) {
                cells[column] = Utf8Value(row, column + 1);
            }
            cells[kSales] = SalesCell(DatumGetInt64(*BinaryValue(row, kSales + 1)),
                                      spi::TextValue(row, kExportSalesByCurrency));
            for (Column column : {kEnabled, kNewsletter, kPartnerOffers}) {
                cells[column] = DatumGetBool(*BinaryValue(row, column + 1)) ? "1" : "0";
            }
            for (Column column : {kRegistered, kLastVisit}) {
                const std::optional<Datum> when = BinaryValue(row, column + 1);
                if (!when) {
                    continue;
                }
                if (std::optional<LocalDateTime> local = ToLocal(DatumGetTimestampTz(*when))) {
                    cells[column] = FormatDateTime(*local);
                } else if (column == kRegistered) {
                    // Written empty it would read back as a guest account: refuse instead.
                    const std::string id = cells[kId].value_or("");
                    throw UserError(
                        ErrorKind::OutOfRange,
                        "customer " + id + " has a registration date the customer CSV cannot hold",
                        "The CSV writes dates from 01.01.0001 to 31.12.9999; registered_at is " +
                            Utf8Value(row, column + 1).value_or("") + ".",
                        "Correct registered_at of customer " + id + ", then export again.");
                }
            }
            std::vector<CsvField> fields(cells.begin(), cells.end());
            fields.emplace_back(std::nullopt);
            take(csv.Record(fields));
        }
        if (count < static_cast<uint64_t>(kExportPage)) {
            break;
        }
    }
    customers.Close();
    session.Finish();
}

// The whole CSV in one string: every record followed by its line end. A text value holds at
// most 1 GB (MaxAllocSize), about 8 million customers; past that the error says so and names
// the lines form, rather than fail later in palloc with "invalid memory alloc request size".
std::string ExportCustomersText() {
    constexpr size_t kTextLimit = MaxAllocSize - VARHDRSZ;
    std::string document;
    ExportCustomerRecords([&document](const std::string& record) {
        if (document.size() + record.size() + CsvWriter::kRecordEnd.size() > kTextLimit) {
            throw UserError(ErrorKind::ProgramLimit,
                            "the customer CSV is too large for one text value",
                            "A text value holds at most 1 GB, and the customers before this one "
                            "already take " +
                                std::to_string(document.size()) + " bytes.",
                            "Export it with cartwatch.export_customers_csv_lines(), which "
                            "returns the file a line at a time.");
        }
        document += record;
        document += CsvWriter::kRecordEnd;
    });
    return document;
}

} // namespace
} // namespace cartwatch

// parse_customers_csv(data text) RETURNS TABLE (...): one row per record, `error` when bad.
CW_FUNCTION(cartwatch_parse_customers_csv) {
    using namespace cartwatch;
    if (PG_ARGISNULL(0)) {
        throw UserError(ErrorKind::InvalidParameter, "customer CSV must not be NULL");
    }
    text* data_arg = PG_GETARG_TEXT_PP(0);
    // A UTF-8 byte order mark read as raw bytes into another encoding (LATIN2's "ď»ż") is still
    // one: converted, it would be three letters before "ID".
    const std::string_view raw =
        WithoutByteOrderMark(std::string_view(VARDATA_ANY(data_arg), VARSIZE_ANY_EXHDR(data_arg)));
    const std::string data = Utf8FromServer(raw.data(), raw.size());
    std::vector<CustomerLine> customers = ParseCustomers(data);

    auto* result_info = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    PgCall([fcinfo] { InitMaterializedSRF(fcinfo, 0); });
    for (CustomerLine& customer : customers) {
        PutRow(result_info->setResult, result_info->setDesc, customer);
    }
    return PointerGetDatum(nullptr);
}

// export_customers_csv() RETURNS text
CW_FUNCTION(cartwatch_export_customers_csv) {
    using namespace cartwatch;
    const std::string document = ExportCustomersText();
    PG_RETURN_DATUM(PgCall([&] { return ServerText(document); }));
}

// export_customers_csv_lines() RETURNS TABLE (line text): the same records, a row each.
//
// Materialized into the executor's tuplestore rather than returned value by value: the
// tuplestore keeps work_mem in memory and writes the rest to a temporary file, so the backend's
// memory does not grow with the shop, and the rows leave as the client fetches them.
// A function in FROM is materialized by the executor anyway. Value by value would keep the SPI
// cursor and this C++ state across calls, in memory whose destructors never run when the caller
// stops early (a LIMIT, a cancel), and connect to SPI again for every row.
CW_FUNCTION(cartwatch_export_customers_csv_lines) {
    using namespace cartwatch;
    auto* result_info = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    // The expected descriptor: a single-column RETURNS TABLE is a scalar result, not a row type.
    PgCall([fcinfo] { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
    Tuplestorestate* store = result_info->setResult;
    TupleDesc descriptor = result_info->setDesc;
    ExportCustomerRecords([store, descriptor](const std::string& record) {
        PgCall([&] {
            Datum line = ServerText(record);
            bool is_null = false;
            tuplestore_putvalues(store, descriptor, &line, &is_null);
        });
    });
    return PointerGetDatum(nullptr);
}
