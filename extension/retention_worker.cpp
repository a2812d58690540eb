// The retention background worker: runs one database's retention policies on their schedule,
// as TimescaleDB's scheduler runs its jobs, when cartwatch is in shared_preload_libraries.
//
// Design:
//  * One worker, registered while the postmaster preloads cartwatch, connected to
//    cartwatch.retention_database. It does no schedule arithmetic of its own:
//    cartwatch.retention_next_due() says when the next policy is due, and
//    CALL cartwatch.run_retention(due_only => true) runs what is due under the same advisory
//    locks every other caller takes (cartwatchd, pg_cron, a DBA by hand). A policy therefore
//    runs once per interval, whoever gets there first.
//  * The loop: look (one short transaction: is the extension installed, when is a policy
//    due?), run when something is due, then sleep on the latch until the next due time, or
//    cartwatch.retention_naptime at most.
//  * run_retention commits between batches, which PostgreSQL allows only in a top-level,
//    non-atomic CALL. SPI cannot provide that without an outer portal, so the worker runs the
//    CALL through a portal of its own, as the server runs a client's simple query.
//  * A good citizen: SIGTERM ends it at the next interrupt check (die), SIGHUP rereads the
//    configuration, postmaster death ends it (WL_EXIT_ON_PM_DEATH). An ERROR in a cycle is
//    logged, its transaction aborted and its session locks released, and the loop goes on
//    after a naptime. A missing extension is logged once, then waited for.
//  * The C++/PostgreSQL boundary: this file calls PostgreSQL directly, under PG_TRY, so it
//    holds no C++ object with a destructor at any point: C-style code on purpose.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "access/xact.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

PGDLLEXPORT void cartwatch_retention_worker_main(Datum argument);
}

#include <cmath>
#include <cstring>

#include "guc.hpp"
#include "retention_worker.hpp"

