// cartwatch.abandon_after(): the abandon_after setting, kept by each backend between queries.
//
// Every view that says whether a cart is abandoned compares its last activity with now minus
// this setting, and the customer summary does it for one customer per page view. Through
// cartwatch.setting() (PL/pgSQL, a query) the setting costs about 10 us a read; a scalar
// subquery over the settings tables would add two relations and three plan nodes to every
// summary lookup, doubling its cost. So the value is read once and kept until the settings
// tables change, and the views call this function once per query, as a scalar subquery.
//
// How a backend learns of a change: a statement trigger on cartwatch.setting_values (and
// setting_definitions) queues a relcache invalidation of the table (cartwatch_settings_changed
// below). PostgreSQL delivers it with the transaction's commit to every backend, this one
// included at its next command, and undoes it locally at a rollback. Each backend's callback
// then forgets the value, and the next call reads it again.
//
// A restore that loads setting_values with triggers disabled sends nothing: backends that were
// connected during it keep the value they had until they reconnect (or any setting is set).
//
// cartwatch.open_carts_abandoned() is the customer summary's use of it: how many of a
// customer's open carts are abandoned now, from the oldest and newest activity the summary row
// keeps, in one call per row. Written in SQL the same test compared each end with
// (SELECT now() - abandon_after()), three subqueries that each cost about a microsecond to set
// up at every lookup, as much as the lookup's index probe.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

#include <cstdint>

#include "pg_boundary.hpp"
#include "spi.hpp"

namespace cartwatch {
namespace {

struct CachedSetting {
    bool valid = false;
    Interval value{};
    // The relations whose invalidation makes the value stale: cartwatch.setting_values and
    // setting_definitions (a new default comes with an extension update) as they were when
    // the value was read. A dropped and re-created extension has new ones; the drop itself
    // invalidates the old ones.
    Oid values_relation = InvalidOid;
    Oid definitions_relation = InvalidOid;
    // Counts the invalidations seen, so that one arriving while the value is being read (the
    // read takes locks, which delivers them) leaves the value unkept.
    uint64_t invalidations = 0;
};

CachedSetting abandon_after;
bool callback_registered = false;

void ForgetOnRelcacheInvalidation(Datum /*arg*/, Oid relation) {
    // InvalidOid: the whole relcache was reset (a lost invalidation message among them).
    if (!OidIsValid(relation) || relation == abandon_after.values_relation ||
        relation == abandon_after.definitions_relation) {
        abandon_after.valid = false;
        ++abandon_after.invalidations;
    }
}

// Read with the latest snapshot, not the statement's: the value is kept beyond this statement,
// so it must be the value as last committed (or as this transaction set it). A statement whose
// snapshot predates a setting's commit would otherwise keep the old value after the
// invalidation that announced the new one. setting() is STABLE and reads with this snapshot.
// In parallel mode (a parallel plan's leader or worker) no new snapshot may be taken: the value
// is read with the statement's.
Interval ReadAbandonAfter(bool latest_snapshot) {
    spi::Session session(spi::Lookup::kCatalogOnly);
    const Interval value = PgCall([latest_snapshot] {
        SPIPlanPtr plan = SPI_prepare(
            "SELECT cartwatch.setting('abandon_after')::pg_catalog.interval", 0, nullptr);
        if (plan == nullptr) {
            elog(ERROR, "could not prepare the abandon_after read: %s",
                 SPI_result_code_string(SPI_result));
        }
        Snapshot snapshot = latest_snapshot ? GetLatestSnapshot() : GetActiveSnapshot();
        const int status =
            SPI_execute_snapshot(plan, nullptr, nullptr, snapshot, InvalidSnapshot, true, false, 1);
        if (status != SPI_OK_SELECT || SPI_processed != 1) {
            elog(ERROR, "the abandon_after read returned %s", SPI_result_code_string(status));
        }
        bool is_null = false;
        Datum datum = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
        if (is_null) {
            elog(ERROR, "the abandon_after setting is NULL");
        }
        const Interval read = *DatumGetIntervalP(datum);
        SPI_freeplan(plan);
        return read;
    });
    session.Finish();
    return value;
}

// The abandon_after setting as last committed, or as this transaction has set it; read when no
// value is kept.
Interval KeptAbandonAfter() {
    Interval value = abandon_after.value;
    if (!abandon_after.valid) {
        if (!callback_registered) {
            PgCall([] { CacheRegisterRelcacheCallback(ForgetOnRelcacheInvalidation, 0); });
            callback_registered = true;
        }
        PgCall([] {
            const Oid schema = get_namespace_oid("cartwatch", false);
            abandon_after.values_relation = get_relname_relid("setting_values", schema);
            abandon_after.definitions_relation = get_relname_relid("setting_definitions", schema);
        });
        const uint64_t invalidations_before = abandon_after.invalidations;
        // A parallel worker lives for one query under one snapshot: it keeps what it read. A
        // parallel query's leader reads with the statement's snapshot and keeps nothing.
        const bool in_parallel_mode = IsInParallelMode();
        const bool keep = !in_parallel_mode || IsParallelWorker();
        value = ReadAbandonAfter(!in_parallel_mode);
        if (keep && abandon_after.invalidations == invalidations_before) {
            abandon_after.value = value;
            abandon_after.valid = true;
        }
    }
    return value;
}

} // namespace
} // namespace cartwatch

