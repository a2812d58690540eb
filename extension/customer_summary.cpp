// The statement triggers that keep cartwatch.customer_totals (the customer summary) current.
//
// Design: one statement-level AFTER trigger per table and event, with transition tables, so a
// statement that touches 10,000 orders costs a handful of queries, not 10,000 upserts. The
// trigger argument names the source table: customers, orders, carts, visits or reminders.
//
// The general path, a recount:
//  1. Collect the customer ids the statement touched, from the old and the new rows (an order
//     moved to another customer changes both). An UPDATE only counts the rows in which a column
//     the figures read changed: a reminder being claimed, an order getting its paid_at, a
//     customer's e-mail or name edited or a cart its IP changes no figure and costs no query.
//     Reminders count for the customer they name (customer_reminder_figures), not through their
//     cart, so a cart deleted or moved to another customer leaves reminders_sent alone.
//  2. Make sure each customer has a summary row, then lock those rows in customer_id order,
//     so that two statements touching the same customers queue instead of deadlocking (one
//     customer: lock the row, and create it only when there was none to lock). The customers'
//     own figures (account state, loyalty points, consents) skip this step: what they read is
//     the customers' rows, which the statement holds locked.
//  3. Recompute the source's figures for those customers from the customer_*_figures views and
//     upsert them, leaving rows that are already right untouched. The recount is absolute, not
//     a delta: it needs no reasoning about UPDATEs that change status, amount and customer at
//     once. Step 2's lock makes the recount see every change a concurrent transaction committed
//     for these customers, since under READ COMMITTED each SPI query takes a fresh snapshot; a
//     transaction that commits later recounts after us.
// TRUNCATE recomputes the whole summary (cartwatch.rebuild_customer_summary()), except for
// reminders: only reminders_sent reads them, so only the customers whose reminders_sent is not 0
// are recounted.
//
// Three exceptions add differences instead of recounting, where the difference is exact:
//
// 1. For the checkout's hot path: an INSERT into orders adds the new orders'
// figures to the customers' rows instead of recounting them (counts and values added, first
// and last order by least/greatest). A one-order statement (a checkout) updates one row found
// by primary key, in place without SPI (customer_totals_row.cpp), or else with one UPDATE with
// the order's own values as parameters: no transition-table scan, no aggregate, no speculative
// insertion. Adding is exact because the row already holds the
// customer's other orders: the customers' trigger creates it with zeros before any order can
// name the customer (a restore replays customers first), and a customer without a row (history
// loaded with triggers off) is recounted instead. The UPDATE locks the row, so a concurrent
// recount (which locks first and reads after) either sees the committed order or runs before
// the addition is applied.
// 2. An UPDATE of orders that keeps every changed order with its customer and its placed_at (an
// order paid, shipped, returned; a corrected total) moves only counts and values, which are
// sums: each customer's row gets sum(new rows) - sum(old rows), one UPDATE for the statement,
// whatever the customer's history (a recount of a customer with 100,000 orders reads them all);
// a one-order change goes in place like a checkout's insert.
// first_order_at and last_order_at are a minimum and a maximum, which a difference cannot
// follow: an order that moves to another customer or in time is recounted. The locking is the
// insert's: rows locked in customer_id order, then updated.
// 3. Cart activity, the other checkout hot path (every item added, removed or changed moves the
// cart's last activity): a one-cart UPDATE that keeps an open cart open, with its customer,
// and moves its activity forward, updates its customer's row by primary key with greatest()
// for the newest and last activity. The oldest open cart's activity is a minimum: it stays
// when another open cart holds it (this cart's old activity was later), and is this cart's new
// activity when it is the customer's one open cart; otherwise the customer is recounted.
// 4. A cart becoming an order (the cart link sets its order_id at checkout), its activity
// unchanged: one open cart fewer. The oldest and newest open activity stay when this cart
// held neither (its activity strictly between them), and are empty when it was the customer's
// one open cart; otherwise the customer is recounted.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "customer_totals_row.hpp"
#include "pg_boundary.hpp"
#include "spi.hpp"

