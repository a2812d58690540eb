// The statement triggers that keep cartwatch.customer_totals (the customer summary) current.
//
// Design: one statement-level AFTER trigger per table and event, with transition tables, so a
// statement that touches 10,000 orders costs a handful of queries, not 10,000 upserts. The
// trigger argument names the source table: customers, orders, carts, visits or reminders.
//  1. Collect the customer ids the statement touched, from the old and the new rows (an order
//     moved to another customer changes both). Reminders name a cart: its customer is looked up.
//  2. Make sure each customer has a summary row, then lock those rows in customer_id order,
//     so that two statements touching the same customers queue instead of deadlocking.
//  3. Recompute the source's figures for those customers from the customer_*_figures views and
//     upsert them (INSERT ... ON CONFLICT DO UPDATE), leaving rows that are already right
//     untouched. The recount is absolute, not a delta: pg_restore replays the base rows through
//     these triggers in whatever order the dump has, a delta would count twice what another
//     trigger already counted, and a recount needs no reasoning about UPDATEs that change
//     status, amount and customer at once. Step 2's lock makes the recount see every change a
//     concurrent transaction committed for these customers, since under READ COMMITTED each
//     SPI query takes a fresh snapshot; a transaction that commits later recounts after us.
// TRUNCATE recomputes the whole summary (cartwatch.rebuild_customer_summary()).
//
// One exception, for the hottest path: an INSERT into orders adds the new orders' figures to
// the rows in a single upsert read from the transition table (counts and values added, first
// and last order by least/greatest). Adding is exact here because the summary is never dumped:
// a restore starts from the zero rows the customers' trigger creates and adds each order once.
// The upsert locks each row it changes, so a concurrent recount (which locks first and reads
// after) either sees the committed orders or runs before the addition is applied.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
}

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "pg_boundary.hpp"
#include "spi.hpp"