namespace cartwatch {
namespace {

constexpr const char* kRunDueSql = "CALL cartwatch.run_retention(due_only => true)";
// Milliseconds until the next policy is due: 0 when one is due now, NULL when there is none.
constexpr const char* kDueInSql =
    "SELECT CASE WHEN d <= clock_timestamp() THEN 0"
    "            ELSE extract(epoch FROM d - clock_timestamp()) * 1000 END::float8"
    "  FROM cartwatch.retention_next_due() AS d";
constexpr long kNotInstalled = -1;
// A policy still due right after a run (a lost race, a clock step) is looked at again after
// this long, never in a tight loop.
constexpr long kStillDueSleepMs = 1000;
// After a postmaster restart or a configuration change the worker comes back this much later.
constexpr int kRestartSeconds = 10;

// The database the worker serves, for messages (a name lookup would need a transaction).
const char* served_database = "";
// Whether "extension not installed" was logged since the worker last found it installed.
bool missing_extension_reported = false;

long NaptimeMs() {
    return static_cast<long>(retention_naptime) * 1000L;
}

// One short transaction: is cartwatch installed here, and how long until a policy is due?
// Returns the milliseconds to sleep (0: something is due now) or kNotInstalled.
long MillisecondsUntilDue() {
    long result = kNotInstalled;
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    if (OidIsValid(get_extension_oid("cartwatch", true))) {
        if (SPI_connect() != SPI_OK_CONNECT) {
            elog(ERROR, "SPI_connect failed");
        }
        PushActiveSnapshot(GetTransactionSnapshot());
        pgstat_report_activity(STATE_RUNNING, kDueInSql);
        if (SPI_execute(kDueInSql, true, 1) != SPI_OK_SELECT || SPI_processed != 1) {
            elog(ERROR, "could not read cartwatch.retention_next_due()");
        }
        bool is_null = false;
        Datum due_in = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
        result = NaptimeMs();
        if (!is_null) {
            const double ms = std::ceil(DatumGetFloat8(due_in));
            if (ms < static_cast<double>(result)) {
                result = static_cast<long>(ms);
            }
        }
        SPI_finish();
        PopActiveSnapshot();
    }
    CommitTransactionCommand();
    pgstat_report_activity(STATE_IDLE, nullptr);
    return result;
}

// Runs sql as a top-level statement through a portal, as the server runs a client's simple
// query, so that a CALL in it is non-atomic and the procedure may COMMIT. The parse and plan
// trees live in cycle_context, which those commits do not free.
void RunTopLevelStatement(const char* sql, MemoryContext cycle_context) {
    MemoryContext caller_context = MemoryContextSwitchTo(cycle_context);
    List* parse_trees = pg_parse_query(sql);
    if (list_length(parse_trees) != 1) {
        elog(ERROR, "expected exactly one statement in \"%s\"", sql);
    }
    RawStmt* parse_tree = linitial_node(RawStmt, parse_trees);
    const bool needs_snapshot = analyze_requires_snapshot(parse_tree);
    if (needs_snapshot) {
        PushActiveSnapshot(GetTransactionSnapshot());
    }
    List* query_trees = pg_analyze_and_rewrite_fixedparams(parse_tree, sql, nullptr, 0, nullptr);
    List* plan_trees = pg_plan_queries(query_trees, sql, CURSOR_OPT_PARALLEL_OK, nullptr);
    if (needs_snapshot) {
        PopActiveSnapshot();
    }
    Portal portal = CreatePortal("", true, true);
    portal->visible = false;
    PortalDefineQuery(portal, nullptr, sql, CreateCommandTag(parse_tree->stmt), plan_trees,
                      nullptr);
    PortalStart(portal, nullptr, 0, InvalidSnapshot);
    DestReceiver* receiver = CreateDestReceiver(DestNone);
    QueryCompletion completion;
    (void)PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &completion);
    receiver->rDestroy(receiver);
    PortalDrop(portal, false);
    MemoryContextSwitchTo(caller_context);
}

void RunDuePolicies(MemoryContext cycle_context) {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    debug_query_string = kRunDueSql;
    pgstat_report_activity(STATE_RUNNING, kRunDueSql);
    RunTopLevelStatement(kRunDueSql, cycle_context);
    // The procedure committed its own work; this ends the transaction it left open.
    CommitTransactionCommand();
    debug_query_string = nullptr;
    pgstat_report_activity(STATE_IDLE, nullptr);
    // A worker has no idle loop that flushes statistics: without this, autovacuum would
    // never hear of the rows the runs deleted.
    pgstat_report_stat(true);
}

// One look at the policies, and a run when one is due. Returns how long to sleep.
long RunCycle(MemoryContext cycle_context) {
    volatile long sleep_ms = NaptimeMs();
    PG_TRY();
    {
        long due_in = MillisecondsUntilDue();
        if (due_in == kNotInstalled) {
            if (!missing_extension_reported) {
                ereport(LOG, (errmsg("cartwatch retention worker: extension \"cartwatch\" is "
                                     "not installed in database \"%s\", waiting",
                                     served_database),
                              errhint("Run CREATE EXTENSION cartwatch there, or set "
                                      "cartwatch.retention_database to the database that "
                                      "has it.")));
                missing_extension_reported = true;
            }
        } else {
            if (missing_extension_reported) {
                ereport(LOG, (errmsg("cartwatch retention worker: extension \"cartwatch\" "
                                     "found, running its retention policies")));
                missing_extension_reported = false;
            }
            if (due_in == 0) {
                RunDuePolicies(cycle_context);
                due_in = MillisecondsUntilDue();
                if (due_in == 0) {
                    due_in = kStillDueSleepMs;
                }
            }
            sleep_ms = due_in < 0 ? NaptimeMs() : due_in;
        }
    }
    PG_CATCH();
    {
        // Log, abandon the transaction and whatever the run held, and carry on: one bad run
        // must not stop the others. The failed run's row is marked interrupted by the next.
        HOLD_INTERRUPTS();
        MemoryContextSwitchTo(TopMemoryContext);
        EmitErrorReport();
        FlushErrorState();
        AbortOutOfAnyTransaction();
        LockReleaseSession(USER_LOCKMETHOD);
        debug_query_string = nullptr;
        pgstat_report_activity(STATE_IDLE, nullptr);
        RESUME_INTERRUPTS();
        sleep_ms = NaptimeMs();
    }
    PG_END_TRY();
    MemoryContextReset(cycle_context);
    return sleep_ms;
}

// Sleeps until woken (a signal, the timeout), then handles SIGTERM and SIGHUP. A change of
// cartwatch.retention_database restarts the worker, which then connects to the new database.
void Sleep(long timeout_ms, const char* connected_database) {
    const int events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | (timeout_ms >= 0 ? WL_TIMEOUT : 0);
    (void)WaitLatch(MyLatch, events, timeout_ms, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
    if (ConfigReloadPending) {
        ConfigReloadPending = false;
        ProcessConfigFile(PGC_SIGHUP);
        const char* wanted = retention_database != nullptr ? retention_database : "";
        if (strcmp(wanted, connected_database) != 0) {
            ereport(LOG, (errmsg("cartwatch retention worker restarting: "
                                 "cartwatch.retention_database changed from \"%s\" to \"%s\"",
                                 connected_database, wanted)));
            proc_exit(1); // a non-zero exit: the postmaster starts the worker again
        }
    }
}

} // namespace

void RetentionWorkerInit() {
    if (!process_shared_preload_libraries_in_progress) {
        return;
    }
    BackgroundWorker worker;
    memset(&worker, 0, sizeof(worker));
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    // Not on a standby: deletes need a primary. A promoted standby starts it then.
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = kRestartSeconds;
    strlcpy(worker.bgw_library_name, "cartwatch", sizeof(worker.bgw_library_name));
    strlcpy(worker.bgw_function_name, "cartwatch_retention_worker_main",
            sizeof(worker.bgw_function_name));
    strlcpy(worker.bgw_name, "cartwatch retention worker", sizeof(worker.bgw_name));
    strlcpy(worker.bgw_type, "cartwatch retention worker", sizeof(worker.bgw_type));
    RegisterBackgroundWorker(&worker);
}

} // namespace cartwatch

void cartwatch_retention_worker_main(Datum argument) {
    using namespace cartwatch;
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();

    // Without a database to serve the worker idles until the setting changes (which restarts
    // it): exiting for good would need a server restart to bring it back.
    if (retention_database == nullptr || retention_database[0] == '\0') {
        ereport(LOG, (errmsg("cartwatch retention worker idle: cartwatch.retention_database "
                             "is empty")));
        for (;;) {
            Sleep(-1, "");
        }
    }
    served_database = MemoryContextStrdup(TopMemoryContext, retention_database);
    BackgroundWorkerInitializeConnection(served_database, nullptr, 0);
    ereport(LOG,
            (errmsg("cartwatch retention worker started for database \"%s\"", served_database)));

    MemoryContext cycle_context = AllocSetContextCreate(
        TopMemoryContext, "cartwatch retention cycle", ALLOCSET_DEFAULT_SIZES);
    for (;;) {
        Sleep(RunCycle(cycle_context), served_database);
    }
}