// abandon_after() RETURNS interval, STABLE: the abandon_after setting as last committed, or as
// this transaction has set it.
CW_FUNCTION(cartwatch_abandon_after) {
    using namespace cartwatch;
    const Interval value = KeptAbandonAfter();
    auto* result = static_cast<Interval*>(PgCall([] { return palloc(sizeof(Interval)); }));
    *result = value;
    PG_RETURN_INTERVAL_P(result);
}

// open_carts_abandoned(open_carts bigint, oldest_activity timestamptz, newest_activity
// timestamptz) RETURNS bigint, STABLE, not strict: how many of `open_carts` open carts, whose
// last activity lies between the two, are abandoned at now() (idle for abandon_after or
// longer): all of them when the newest is, none when the oldest is not, 0 without open carts.
// NULL when the cut-off falls between the two (or an end is missing): only the carts can tell.
CW_FUNCTION(cartwatch_open_carts_abandoned) {
    using namespace cartwatch;
    if (PG_ARGISNULL(0)) {
        PG_RETURN_NULL();
    }
    const int64 open_carts = PG_GETARG_INT64(0);
    if (open_carts <= 0) {
        PG_RETURN_INT64(0);
    }
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) {
        PG_RETURN_NULL();
    }
    const TimestampTz oldest = PG_GETARG_TIMESTAMPTZ(1);
    const TimestampTz newest = PG_GETARG_TIMESTAMPTZ(2);
    Interval idle = KeptAbandonAfter();
    // now() minus the interval with PostgreSQL's own arithmetic (months and days by the
    // calendar, infinities kept), as the views' SQL computes it.
    const TimestampTz cut_off = PgCall([&idle] {
        return DatumGetTimestampTz(DirectFunctionCall2(
            timestamptz_mi_interval, TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
            IntervalPGetDatum(&idle)));
    });
    if (newest <= cut_off) {
        PG_RETURN_INT64(open_carts);
    }
    if (oldest > cut_off) {
        PG_RETURN_INT64(0);
    }
    PG_RETURN_NULL();
}

// Statement trigger on cartwatch.setting_values and setting_definitions: tells every backend (at
// commit) that the settings changed, so that kept values are read again.
CW_FUNCTION(cartwatch_settings_changed) {
    using namespace cartwatch;
    TriggerData* trigger = TriggerCall(fcinfo, "cartwatch_settings_changed");
    PgCall([trigger] { CacheInvalidateRelcache(trigger->tg_relation); });
    return PointerGetDatum(nullptr);
}
