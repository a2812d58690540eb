// The cart_items trigger that keeps carts.item_quantity and carts.last_activity_at current.
//
// Design: one statement-level trigger per event (INSERT, UPDATE, DELETE, each with its
// transition tables, and TRUNCATE) so that a 1,000-item cart costs two queries, not 2,000.
//  1. Collect: read the transition tables and note, per touched cart, the time of the change:
//     an inserted item's added_at (so imported history keeps its own clock; a future one
//     counts as now), otherwise now().
//  2. Lock the touched carts in cart_id order, so that two statements touching the same carts
//     queue instead of deadlocking.
//  3. Recompute each cart's item_quantity from cart_items (absolute, not a delta: a restore
//     from pg_dump, which replays the items after their carts, must not double-count) and move
//     last_activity_at forward, never backwards. Step 2 made the recount see every item that
//     a concurrent transaction committed, since each SPI query takes a fresh snapshot under
//     READ COMMITTED.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

#include <algorithm>
#include <map>
#include <vector>

#include "pg_boundary.hpp"
#include "spi.hpp"

namespace cartwatch {
namespace {

struct ItemChange {
    int64_t cart_id;
    TimestampTz changed_at;
};

// Reads every row of one transition table. Only PostgreSQL calls and POD locals in here.
void CollectChanges(Tuplestorestate* rows, TupleDesc descriptor, bool use_added_at, TimestampTz now,
                    std::vector<ItemChange>* changes) {
    const int cart_column = SPI_fnumber(descriptor, "cart_id");
    const int added_column = SPI_fnumber(descriptor, "added_at");
    if (cart_column <= 0 || added_column <= 0) {
        elog(ERROR, "cart_items has no cart_id or added_at column");
    }
    TupleTableSlot* slot = MakeSingleTupleTableSlot(descriptor, &TTSOpsMinimalTuple);
    tuplestore_rescan(rows);
    while (tuplestore_gettupleslot(rows, true, false, slot)) {
        bool cart_null = false;
        bool added_null = false;
        Datum cart = slot_getattr(slot, cart_column, &cart_null);
        Datum added = slot_getattr(slot, added_column, &added_null);
        if (cart_null) {
            continue;
        }
        TimestampTz changed_at = now;
        if (use_added_at && !added_null) {
            // An added_at in the future (an app server's clock ahead, a typo) counts as now:
            // last_activity_at only moves forward, so a future time would keep the cart from
            // ever looking abandoned until that time came.
            changed_at = std::min(DatumGetTimestampTz(added), now);
        }
        // push_back may throw bad_alloc: it is a C++ call inside a PgCall thunk, which parks
        // the exception until PG_END_TRY has run.
        changes->push_back({DatumGetInt64(cart), changed_at});
    }
    ExecDropSingleTupleTableSlot(slot);
}

spi::KeptPlan lock_carts(
    "SELECT 1 FROM cartwatch.carts WHERE cart_id = ANY ($1) ORDER BY cart_id FOR NO KEY UPDATE",
    {INT8ARRAYOID});

// Rows whose count and clock are already right are left alone: no dead tuple, no updated_at
// churn (a restore replays every item, and must leave the restored carts untouched).
// "c.cart_id = ANY ($1)" repeats the join for the planner's sake: without it a statement that
// touches thousands of carts (a retention batch deleting their items) is planned as a hash join
// over a sequential scan of every cart, a cost that grows with the table, not the statement.
spi::KeptPlan refresh_carts(
    "UPDATE cartwatch.carts AS c"
    "   SET item_quantity = n.quantity,"
    "       last_activity_at = greatest(c.last_activity_at, n.changed_at)"
    "  FROM (SELECT d.cart_id, d.changed_at,"
    "               coalesce((SELECT sum(i.quantity) FROM cartwatch.cart_items AS i"
    "                          WHERE i.cart_id = d.cart_id), 0) AS quantity"
    "          FROM unnest($1::bigint[], $2::timestamptz[]) AS d(cart_id, changed_at)) AS n"
    " WHERE c.cart_id = n.cart_id AND c.cart_id = ANY ($1)"
    "   AND (c.item_quantity <> n.quantity OR c.last_activity_at < n.changed_at)",
    {INT8ARRAYOID, TIMESTAMPTZARRAYOID});

spi::KeptPlan empty_all_carts("UPDATE cartwatch.carts SET item_quantity = 0, last_activity_at = "
                              "greatest(last_activity_at, $1)"
                              " WHERE item_quantity <> 0",
                              {TIMESTAMPTZOID});

void RefreshCarts(const std::vector<ItemChange>& changes) {
    // One entry per cart, in cart_id order; the latest change wins.
    std::map<int64_t, TimestampTz> latest;
    for (const ItemChange& change : changes) {
        auto [entry, inserted] = latest.emplace(change.cart_id, change.changed_at);
        if (!inserted && change.changed_at > entry->second) {
            entry->second = change.changed_at;
        }
    }
    if (latest.empty()) {
        return;
    }
    std::vector<Datum> cart_ids;
    std::vector<Datum> changed_at;
    cart_ids.reserve(latest.size());
    changed_at.reserve(latest.size());
    for (const auto& [cart_id, when] : latest) {
        cart_ids.push_back(Int64GetDatum(cart_id));
        changed_at.push_back(TimestampTzGetDatum(when));
    }
    Datum cart_array = spi::MakeArray(cart_ids, INT8OID);
    Datum time_array = spi::MakeArray(changed_at, TIMESTAMPTZOID);

    spi::Session session;
    lock_carts.Execute({{INT8ARRAYOID, cart_array, false}}, false, SPI_OK_SELECT);
    refresh_carts.Execute(
        {{INT8ARRAYOID, cart_array, false}, {TIMESTAMPTZARRAYOID, time_array, false}}, false,
        SPI_OK_UPDATE);
    session.Finish();
}

} // namespace
} // namespace cartwatch

CW_FUNCTION(cartwatch_cart_items_activity) {
    using namespace cartwatch;
    TriggerData* trigger = TriggerCall(fcinfo, "cartwatch_cart_items_activity");
    const TriggerEvent event = trigger->tg_event;
    if (!TRIGGER_FIRED_AFTER(event) || !TRIGGER_FIRED_FOR_STATEMENT(event)) {
        throw UserError(ErrorKind::InvalidParameter,
                        "cartwatch_cart_items_activity() must fire AFTER ... FOR EACH STATEMENT");
    }
    const TimestampTz now = GetCurrentTransactionStartTimestamp();

    if (TRIGGER_FIRED_BY_TRUNCATE(event)) {
        spi::Session session;
        empty_all_carts.Execute({{TIMESTAMPTZOID, TimestampTzGetDatum(now), false}}, false,
                                SPI_OK_UPDATE);
        session.Finish();
        return PointerGetDatum(nullptr);
    }

    TupleDesc descriptor = RelationGetDescr(trigger->tg_relation);
    std::vector<ItemChange> changes;
    std::vector<ItemChange>* sink = &changes;
    if (trigger->tg_newtable != nullptr) {
        Tuplestorestate* rows = trigger->tg_newtable;
        const bool use_added_at = TRIGGER_FIRED_BY_INSERT(event);
        PgCall([=] { CollectChanges(rows, descriptor, use_added_at, now, sink); });
    }
    if (trigger->tg_oldtable != nullptr) {
        Tuplestorestate* rows = trigger->tg_oldtable;
        PgCall([=] { CollectChanges(rows, descriptor, false, now, sink); });
    }
    RefreshCarts(changes);
    return PointerGetDatum(nullptr);
}