namespace cartwatch {
namespace {

enum class Source { Customers, Orders, Carts, Visits, Reminders };

// What the figures read from a source table's rows.
struct SourceColumns {
    Source source;
    const char* name;                   // the trigger argument
    const char* key;                    // whose figures: customer_id
    const char* primary_key;            // pairs an UPDATE's old and new rows
    std::array<const char*, 7> figures; // the other columns the figures depend on
    // The column whose minimum and maximum the figures keep, for an UPDATE applied as a
    // difference (orders only): a changed value there needs a recount.
    const char* extreme;
};

constexpr std::array<SourceColumns, 5> kSources = {{
    {Source::Customers,
     "customers",
     "customer_id",
     "customer_id",
     {"registered_at", "activated", "enabled", "loyalty_points", "newsletter", "partner_offers",
      "reminder_consent"},
     nullptr},
    {Source::Orders,
     "orders",
     "customer_id",
     "order_id",
     {"status", "total", "placed_at"},
     "placed_at"},
    {Source::Carts,
     "carts",
     "customer_id",
     "cart_id",
     {"order_id", "item_quantity", "last_activity_at"},
     nullptr},
    {Source::Visits, "visits", "customer_id", "visit_id", {"started_at"}, nullptr},
    {Source::Reminders, "reminders", "customer_id", "reminder_id", {"sent_at"}, nullptr},
}};

const SourceColumns& ParseSource(const char* name) {
    for (const SourceColumns& source : kSources) {
        if (std::strcmp(source.name, name) == 0) {
            return source;
        }
    }
    throw UserError(ErrorKind::InvalidParameter,
                    std::string("unknown customer summary source \"") + name + "\"", "",
                    "The trigger argument is one of customers, orders, carts, visits, reminders.");
}

// The trigger runs as the extension's owner (SECURITY DEFINER), so that the shop's roles need
// rights only on the tables they write: it must fire on the table its argument names and no
// other, or a trigger on a table of someone else's making could feed it rows. PostgreSQL calls
// only (runs in PgCall).
bool FiresOnItsTable(Relation relation, const SourceColumns& source) {
    const char* schema = get_namespace_name(RelationGetNamespace(relation));
    return schema != nullptr && std::strcmp(schema, "cartwatch") == 0 &&
           std::strcmp(RelationGetRelationName(relation), source.name) == 0;
}

// The attribute number of a column the summary reads. PostgreSQL calls only (runs in PgCall).
int Attribute(TupleDesc descriptor, const char* column) {
    const int attribute = SPI_fnumber(descriptor, column);
    if (attribute <= 0) {
        elog(ERROR, "transition table has no %s column", column);
    }
    return attribute;
}

// Reads one bigint column of every row of a transition table. PostgreSQL calls and POD locals
// only, since it runs inside PgCall.
void CollectKeys(Tuplestorestate* rows, TupleDesc descriptor, const char* column,
                 std::vector<int64_t>* keys) {
    const int attribute = Attribute(descriptor, column);
    TupleTableSlot* slot = MakeSingleTupleTableSlot(descriptor, &TTSOpsMinimalTuple);
    tuplestore_rescan(rows);
    while (tuplestore_gettupleslot(rows, true, false, slot)) {
        bool is_null = false;
        Datum value = slot_getattr(slot, attribute, &is_null);
        if (!is_null) {
            keys->push_back(DatumGetInt64(value)); // bad_alloc is parked by PgCall
        }
    }
    ExecDropSingleTupleTableSlot(slot);
}

// True when column `attribute` holds the same value in both slots. Binary equality: a value
// written differently but equal (1.0 and 1.00) counts as changed, which only costs a recount.
bool SameValue(TupleTableSlot* old_slot, TupleTableSlot* new_slot, int attribute) {
    bool old_null = false;
    bool new_null = false;
    const Datum old_value = slot_getattr(old_slot, attribute, &old_null);
    const Datum new_value = slot_getattr(new_slot, attribute, &new_null);
    if (old_null || new_null) {
        return old_null == new_null;
    }
    const Form_pg_attribute form = TupleDescAttr(old_slot->tts_tupleDescriptor, attribute - 1);
    return datum_image_eq(old_value, new_value, form->attbyval, form->attlen);
}

// For an UPDATE: the old and new keys of the rows in which a column the figures read changed.
// PostgreSQL fills the old and new transition tables pairwise, row by row; each pair is
// checked by primary key all the same, and a table that does not pair up counts as changed.
// *in_place ends false when a changed row got another key, or (for a source with an extreme
// column) another value there, or when the tables do not pair up: then only a recount is
// right.
void CollectChangedKeys(Tuplestorestate* old_rows, Tuplestorestate* new_rows, TupleDesc descriptor,
                        const SourceColumns* columns, std::vector<int64_t>* keys, bool* in_place) {
    int compared[2 + std::tuple_size_v<decltype(SourceColumns::figures)>] = {
        Attribute(descriptor, columns->key), Attribute(descriptor, columns->primary_key)};
    int compared_count = 2;
    for (const char* figure : columns->figures) {
        if (figure != nullptr) {
            compared[compared_count++] = Attribute(descriptor, figure);
        }
    }
    const int extreme = columns->extreme != nullptr ? Attribute(descriptor, columns->extreme) : 0;
    *in_place = true;
    if (tuplestore_tuple_count(old_rows) != tuplestore_tuple_count(new_rows)) {
        *in_place = false;
        CollectKeys(old_rows, descriptor, columns->key, keys);
        CollectKeys(new_rows, descriptor, columns->key, keys);
        return;
    }
    TupleTableSlot* old_slot = MakeSingleTupleTableSlot(descriptor, &TTSOpsMinimalTuple);
    TupleTableSlot* new_slot = MakeSingleTupleTableSlot(descriptor, &TTSOpsMinimalTuple);
    tuplestore_rescan(old_rows);
    tuplestore_rescan(new_rows);
    while (tuplestore_gettupleslot(old_rows, true, false, old_slot) &&
           tuplestore_gettupleslot(new_rows, true, false, new_slot)) {
        bool unchanged = true;
        for (int at = 0; at < compared_count && unchanged; ++at) {
            unchanged = SameValue(old_slot, new_slot, compared[at]);
        }
        if (unchanged) {
            continue;
        }
        // compared[0] and [1] are the key and the primary key.
        if (!SameValue(old_slot, new_slot, compared[0]) ||
            !SameValue(old_slot, new_slot, compared[1]) ||
            (extreme != 0 && !SameValue(old_slot, new_slot, extreme))) {
            *in_place = false;
        }
        for (TupleTableSlot* slot : {old_slot, new_slot}) {
            bool is_null = false;
            const Datum key = slot_getattr(slot, compared[0], &is_null);
            if (!is_null) {
                keys->push_back(DatumGetInt64(key)); // bad_alloc is parked by PgCall
            }
        }
    }
    ExecDropSingleTupleTableSlot(old_slot);
    ExecDropSingleTupleTableSlot(new_slot);
}

// "INSERT ... SELECT the figures ... ON CONFLICT DO UPDATE" for one group of summary columns;
// `from` names the figures views with the customers' view aliased f, filtered by $1. Rows are
// written in customer_id order, the order every writer of several summary rows locks them in.
std::string RecountSql(const char* from, const std::vector<const char*>& columns) {
    std::string list;
    std::string excluded;
    std::string current;
    for (const char* column : columns) {
        const char* separator = list.empty() ? "" : ", ";
        list += separator + std::string(column);
        excluded += separator + std::string("EXCLUDED.") + column;
        current += separator + std::string("t.") + column;
    }
    return "INSERT INTO cartwatch.customer_totals AS t (customer_id, " + list + ")" +
           " SELECT f.customer_id, " + list + " FROM " + from + " WHERE f.customer_id = ANY ($1)" +
           " ORDER BY f.customer_id" + " ON CONFLICT (customer_id) DO UPDATE SET (" + list +
           ") = ROW(" + excluded + ")" + " WHERE (" + current + ") IS DISTINCT FROM (" + excluded +
           ")";
}

const std::string kOrdersRecount =
    RecountSql("cartwatch.customer_order_figures AS f",
               {"orders_count", "valid_orders", "invalid_orders", "orders_value", "paid_value",
                "cancelled_value", "first_order_at", "last_order_at"});
const std::string kVisitsRecount = RecountSql("cartwatch.customer_visit_figures AS f",
                                              {"visits_count", "first_visit_at", "last_visit_at"});
const std::string kCartsRecount =
    RecountSql("cartwatch.customer_cart_figures AS f",
               {"carts_count", "open_carts", "open_carts_oldest_activity",
                "open_carts_newest_activity", "last_cart_activity_at"});
const std::string kRemindersRecount =
    RecountSql("cartwatch.customer_reminder_figures AS f", {"reminders_sent"});
const std::string kAccountRecount =
    RecountSql("cartwatch.customer_account_figures AS f",
               {"registered", "activated", "enabled", "loyalty_points", "newsletter",
                "partner_offers", "reminder_consent"});

spi::KeptPlan recount_orders(kOrdersRecount.c_str(), {INT8ARRAYOID});
spi::KeptPlan recount_visits(kVisitsRecount.c_str(), {INT8ARRAYOID});
spi::KeptPlan recount_carts(kCartsRecount.c_str(), {INT8ARRAYOID});
spi::KeptPlan recount_reminders(kRemindersRecount.c_str(), {INT8ARRAYOID});
spi::KeptPlan recount_account(kAccountRecount.c_str(), {INT8ARRAYOID});

// Customers only: a deleted customer's row went with it (ON DELETE CASCADE) and must not return.
spi::KeptPlan
    ensure_rows("INSERT INTO cartwatch.customer_totals (customer_id)"
                " SELECT c.customer_id FROM cartwatch.customers AS c WHERE c.customer_id = ANY ($1)"
                " ORDER BY c.customer_id ON CONFLICT (customer_id) DO NOTHING",
                {INT8ARRAYOID});

spi::KeptPlan lock_rows("SELECT 1 FROM cartwatch.customer_totals WHERE customer_id = ANY ($1)"
                        " ORDER BY customer_id FOR NO KEY UPDATE",
                        {INT8ARRAYOID});

spi::KeptPlan rebuild_all("SELECT cartwatch.rebuild_customer_summary()", {});

// After a TRUNCATE of reminders: the customers whose reminders_sent may have to drop to 0.
spi::KeptPlan customers_with_reminders(
    "SELECT t.customer_id FROM cartwatch.customer_totals AS t WHERE t.reminders_sent <> 0", {});

// One new order ($1 customer, $2 status, $3 total, $4 placed_at) added to its customer's row.
// A figure the order does not move keeps its very datum, so that an order that changes no
// indexed figure (a pending one: paid_value stays) leaves the update HOT.
spi::KeptPlan add_one_order(
    "UPDATE cartwatch.customer_totals AS t"
    "   SET orders_count = t.orders_count + 1,"
    "       valid_orders = t.valid_orders"
    "                      + CASE WHEN cartwatch.order_is_valid($2) THEN 1 ELSE 0 END,"
    "       invalid_orders = t.invalid_orders"
    "                        + CASE WHEN cartwatch.order_is_valid($2) THEN 0 ELSE 1 END,"
    "       orders_value = t.orders_value + $3,"
    "       paid_value = CASE WHEN cartwatch.order_is_valid($2) THEN t.paid_value + $3"
    "                         ELSE t.paid_value END,"
    "       cancelled_value = CASE WHEN cartwatch.order_is_cancelled($2)"
    "                              THEN t.cancelled_value + $3 ELSE t.cancelled_value END,"
    "       first_order_at = least(t.first_order_at, $4),"
    "       last_order_at = greatest(t.last_order_at, $4)"
    " WHERE t.customer_id = $1",
    {INT8OID, TEXTOID, NUMERICOID, TIMESTAMPTZOID});

// A statement's new orders (the transition table registered as new_rows) added to their
// customers' rows, which the caller has locked in order; returns the customers it updated.
spi::KeptPlan add_inserted_orders(
    "UPDATE cartwatch.customer_totals AS t"
    "   SET orders_count = t.orders_count + n.orders_count,"
    "       valid_orders = t.valid_orders + n.valid_orders,"
    "       invalid_orders = t.invalid_orders + n.orders_count - n.valid_orders,"
    "       orders_value = t.orders_value + n.orders_value,"
    "       paid_value = t.paid_value + n.paid_value,"
    "       cancelled_value = t.cancelled_value + n.cancelled_value,"
    "       first_order_at = least(t.first_order_at, n.first_order_at),"
    "       last_order_at = greatest(t.last_order_at, n.last_order_at)"
    "  FROM (SELECT o.customer_id, count(*) AS orders_count,"
    "               count(*) FILTER (WHERE cartwatch.order_is_valid(o.status)) AS valid_orders,"
    "               sum(o.total) AS orders_value,"
    "               coalesce(sum(o.total) FILTER (WHERE cartwatch.order_is_valid(o.status)), 0)"
    "                   AS paid_value,"
    "               coalesce(sum(o.total) FILTER (WHERE cartwatch.order_is_cancelled(o.status)),"
    "                        0) AS cancelled_value,"
    "               min(o.placed_at) AS first_order_at, max(o.placed_at) AS last_order_at"
    "          FROM new_rows AS o WHERE o.customer_id IS NOT NULL"
    "         GROUP BY o.customer_id) AS n"
    " WHERE t.customer_id = n.customer_id"
    " RETURNING t.customer_id",
    {});

// The difference an UPDATE's orders (transition tables old_rows and new_rows) make to the counts
// and values of customers $1, whose rows the caller has locked in order (or who are one);
// returns the customers it updated. Orders of other customers in the statement changed no
// figure, and unchanged orders of these customers add zero.
spi::KeptPlan add_order_changes(
    "UPDATE cartwatch.customer_totals AS t"
    "   SET valid_orders = t.valid_orders + d.valid_orders,"
    "       invalid_orders = t.invalid_orders - d.valid_orders,"
    "       orders_value = t.orders_value + d.orders_value,"
    "       paid_value = t.paid_value + d.paid_value,"
    "       cancelled_value = t.cancelled_value + d.cancelled_value"
    "  FROM (SELECT o.customer_id,"
    "               sum(CASE WHEN cartwatch.order_is_valid(o.status) THEN o.sign ELSE 0 END)"
    "                   AS valid_orders,"
    "               sum(o.sign * o.total) AS orders_value,"
    "               coalesce(sum(o.sign * o.total)"
    "                        FILTER (WHERE cartwatch.order_is_valid(o.status)), 0) AS paid_value,"
    "               coalesce(sum(o.sign * o.total)"
    "                        FILTER (WHERE cartwatch.order_is_cancelled(o.status)), 0)"
    "                   AS cancelled_value"
    "          FROM (SELECT n.customer_id, n.status, n.total, 1 AS sign FROM new_rows AS n"
    "                UNION ALL"
    "                SELECT p.customer_id, p.status, p.total, -1 FROM old_rows AS p) AS o"
    "         WHERE o.customer_id = ANY ($1)"
    "         GROUP BY o.customer_id) AS d"
    " WHERE t.customer_id = d.customer_id"
    " RETURNING t.customer_id",
    {INT8ARRAYOID});

// One order's change in place ($1 customer; $2, $3 the old status and total; $4, $5 the new
// ones) applied to its customer's row; returns the customer when the row exists.
spi::KeptPlan change_one_order(
    "UPDATE cartwatch.customer_totals AS t"
    "   SET valid_orders = t.valid_orders + d.valid_orders,"
    "       invalid_orders = t.invalid_orders - d.valid_orders,"
    "       orders_value = t.orders_value + $5 - $3,"
    "       paid_value = t.paid_value + d.paid_value,"
    "       cancelled_value = t.cancelled_value + d.cancelled_value"
    "  FROM (SELECT CASE WHEN cartwatch.order_is_valid($4) THEN 1 ELSE 0 END"
    "               - CASE WHEN cartwatch.order_is_valid($2) THEN 1 ELSE 0 END AS valid_orders,"
    "               CASE WHEN cartwatch.order_is_valid($4) THEN $5 ELSE 0 END"
    "               - CASE WHEN cartwatch.order_is_valid($2) THEN $3 ELSE 0 END AS paid_value,"
    "               CASE WHEN cartwatch.order_is_cancelled($4) THEN $5 ELSE 0 END"
    "               - CASE WHEN cartwatch.order_is_cancelled($2) THEN $3 ELSE 0 END"
    "                   AS cancelled_value) AS d"
    " WHERE t.customer_id = $1"
    " RETURNING t.customer_id",
    {INT8OID, TEXTOID, NUMERICOID, TEXTOID, NUMERICOID});

// One open cart's activity moved forward ($1 customer, $2 the cart's old activity, $3 its new
// one) on a customer whose other open carts, if any, hold the oldest activity; no row is
// updated otherwise, and the caller recounts.
spi::KeptPlan move_cart_activity(
    "UPDATE cartwatch.customer_totals AS t"
    "   SET open_carts_newest_activity = greatest(t.open_carts_newest_activity, $3),"
    "       last_cart_activity_at = greatest(t.last_cart_activity_at, $3),"
    "       open_carts_oldest_activity = CASE WHEN t.open_carts = 1 THEN $3"
    "                                         ELSE t.open_carts_oldest_activity END"
    " WHERE t.customer_id = $1"
    "   AND (t.open_carts = 1 OR t.open_carts_oldest_activity < $2)",
    {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID});

// One open cart of a customer became an order ($1 customer, $2 the cart's activity, which did
// not move) while it held neither the oldest nor the newest open activity, or was the
// customer's one open cart; no row is updated otherwise, and the caller recounts.
spi::KeptPlan
    close_cart("UPDATE cartwatch.customer_totals AS t"
               "   SET open_carts = t.open_carts - 1,"
               "       open_carts_oldest_activity = CASE WHEN t.open_carts = 1 THEN NULL"
               "                                         ELSE t.open_carts_oldest_activity END,"
               "       open_carts_newest_activity = CASE WHEN t.open_carts = 1 THEN NULL"
               "                                         ELSE t.open_carts_newest_activity END"
               " WHERE t.customer_id = $1"
               "   AND (t.open_carts = 1"
               "        OR (t.open_carts > 1 AND t.open_carts_oldest_activity < $2"
               "            AND $2 < t.open_carts_newest_activity))",
               {INT8OID, TIMESTAMPTZOID});

spi::KeptPlan& RecountPlan(Source source) {
    switch (source) {
    case Source::Orders:
        return recount_orders;
    case Source::Carts:
        return recount_carts;
    case Source::Visits:
        return recount_visits;
    case Source::Customers:
        return recount_account;
    case Source::Reminders:
        break;
    }
    return recount_reminders;
}

std::vector<int64_t> SortedUnique(std::vector<int64_t> keys) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

spi::Param KeyArray(const std::vector<int64_t>& sorted_keys) {
    std::vector<Datum> datums;
    datums.reserve(sorted_keys.size());
    for (int64_t key : sorted_keys) {
        datums.push_back(Int64GetDatum(key));
    }
    return {INT8ARRAYOID, spi::MakeArray(datums, INT8OID), false};
}

// Reads the first column (bigint) of every row of the last SPI result.
std::vector<int64_t> ResultKeys(uint64_t count) {
    std::vector<int64_t> keys;
    keys.reserve(count);
    for (uint64_t row = 0; row < count; ++row) {
        bool is_null = false;
        Datum value = PgCall([&] {
            return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &is_null);
        });
        if (!is_null) {
            keys.push_back(DatumGetInt64(value));
        }
    }
    return keys;
}

// Which of `sorted_keys` are not among the customers the last query returned (`count` rows):
// those without a summary row yet (history loaded with the triggers off), to be recounted.
std::vector<int64_t> NotUpdated(const std::vector<int64_t>& sorted_keys, uint64_t count) {
    const std::vector<int64_t> updated = SortedUnique(ResultKeys(count));
    std::vector<int64_t> missing;
    std::set_difference(sorted_keys.begin(), sorted_keys.end(), updated.begin(), updated.end(),
                        std::back_inserter(missing));
    return missing;
}

// Steps 2 and 3 of the recount, for `keys` (customer ids), in an open SPI session.
void Recount(Source source, std::vector<int64_t> keys) {
    if (keys.empty()) {
        return;
    }
    keys = SortedUnique(std::move(keys));
    const std::vector<spi::Param> customers = {KeyArray(keys)};
    // The rows are locked before the recount reads: a transaction writing the same customer's
    // figures commits first, and the recount's snapshot, taken after the lock, sees its rows.
    // Several customers' rows are created and locked in key order, so that two statements
    // recounting overlapping customers queue on the first row they share instead of
    // deadlocking. One customer's row (an add-to-cart, a visit) is only created when locking
    // it found none. The account figures need neither: they read the customers' own rows, which
    // the statement that fired holds locked until it commits, and their upsert creates a new
    // customer's summary row, in key order.
    if (source != Source::Customers &&
        (keys.size() > 1 || lock_rows.Execute(customers, false, SPI_OK_SELECT) == 0)) {
        ensure_rows.Execute(customers, false, SPI_OK_INSERT);
        lock_rows.Execute(customers, false, SPI_OK_SELECT);
    }
    RecountPlan(source).Execute(customers, false, SPI_OK_INSERT);
}

// The one row of a one-row transition table, `N` of its columns copied out.
template <std::size_t N> struct SingleRow {
    bool single = false; // false: the statement wrote several rows (or none)
    std::array<Datum, N> values{};
    std::array<bool, N> nulls{};
};

// PostgreSQL calls and POD locals only (runs in PgCall).
template <std::size_t N>
SingleRow<N> ReadSingleRow(Tuplestorestate* rows, TupleDesc descriptor,
                           const std::array<const char*, N>& columns) {
    SingleRow<N> row;
    if (tuplestore_tuple_count(rows) != 1) {
        return row;
    }
    TupleTableSlot* slot = MakeSingleTupleTableSlot(descriptor, &TTSOpsMinimalTuple);
    tuplestore_rescan(rows);
    if (tuplestore_gettupleslot(rows, true, false, slot)) {
        row.single = true;
        for (std::size_t at = 0; at < N; ++at) {
            const int attribute = Attribute(descriptor, columns[at]);
            bool is_null = false;
            const Datum value = slot_getattr(slot, attribute, &is_null);
            row.nulls[at] = is_null;
            if (!is_null) {
                const Form_pg_attribute form = TupleDescAttr(descriptor, attribute - 1);
                row.values[at] = datumCopy(value, form->attbyval, form->attlen);
            }
        }
    }
    ExecDropSingleTupleTableSlot(slot);
    return row;
}

// The order of a one-order INSERT or UPDATE, copied out of a transition table: customer_id
// (NULL for a guest order), status, total, placed_at (the last three NOT NULL).
using SingleOrder = SingleRow<4>;

SingleOrder ReadSingleOrder(Tuplestorestate* rows, TupleDesc descriptor) {
    return ReadSingleRow<4>(rows, descriptor, {"customer_id", "status", "total", "placed_at"});
}

// Steps 3 and 4 of the UPDATE exceptions for carts, for a one-cart UPDATE that keeps the cart
// with its customer. Its customer's row takes the difference (one UPDATE by primary key) when
// the figures allow it without reading the other carts:
// - an open cart that stays open and moves its last activity forward, as every add-to-cart
//   does: the newest activity and the last activity are maxima that only grew, and the oldest
//   open cart's activity stays put unless this cart held it, which is known only when it is
//   the customer's one open cart;
// - an open cart that becomes an order with its activity unchanged, as at every checkout.
// Returns false when a recount is needed instead.
bool ApplyCartChange(TriggerData* trigger_data) {
    TupleDesc descriptor = RelationGetDescr(trigger_data->tg_relation);
    Tuplestorestate* old_rows = trigger_data->tg_oldtable;
    Tuplestorestate* new_rows = trigger_data->tg_newtable;
    constexpr std::array<const char*, 5> kColumns = {"customer_id", "cart_id", "order_id",
                                                     "item_quantity", "last_activity_at"};
    const SingleRow<5> before =
        PgCall([=] { return ReadSingleRow<5>(old_rows, descriptor, kColumns); });
    if (!before.single) {
        return false;
    }
    const SingleRow<5> after =
        PgCall([=] { return ReadSingleRow<5>(new_rows, descriptor, kColumns); });
    const auto open = [](const SingleRow<5>& row) {
        return !row.nulls[0] && row.nulls[2] && !row.nulls[3] && DatumGetInt64(row.values[3]) > 0 &&
               !row.nulls[4];
    };
    if (!after.single || !open(before) || after.nulls[0] || after.nulls[4] ||
        DatumGetInt64(before.values[0]) != DatumGetInt64(after.values[0]) ||
        DatumGetInt64(before.values[1]) != DatumGetInt64(after.values[1])) {
        return false;
    }
    const TimestampTz old_activity = DatumGetTimestampTz(before.values[4]);
    const TimestampTz new_activity = DatumGetTimestampTz(after.values[4]);
    if (!open(after)) {
        if (after.nulls[2] || new_activity != old_activity) {
            return false; // emptied, or ordered with a new activity: recounted
        }
        spi::Session session(spi::Lookup::kCatalogOnly);
        const uint64_t updated = close_cart.Execute(
            {{INT8OID, after.values[0], false}, {TIMESTAMPTZOID, after.values[4], false}}, false,
            SPI_OK_UPDATE);
        session.Finish();
        return updated == 1;
    }
    if (new_activity < old_activity) {
        return false;
    }
    if (new_activity == old_activity) {
        return true; // only the item count moved, and the cart stays open: no figure changes
    }
    spi::Session session(spi::Lookup::kCatalogOnly);
    const uint64_t updated = move_cart_activity.Execute({{INT8OID, after.values[0], false},
                                                         {TIMESTAMPTZOID, before.values[4], false},
                                                         {TIMESTAMPTZOID, after.values[4], false}},
                                                        false, SPI_OK_UPDATE);
    session.Finish();
    return updated == 1;
}

void AddInsertedOrders(TriggerData* trigger_data) {
    TupleDesc descriptor = RelationGetDescr(trigger_data->tg_relation);
    Tuplestorestate* rows = trigger_data->tg_newtable;
    const SingleOrder order = PgCall([=] { return ReadSingleOrder(rows, descriptor); });
    if (order.single && order.nulls[0]) {
        return; // a guest order: no customer's figures move, and no query is needed
    }
    // The checkout: the customer's row updated in place, without SPI (customer_totals_row.cpp);
    // the UPDATE below does what that path leaves to the executor.
    // orders' columns are NOT NULL; a table changed by hand goes to the UPDATE, which copes.
    const bool complete = !order.nulls[1] && !order.nulls[2] && !order.nulls[3];
    if (order.single && complete && PgCall([&] {
            return summary::AddOrderInPlace(order.values[0], order.values[1], order.values[2],
                                            order.values[3]);
        })) {
        return;
    }
    spi::Session session(spi::Lookup::kCatalogOnly);
    std::vector<int64_t> missing;
    if (order.single) {
        const uint64_t updated = add_one_order.Execute({{INT8OID, order.values[0], false},
                                                        {TEXTOID, order.values[1], false},
                                                        {NUMERICOID, order.values[2], false},
                                                        {TIMESTAMPTZOID, order.values[3], false}},
                                                       false, SPI_OK_UPDATE);
        if (updated == 0) {
            missing.push_back(DatumGetInt64(order.values[0]));
        }
    } else {
        std::vector<int64_t> keys;
        std::vector<int64_t>* sink = &keys;
        PgCall([=] { CollectKeys(rows, descriptor, "customer_id", sink); });
        keys = SortedUnique(std::move(keys));
        if (!keys.empty()) {
            lock_rows.Execute({KeyArray(keys)}, false, SPI_OK_SELECT);
            const int registered = PgCall([=] { return SPI_register_trigger_data(trigger_data); });
            if (registered != SPI_OK_TD_REGISTER) {
                throw UserError(ErrorKind::Internal, "could not register the transition tables");
            }
            const uint64_t count = add_inserted_orders.Execute({}, false, SPI_OK_UPDATE_RETURNING);
            missing = NotUpdated(keys, count);
        }
    }
    Recount(Source::Orders, std::move(missing));
    session.Finish();
}

// Step 2 of the UPDATE exception: `keys` (sorted, unique) are the customers of the changed
// orders, all of which kept their customer and placed_at. A one-order UPDATE (an order paid)
// costs one UPDATE of its customer's row by primary key, with the order's old and new status
// and total as parameters.
void AddOrderChanges(TriggerData* trigger_data, const std::vector<int64_t>& keys) {
    TupleDesc descriptor = RelationGetDescr(trigger_data->tg_relation);
    Tuplestorestate* old_rows = trigger_data->tg_oldtable;
    Tuplestorestate* new_rows = trigger_data->tg_newtable;
    const SingleOrder before = PgCall([=] { return ReadSingleOrder(old_rows, descriptor); });
    SingleOrder after;
    if (before.single) {
        after = PgCall([=] { return ReadSingleOrder(new_rows, descriptor); });
        // An order paid, shipped or returned: the row updated in place (customer_totals_row.cpp).
        const bool complete =
            !before.nulls[1] && !before.nulls[2] && !after.nulls[1] && !after.nulls[2];
        if (after.single && complete && PgCall([&] {
                return summary::ChangeOrderInPlace(before.values[0], before.values[1],
                                                   before.values[2], after.values[1],
                                                   after.values[2]);
            })) {
            return;
        }
    }
    spi::Session session(spi::Lookup::kCatalogOnly);
    uint64_t count = 0;
    if (before.single) {
        count = change_one_order.Execute({{INT8OID, before.values[0], false},
                                          {TEXTOID, before.values[1], false},
                                          {NUMERICOID, before.values[2], false},
                                          {TEXTOID, after.values[1], false},
                                          {NUMERICOID, after.values[2], false}},
                                         false, SPI_OK_UPDATE_RETURNING);
    } else {
        const std::vector<spi::Param> customers = {KeyArray(keys)};
        if (keys.size() > 1) {
            lock_rows.Execute(customers, false, SPI_OK_SELECT);
        }
        const int registered = PgCall([=] { return SPI_register_trigger_data(trigger_data); });
        if (registered != SPI_OK_TD_REGISTER) {
            throw UserError(ErrorKind::Internal, "could not register the transition tables");
        }
        count = add_order_changes.Execute(customers, false, SPI_OK_UPDATE_RETURNING);
    }
    Recount(Source::Orders, NotUpdated(keys, count));
    session.Finish();
}

} // namespace
} // namespace cartwatch