namespace cartwatch {
namespace {

enum class Source { Customers, Orders, Carts, Visits, Reminders };

Source ParseSource(const char* name) {
    static const struct {
        const char* name;
        Source source;
    } kSources[] = {{"customers", Source::Customers},
                    {"orders", Source::Orders},
                    {"carts", Source::Carts},
                    {"visits", Source::Visits},
                    {"reminders", Source::Reminders}};
    for (const auto& entry : kSources) {
        if (std::strcmp(entry.name, name) == 0) {
            return entry.source;
        }
    }
    throw UserError(ErrorKind::InvalidParameter,
                    std::string("unknown customer summary source \"") + name + "\"", "",
                    "The trigger argument is one of customers, orders, carts, visits, reminders.");
}

// Reads one bigint column of every row of a transition table. PostgreSQL calls and POD locals
// only, since it runs inside PgCall.
void CollectKeys(Tuplestorestate* rows, TupleDesc descriptor, const char* column,
                 std::vector<int64_t>* keys) {
    const int attribute = SPI_fnumber(descriptor, column);
    if (attribute <= 0) {
        elog(ERROR, "transition table has no %s column", column);
    }
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

// "INSERT ... SELECT the figures ... ON CONFLICT DO UPDATE" for one group of summary columns;
// `from` names the figures views with the customers' view aliased f, filtered by $1.
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
           " SELECT f.customer_id, " + list + " FROM " + from +
           " WHERE f.customer_id = ANY ($1)" +
           " ON CONFLICT (customer_id) DO UPDATE SET (" + list + ") = ROW(" + excluded + ")" +
           " WHERE (" + current + ") IS DISTINCT FROM (" + excluded + ")";
}

const std::string kOrdersRecount =
    RecountSql("cartwatch.customer_order_figures AS f",
               {"orders_count", "valid_orders", "invalid_orders", "orders_value", "paid_value",
                "cancelled_value", "first_order_at", "last_order_at"});
const std::string kVisitsRecount = RecountSql(
    "cartwatch.customer_visit_figures AS f", {"visits_count", "first_visit_at", "last_visit_at"});
// A cart that changes hands moves its reminders too, so carts recount both.
const std::string kCartsRecount = RecountSql(
    "cartwatch.customer_cart_figures AS f JOIN cartwatch.customer_reminder_figures AS r"
    " ON r.customer_id = f.customer_id AND r.customer_id = ANY ($1)",
    {"carts_count", "open_carts", "open_carts_oldest_activity", "open_carts_newest_activity",
     "last_cart_activity_at", "reminders_sent"});
const std::string kRemindersRecount =
    RecountSql("cartwatch.customer_reminder_figures AS f", {"reminders_sent"});

spi::KeptPlan recount_orders(kOrdersRecount.c_str(), {INT8ARRAYOID});
spi::KeptPlan recount_visits(kVisitsRecount.c_str(), {INT8ARRAYOID});
spi::KeptPlan recount_carts(kCartsRecount.c_str(), {INT8ARRAYOID});
spi::KeptPlan recount_reminders(kRemindersRecount.c_str(), {INT8ARRAYOID});

// Customers only: a deleted customer's row went with it (ON DELETE CASCADE) and must not return.
spi::KeptPlan ensure_rows(
    "INSERT INTO cartwatch.customer_totals (customer_id)"
    " SELECT c.customer_id FROM cartwatch.customers AS c WHERE c.customer_id = ANY ($1)"
    " ORDER BY c.customer_id ON CONFLICT (customer_id) DO NOTHING",
    {INT8ARRAYOID});

spi::KeptPlan lock_rows("SELECT 1 FROM cartwatch.customer_totals WHERE customer_id = ANY ($1)"
                        " ORDER BY customer_id FOR NO KEY UPDATE",
                        {INT8ARRAYOID});

spi::KeptPlan customers_of_carts(
    "SELECT DISTINCT k.customer_id FROM cartwatch.carts AS k"
    " WHERE k.cart_id = ANY ($1) AND k.customer_id IS NOT NULL",
    {INT8ARRAYOID});

spi::KeptPlan rebuild_all("SELECT cartwatch.rebuild_customer_summary()", {});

// Reads the statement's new orders through the transition table registered as new_rows.
spi::KeptPlan add_inserted_orders(
    "INSERT INTO cartwatch.customer_totals AS t"
    "       (customer_id, orders_count, valid_orders, invalid_orders, orders_value, paid_value,"
    "        cancelled_value, first_order_at, last_order_at)"
    " SELECT o.customer_id, count(*),"
    "        count(*) FILTER (WHERE cartwatch.order_is_valid(o.status)),"
    "        count(*) FILTER (WHERE NOT cartwatch.order_is_valid(o.status)),"
    "        sum(o.total),"
    "        coalesce(sum(o.total) FILTER (WHERE cartwatch.order_is_valid(o.status)), 0),"
    "        coalesce(sum(o.total) FILTER (WHERE cartwatch.order_is_cancelled(o.status)), 0),"
    "        min(o.placed_at), max(o.placed_at)"
    "   FROM new_rows AS o WHERE o.customer_id IS NOT NULL"
    "  GROUP BY o.customer_id ORDER BY o.customer_id"
    " ON CONFLICT (customer_id) DO UPDATE"
    "    SET orders_count = t.orders_count + EXCLUDED.orders_count,"
    "        valid_orders = t.valid_orders + EXCLUDED.valid_orders,"
    "        invalid_orders = t.invalid_orders + EXCLUDED.invalid_orders,"
    "        orders_value = t.orders_value + EXCLUDED.orders_value,"
    "        paid_value = t.paid_value + EXCLUDED.paid_value,"
    "        cancelled_value = t.cancelled_value + EXCLUDED.cancelled_value,"
    "        first_order_at = least(t.first_order_at, EXCLUDED.first_order_at),"
    "        last_order_at = greatest(t.last_order_at, EXCLUDED.last_order_at)",
    {});

spi::KeptPlan& RecountPlan(Source source) {
    switch (source) {
    case Source::Orders:
        return recount_orders;
    case Source::Carts:
        return recount_carts;
    case Source::Visits:
        return recount_visits;
    case Source::Reminders:
    case Source::Customers:
        break;
    }
    return recount_reminders;
}

std::vector<Datum> SortedUnique(std::vector<int64_t> keys) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::vector<Datum> datums;
    datums.reserve(keys.size());
    for (int64_t key : keys) {
        datums.push_back(Int64GetDatum(key));
    }
    return datums;
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

void Maintain(Source source, std::vector<int64_t> keys) {
    if (keys.empty()) {
        return;
    }
    spi::Session session;
    if (source == Source::Reminders) {
        const Datum carts = spi::MakeArray(SortedUnique(std::move(keys)), INT8OID);
        const uint64_t found =
            customers_of_carts.Execute({{INT8ARRAYOID, carts, false}}, true, SPI_OK_SELECT);
        keys = ResultKeys(found);
    }
    if (!keys.empty()) {
        const std::vector<spi::Param> customers = {
            {INT8ARRAYOID, spi::MakeArray(SortedUnique(std::move(keys)), INT8OID), false}};
        ensure_rows.Execute(customers, false, SPI_OK_INSERT);
        if (source != Source::Customers) {
            lock_rows.Execute(customers, false, SPI_OK_SELECT);
            RecountPlan(source).Execute(customers, false, SPI_OK_INSERT);
        }
    }
    session.Finish();
}

} // namespace
} // namespace cartwatch

