// The checkout's one-order fast paths: a new order, or an order's new status or total, applied
// to its customer's summary row without SPI or a plan.
//
// Design: the SPI path (customer_summary.cpp, add_one_order and change_one_order) runs one UPDATE
// by primary key, and most of its cost around the write itself is executor start-up and
// shutdown: a cached plan revalidated, a ModifyTable and an IndexScan node built, the SET list's
// expressions compiled, at every checkout. Here the row is found through the primary-key index,
// locked, and its new version computed in C++ from the old one, then written by
// ExecSimpleRelationUpdate, the routine logical replication's apply worker uses: it checks the
// constraints, takes the HOT path or inserts index entries, and queues the row triggers
// (customer_totals has only its foreign key's, which skip a key that did not change).
//
// What the executor would add, and why it is not missing:
//  * rights: checked here as the executor checks them at start-up (SELECT and UPDATE on the
//    table for the current user, the extension's owner under SECURITY DEFINER); rights granted
//    by column only, row security on the table, a trigger that is not the foreign key's, child
//    tables: all of these go to the SPI path, which applies them as before;
//  * concurrency: the row is found with a new snapshot and locked FOR NO KEY UPDATE, as the
//    UPDATE would do. When the version found was updated meanwhile (a concurrent checkout of
//    the same customer committed after the snapshot), the lock waits for that transaction and
//    reports it, and the SPI UPDATE does the work: READ COMMITTED's re-check of the newest
//    version stays the executor's. Outside READ COMMITTED every call takes the SPI path, so
//    that REPEATABLE READ and SERIALIZABLE keep their errors and predicate locks exactly;
//  * the figures: the same arithmetic as the UPDATEs' SET lists (numeric_add and numeric_sub in
//    the same order, int8 + and -, least and greatest of timestamps) on the same values, and
//    order_is_valid()/order_is_cancelled()'s status lists (tests/regress:
//    customer_summary_fast_path compares both paths as text). A figure the UPDATE leaves as it
//    was keeps its very datum here too.
// Executor hooks do not see this write (pg_stat_statements' nested statements, an audit
// extension's ExecutorStart): they see the SPI UPDATE only when this path steps aside.
extern "C" {
#include "postgres.h"
#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/int.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

#include <cstring>
#include <initializer_list>

#include "customer_totals_row.hpp"

namespace cartwatch::summary {
namespace {

// The columns of customer_totals the order moves, and customer_id, its primary key.
enum Column {
    kCustomerId,
    kOrdersCount,
    kValidOrders,
    kInvalidOrders,
    kOrdersValue,
    kPaidValue,
    kCancelledValue,
    kFirstOrderAt,
    kLastOrderAt,
    kColumnCount
};

struct ColumnSpec {
    const char* name;
    Oid type;
};

constexpr ColumnSpec kColumns[kColumnCount] = {
    {"customer_id", INT8OID},          {"orders_count", INT8OID},
    {"valid_orders", INT8OID},         {"invalid_orders", INT8OID},
    {"orders_value", NUMERICOID},      {"paid_value", NUMERICOID},
    {"cancelled_value", NUMERICOID},   {"first_order_at", TIMESTAMPTZOID},
    {"last_order_at", TIMESTAMPTZOID},
};

// cartwatch.order_is_valid() and cartwatch.order_is_cancelled()
// (sql/install/50_customer_summary.sql). The comparison is bytewise, as text = is under the
// database's default collation, which is always deterministic; orders.status's CHECK constraint
// admits these seven values only.
constexpr const char* kValidStatuses[] = {"paid", "shipped", "delivered"};
constexpr const char* kCancelledStatuses[] = {"cancelled", "returned", "refunded"};

template <std::size_t N> bool StatusIn(text* status, const char* const (&names)[N]) {
    const char* data = VARDATA_ANY(status);
    const std::size_t length = VARSIZE_ANY_EXHDR(status);
    for (const char* name : names) {
        if (std::strlen(name) == length && std::memcmp(name, data, length) == 0) {
            return true;
        }
    }
    return false;
}

// The attribute numbers of kColumns in `descriptor`; false when one is missing or of another
// type (a summary table changed by hand: the SPI path reports what is wrong).
bool FindColumns(TupleDesc descriptor, AttrNumber (&attributes)[kColumnCount]) {
    for (int column = 0; column < kColumnCount; ++column) {
        attributes[column] = InvalidAttrNumber;
        for (int at = 0; at < descriptor->natts; ++at) {
            const Form_pg_attribute form = TupleDescAttr(descriptor, at);
            if (!form->attisdropped &&
                std::strcmp(NameStr(form->attname), kColumns[column].name) == 0) {
                if (form->atttypid == kColumns[column].type) {
                    attributes[column] = form->attnum;
                }
                break;
            }
        }
        if (attributes[column] == InvalidAttrNumber) {
            return false;
        }
    }
    return true;
}

// Whether the update may bypass the executor without changing what it would do: see the design
// note. The lock on the table is held either way.
bool TakesFastPath(Relation totals) {
    const Form_pg_class form = totals->rd_rel;
    if (form->relkind != RELKIND_RELATION || form->relrowsecurity || form->relhassubclass) {
        return false;
    }
    if (const TriggerDesc* triggers = totals->trigdesc) {
        for (int at = 0; at < triggers->numtriggers; ++at) {
            if (RI_FKey_trigger_type(triggers->triggers[at].tgfoid) == RI_TRIGGER_NONE) {
                return false;
            }
        }
    }
    constexpr AclMode kNeeded = ACL_SELECT | ACL_UPDATE;
    return pg_class_aclmask(RelationGetRelid(totals), GetUserId(), kNeeded, ACLMASK_ALL) == kNeeded;
}

// What one order does to its customer's figures: a new order (counted, with its placed_at), or
// an order whose status or total changed (its old values taken back, its new ones added).
struct OrderChange {
    bool is_new;
    text* status;
    Datum total;
    Datum placed_at;  // a new order's
    text* old_status; // a changed order's
    Datum old_total;
};

// `value` + `addend`, false on int8 overflow (the SPI UPDATE raises int8's error then).
bool AddCount(Datum* value, int64 addend) {
    int64 sum = 0;
    if (pg_add_s64_overflow(DatumGetInt64(*value), addend, &sum)) {
        return false;
    }
    *value = Int64GetDatum(sum);
    return true;
}

Datum NumericAdd(Datum left, Datum right) {
    return DirectFunctionCall2(numeric_add, left, right);
}
Datum NumericSub(Datum left, Datum right) {
    return DirectFunctionCall2(numeric_sub, left, right);
}

// add_one_order's SET list on `values`.
bool AddOrder(Datum* values, bool* nulls, const AttrNumber (&attributes)[kColumnCount],
              const OrderChange& order) {
    const auto at = [&](Column column) { return attributes[column] - 1; };
    const bool valid = StatusIn(order.status, kValidStatuses);
    if (!AddCount(&values[at(kOrdersCount)], 1) ||
        !AddCount(&values[at(valid ? kValidOrders : kInvalidOrders)], 1)) {
        return false;
    }
    values[at(kOrdersValue)] = NumericAdd(values[at(kOrdersValue)], order.total);
    if (valid) {
        values[at(kPaidValue)] = NumericAdd(values[at(kPaidValue)], order.total);
    }
    if (StatusIn(order.status, kCancelledStatuses)) {
        values[at(kCancelledValue)] = NumericAdd(values[at(kCancelledValue)], order.total);
    }
    // least() and greatest() skip a NULL; timestamptz compares as its int64.
    const TimestampTz placed = DatumGetTimestampTz(order.placed_at);
    if (nulls[at(kFirstOrderAt)] || placed < DatumGetTimestampTz(values[at(kFirstOrderAt)])) {
        values[at(kFirstOrderAt)] = order.placed_at;
        nulls[at(kFirstOrderAt)] = false;
    }
    if (nulls[at(kLastOrderAt)] || placed > DatumGetTimestampTz(values[at(kLastOrderAt)])) {
        values[at(kLastOrderAt)] = order.placed_at;
        nulls[at(kLastOrderAt)] = false;
    }
    return true;
}

// change_one_order's SET list on `values`, operation for operation, so that each value comes
// out with the same digits and scale: (orders_value + new) - old, and paid and cancelled value
// plus (the new total or 0) - (the old total or 0).
bool ChangeOrder(Datum* values, const AttrNumber (&attributes)[kColumnCount],
                 const OrderChange& order) {
    const auto at = [&](Column column) { return attributes[column] - 1; };
    const bool was_valid = StatusIn(order.old_status, kValidStatuses);
    const bool is_valid = StatusIn(order.status, kValidStatuses);
    const int64 valid_change = int64{is_valid} - int64{was_valid};
    if (!AddCount(&values[at(kValidOrders)], valid_change) ||
        !AddCount(&values[at(kInvalidOrders)], -valid_change)) {
        return false;
    }
    values[at(kOrdersValue)] =
        NumericSub(NumericAdd(values[at(kOrdersValue)], order.total), order.old_total);
    const Datum zero = NumericGetDatum(int64_to_numeric(0));
    const bool was_cancelled = StatusIn(order.old_status, kCancelledStatuses);
    const bool is_cancelled = StatusIn(order.status, kCancelledStatuses);
    values[at(kPaidValue)] =
        NumericAdd(values[at(kPaidValue)],
                   NumericSub(is_valid ? order.total : zero, was_valid ? order.old_total : zero));
    values[at(kCancelledValue)] =
        NumericAdd(values[at(kCancelledValue)], NumericSub(is_cancelled ? order.total : zero,
                                                           was_cancelled ? order.old_total : zero));
    return true;
}

// The new row version in `updated` (a virtual slot), from the locked `current` one and the
// order; false when the SPI UPDATE must compute it.
bool ComputeRow(TupleTableSlot* current, TupleTableSlot* updated,
                const AttrNumber (&attributes)[kColumnCount], const OrderChange& order) {
    const int natts = current->tts_tupleDescriptor->natts;
    slot_getallattrs(current);
    ExecClearTuple(updated);
    std::memcpy(updated->tts_values, current->tts_values, natts * sizeof(Datum));
    std::memcpy(updated->tts_isnull, current->tts_isnull, natts * sizeof(bool));
    for (Column column :
         {kOrdersCount, kValidOrders, kInvalidOrders, kOrdersValue, kPaidValue, kCancelledValue}) {
        if (updated->tts_isnull[attributes[column] - 1]) {
            return false; // NOT NULL columns: only a table changed by hand gets here
        }
    }
    const bool computed =
        order.is_new ? AddOrder(updated->tts_values, updated->tts_isnull, attributes, order)
                     : ChangeOrder(updated->tts_values, attributes, order);
    if (computed) {
        ExecStoreVirtualTuple(updated);
    }
    return computed;
}

// The executor state ExecSimpleRelationUpdate needs, as the apply worker builds it: a range
// table of the one relation (its updated columns named, for triggers that ask), a result
// relation with its indexes open, and a query level for the AFTER row triggers it queues.
EState* BeginUpdate(Relation totals, const AttrNumber (&attributes)[kColumnCount],
                    Snapshot snapshot, ResultRelInfo** result) {
    EState* estate = CreateExecutorState();
    MemoryContextSwitchTo(estate->es_query_cxt);
    RangeTblEntry* entry = makeNode(RangeTblEntry);
    entry->rtekind = RTE_RELATION;
    entry->relid = RelationGetRelid(totals);
    entry->relkind = totals->rd_rel->relkind;
    entry->rellockmode = RowExclusiveLock;
    entry->requiredPerms = ACL_SELECT | ACL_UPDATE;
    for (int column = kOrdersCount; column < kColumnCount; ++column) {
        entry->updatedCols = bms_add_member(
            entry->updatedCols, attributes[column] - FirstLowInvalidHeapAttributeNumber);
    }
    ExecInitRangeTable(estate, list_make1(entry));
    ResultRelInfo* relation_info = makeNode(ResultRelInfo);
    InitResultRelInfo(relation_info, totals, 1, nullptr, 0);
    // Where AfterTriggerEndQuery looks the relation up for its row triggers.
    estate->es_opened_result_relations = list_make1(relation_info);
    estate->es_output_cid = GetCurrentCommandId(true);
    estate->es_snapshot = snapshot;
    ExecOpenIndices(relation_info, false);
    AfterTriggerBeginQuery();
    *result = relation_info;
    return estate;
}

void EndUpdate(EState* estate, MemoryContext caller_context) {
    AfterTriggerEndQuery(estate);
    ExecCloseResultRelations(estate);
    ExecResetTupleTable(estate->es_tupleTable, false);
    MemoryContextSwitchTo(caller_context);
    FreeExecutorState(estate);
}

// Both fast paths: the row found, locked, computed and written, or false.
bool UpdateInPlace(Datum customer_id, const OrderChange& order) {
    if (IsolationUsesXactSnapshot()) {
        return false;
    }
    const Oid schema = get_namespace_oid("cartwatch", true);
    const Oid totals_id =
        OidIsValid(schema) ? get_relname_relid("customer_totals", schema) : InvalidOid;
    if (!OidIsValid(totals_id)) {
        return false;
    }
    Relation totals = table_open(totals_id, RowExclusiveLock);
    AttrNumber attributes[kColumnCount];
    const Oid key_index_id = RelationGetPrimaryKeyIndex(totals);
    if (!OidIsValid(key_index_id) || !FindColumns(RelationGetDescr(totals), attributes) ||
        !TakesFastPath(totals)) {
        table_close(totals, NoLock);
        return false;
    }
    Relation key_index = index_open(key_index_id, RowExclusiveLock);
    if (key_index->rd_index->indnkeyatts != 1 ||
        key_index->rd_index->indkey.values[0] != attributes[kCustomerId]) {
        index_close(key_index, NoLock);
        table_close(totals, NoLock);
        return false;
    }

    // What the SPI UPDATE does first: a new command, so that the row as this transaction's
    // earlier statements left it is visible, and a snapshot taken now (READ COMMITTED).
    CommandCounterIncrement();
    // Registered: GetLatestSnapshot's own is overwritten by the next caller, and the constraint
    // checks and index maintenance below run code that may take snapshots.
    Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
    MemoryContext caller_context = CurrentMemoryContext;
    ResultRelInfo* relation_info = nullptr;
    EState* estate = BeginUpdate(totals, attributes, snapshot, &relation_info);

    TupleTableSlot* current = table_slot_create(totals, &estate->es_tupleTable);
    ScanKeyData key;
    ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, customer_id);
    IndexScanDesc scan = index_beginscan(totals, key_index, snapshot, 1, 0);
    index_rescan(scan, &key, 1, nullptr, 0);
    bool found = index_getnext_slot(scan, ForwardScanDirection, current);
    index_endscan(scan);
    if (found) {
        TM_FailureData failure;
        const TM_Result locked =
            table_tuple_lock(totals, &current->tts_tid, snapshot, current, estate->es_output_cid,
                             LockTupleNoKeyExclusive, LockWaitBlock, 0, &failure);
        // Anything but TM_Ok (updated or deleted since the snapshot) is the executor's to
        // follow; the lock call has waited for the other transaction to end.
        found = locked == TM_Ok;
    }
    bool updated = false;
    if (found) {
        TupleTableSlot* next =
            ExecInitExtraTupleSlot(estate, RelationGetDescr(totals), &TTSOpsVirtual);
        if (ComputeRow(current, next, attributes, order)) {
            EPQState recheck;
            EvalPlanQualInit(&recheck, estate, nullptr, NIL, -1);
            ExecSimpleRelationUpdate(relation_info, estate, &recheck, current, next);
            EvalPlanQualEnd(&recheck);
            updated = true;
        }
    }
    EndUpdate(estate, caller_context);
    UnregisterSnapshot(snapshot);
    index_close(key_index, NoLock);
    table_close(totals, NoLock);
    if (updated) {
        // As SPI does after a writing statement: its effects visible to what runs next.
        CommandCounterIncrement();
    }
    return updated;
}

} // namespace

bool AddOrderInPlace(Datum customer_id, Datum status, Datum total, Datum placed_at) {
    return UpdateInPlace(customer_id,
                         {true, DatumGetTextPP(status), total, placed_at, nullptr, Datum{0}});
}

bool ChangeOrderInPlace(Datum customer_id, Datum old_status, Datum old_total, Datum status,
                        Datum total) {
    return UpdateInPlace(customer_id, {false, DatumGetTextPP(status), total, Datum{0},
                                       DatumGetTextPP(old_status), old_total});
}

} // namespace cartwatch::summary