// customer_summary_maintain() RETURNS trigger; argument: the source table's name.
CW_FUNCTION(cartwatch_customer_summary_maintain) {
    using namespace cartwatch;
    TriggerData* trigger_data = TriggerCall(fcinfo, "cartwatch_customer_summary_maintain");
    const TriggerEvent event = trigger_data->tg_event;
    const Trigger* trigger = trigger_data->tg_trigger;
    if (!TRIGGER_FIRED_AFTER(event) || !TRIGGER_FIRED_FOR_STATEMENT(event) ||
        trigger->tgnargs != 1) {
        throw UserError(ErrorKind::InvalidParameter,
                        "cartwatch_customer_summary_maintain() must fire AFTER ... FOR EACH "
                        "STATEMENT with one argument");
    }
    const SourceColumns& columns = ParseSource(trigger->tgargs[0]);
    Relation relation = trigger_data->tg_relation;
    if (!PgCall([=] { return FiresOnItsTable(relation, columns); })) {
        throw UserError(ErrorKind::InvalidParameter,
                        std::string("cartwatch.customer_summary_maintain('") + columns.name +
                            "') fires on cartwatch." + columns.name + " only");
    }

    if (TRIGGER_FIRED_BY_TRUNCATE(event)) {
        spi::Session session(spi::Lookup::kCatalogOnly);
        if (columns.source == Source::Reminders) {
            // The outbox is empty now and locked (TRUNCATE holds ACCESS EXCLUSIVE on it), so
            // no customer's count can rise meanwhile: recounting the nonzero ones is exact.
            Recount(Source::Reminders,
                    ResultKeys(customers_with_reminders.Execute({}, true, SPI_OK_SELECT)));
        } else {
            rebuild_all.Execute({}, false, SPI_OK_SELECT);
        }
        session.Finish();
        return PointerGetDatum(nullptr);
    }
    if (columns.source == Source::Orders && TRIGGER_FIRED_BY_INSERT(event)) {
        AddInsertedOrders(trigger_data);
        return PointerGetDatum(nullptr);
    }

    TupleDesc descriptor = RelationGetDescr(trigger_data->tg_relation);
    Tuplestorestate* old_rows = trigger_data->tg_oldtable;
    Tuplestorestate* new_rows = trigger_data->tg_newtable;
    std::vector<int64_t> keys;
    std::vector<int64_t>* sink = &keys;
    const SourceColumns* source = &columns;
    bool in_place = false;
    bool* in_place_sink = &in_place;
    if (TRIGGER_FIRED_BY_UPDATE(event) && old_rows != nullptr && new_rows != nullptr) {
        PgCall([=] {
            CollectChangedKeys(old_rows, new_rows, descriptor, source, sink, in_place_sink);
        });
    } else {
        for (Tuplestorestate* rows : {old_rows, new_rows}) {
            if (rows != nullptr) {
                PgCall([=] { CollectKeys(rows, descriptor, source->key, sink); });
            }
        }
    }
    if (keys.empty()) {
        return PointerGetDatum(nullptr);
    }
    if (columns.source == Source::Orders && in_place) {
        AddOrderChanges(trigger_data, SortedUnique(std::move(keys)));
        return PointerGetDatum(nullptr);
    }
    if (columns.source == Source::Carts && TRIGGER_FIRED_BY_UPDATE(event) &&
        ApplyCartChange(trigger_data)) {
        return PointerGetDatum(nullptr);
    }
    spi::Session session(spi::Lookup::kCatalogOnly);
    Recount(columns.source, std::move(keys));
    session.Finish();
    return PointerGetDatum(nullptr);
}