// customer_summary_maintain() RETURNS trigger; argument: the source table's name.
CW_FUNCTION(cartwatch_customer_summary_maintain) {
    using namespace cartwatch;
    if (!CALLED_AS_TRIGGER(fcinfo)) {
        throw UserError(ErrorKind::InvalidParameter,
                        "cartwatch_customer_summary_maintain() must be called as a trigger");
    }
    auto* trigger_data = reinterpret_cast<TriggerData*>(fcinfo->context);
    const TriggerEvent event = trigger_data->tg_event;
    const Trigger* trigger = trigger_data->tg_trigger;
    if (!TRIGGER_FIRED_AFTER(event) || !TRIGGER_FIRED_FOR_STATEMENT(event) ||
        trigger->tgnargs != 1) {
        throw UserError(ErrorKind::InvalidParameter,
                        "cartwatch_customer_summary_maintain() must fire AFTER ... FOR EACH "
                        "STATEMENT with one argument");
    }
    const Source source = ParseSource(trigger->tgargs[0]);

    if (TRIGGER_FIRED_BY_TRUNCATE(event)) {
        spi::Session session;
        rebuild_all.Execute({}, false, SPI_OK_SELECT);
        session.Finish();
        return PointerGetDatum(nullptr);
    }

    if (source == Source::Orders && TRIGGER_FIRED_BY_INSERT(event)) {
        spi::Session session;
        const int registered = PgCall([=] { return SPI_register_trigger_data(trigger_data); });
        if (registered != SPI_OK_TD_REGISTER) {
            throw UserError(ErrorKind::Internal, "could not register the transition tables");
        }
        add_inserted_orders.Execute({}, false, SPI_OK_INSERT);
        session.Finish();
        return PointerGetDatum(nullptr);
    }

    const char* key_column = source == Source::Reminders ? "cart_id" : "customer_id";
    TupleDesc descriptor = RelationGetDescr(trigger_data->tg_relation);
    std::vector<int64_t> keys;
    std::vector<int64_t>* sink = &keys;
    for (Tuplestorestate* rows : {trigger_data->tg_oldtable, trigger_data->tg_newtable}) {
        if (rows != nullptr) {
            PgCall([=] { CollectKeys(rows, descriptor, key_column, sink); });
        }
    }
    Maintain(source, std::move(keys));
    return PointerGetDatum(nullptr);
}
