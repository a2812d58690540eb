#!/usr/bin/env bash
# The retention background worker, in a cluster of its own with cartwatch preloaded:
#   1. with the extension not installed it logs that once and waits;
#   2. after CREATE EXTENSION it runs a 2-second policy on schedule: one run per slot of the
#      schedule, the slots back to back, even with a second runner calling run_retention
#      at the same time (the advisory lock);
#   3. an error that escapes a run is logged, and the worker (same pid) goes on;
#   4. a configuration reload keeps it; pg_terminate_backend ends it and the postmaster
#      starts it again.
# Waits are bounded polls; nothing asserts how long anything took.
set -euo pipefail
cd "${CARTWATCH_SOURCE_DIR:-$(dirname "$0")/../..}"

cluster=$(mktemp -d /tmp/cartwatch-worker.XXXXXX)
cleanup() {
    scripts/pg-cluster.sh stop "$cluster"
    rm -rf "$cluster"
}
# The cluster's processes inherit the caller's descriptors (the install lock among them), so it
# must not outlive the script, however the script ends.
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
scripts/pg-cluster.sh start "$cluster" \
    "shared_preload_libraries = 'cartwatch'" \
    "cartwatch.retention_database = 'postgres'" \
    "cartwatch.retention_naptime = 1" >/dev/null
# shellcheck source=/dev/null
. "$cluster/env"
log=$cluster/postgres.log

sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }
fail() {
    echo "FAIL: $*" >&2
    echo "--- server log" >&2
    tail -40 "$log" >&2
    exit 1
}
# wait_for DESCRIPTION SECONDS COMMAND...: polls every 0.2 s until COMMAND succeeds.
wait_for() {
    local what=$1 seconds=$2
    shift 2
    for _ in $(seq 1 $((seconds * 5))); do
        "$@" && return 0
        sleep 0.2
    done
    fail "gave up waiting for $what after ${seconds}s"
}
log_has() { grep -q "$1" "$log"; }
worker_pid() {
    sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'cartwatch retention worker'"
}
visit_runs_at_least() {
    [ "$(sql -c "SELECT count(*) FROM cartwatch.retention_runs
                 WHERE target = 'visits' AND status <> 'running'")" -ge "$1" ]
}

# 1. No extension yet: one message, however many naptimes pass.
wait_for "the worker to notice the missing extension" 20 \
    log_has 'extension "cartwatch" is not installed in database "postgres", waiting'
sleep 2
[ "$(grep -c 'is not installed in database' "$log")" = 1 ] ||
    fail "the missing extension was reported more than once"

# 2. One policy, every 2 seconds. Created in one transaction with the data, so the worker
#    never sees the default policies.
sql >/dev/null <<'SQL'
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
SELECT cartwatch.remove_retention_policy(target, if_exists => true)
  FROM cartwatch.retention_targets;
SELECT cartwatch.add_retention_policy('visits', keep => '30 days', schedule_interval => '2 seconds');
INSERT INTO cartwatch.visits (started_at, start_url)
SELECT now() - age, '/p/' || n
  FROM generate_series(1, 12) AS n,
       LATERAL (SELECT CASE WHEN n <= 7 THEN interval '40 days' ELSE interval '1 day' END AS age) AS a;
COMMIT;
SQL
first_pid=$(worker_pid)
[ "$(sql -c "SELECT cartwatch.retention_worker_pid()")" = "$first_pid" ] ||
    fail "cartwatch.retention_worker_pid() does not name the worker"
[ -n "$first_pid" ] || fail "no retention worker in pg_stat_activity"

# A second runner asks for due policies as fast as it can while the worker runs them.
(
    end=$((SECONDS + 7))
    while [ $SECONDS -lt $end ]; do
        psql -X -q -d postgres -c "CALL cartwatch.run_retention(due_only => true)" \
            >/dev/null 2>&1 || true
    done
) &
racer=$!
wait_for "four runs of the visits policy" 30 visit_runs_at_least 4
wait "$racer"

# Every run filled its own slot of the schedule (no slot run twice), slots back to back.
report=$(sql <<'SQL'
WITH runs AS (
    SELECT r.*, lag(r.due_at) OVER (ORDER BY r.due_at) AS previous_due
      FROM cartwatch.retention_runs AS r WHERE r.target = 'visits' AND r.status <> 'running')
SELECT count(*) AS runs,
       count(DISTINCT due_at) AS slots,
       count(*) FILTER (WHERE status = 'succeeded' AND scheduled) AS scheduled_successes,
       count(*) FILTER (WHERE previous_due IS NOT NULL
                          AND due_at - previous_due <> interval '2 seconds') AS gaps,
       count(*) FILTER (WHERE started_at < due_at) AS early,
       (SELECT rows_removed FROM runs ORDER BY due_at LIMIT 1) AS first_removed,
       sum(rows_removed) AS removed,
       (SELECT count(*) FROM cartwatch.visits) AS visits_left
  FROM runs;
SQL
)
IFS='|' read -r runs slots successes gaps early first_removed removed left <<<"$report"
echo "runs=$runs slots=$slots successes=$successes gaps=$gaps early=$early first_removed=$first_removed removed=$removed visits_left=$left"
[ "$runs" = "$slots" ] || fail "a slot of the schedule was run twice ($runs runs, $slots slots)"
[ "$successes" = "$runs" ] || fail "not every run was a scheduled success"
[ "$gaps" = 0 ] || fail "the runs are not one schedule interval apart"
[ "$early" = 0 ] || fail "a run started before it was due"
[ "$first_removed" = 7 ] && [ "$removed" = 7 ] && [ "$left" = 5 ] ||
    fail "expected the first run to remove the 7 old visits and keep the 5 recent ones"

# 3. An error escaping run_retention: logged, and the same worker carries on.
sql <<'SQL'
CREATE FUNCTION public.fail_retention_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'injected failure for %', NEW.target;
END
$$;
CREATE TRIGGER fail_retention_run BEFORE INSERT ON cartwatch.retention_runs
    FOR EACH ROW EXECUTE FUNCTION public.fail_retention_run();
SQL
wait_for "the injected failure in the log" 15 log_has 'injected failure for visits'
sql -c "DROP TRIGGER fail_retention_run ON cartwatch.retention_runs"
before=$(sql -c "SELECT count(*) FROM cartwatch.retention_runs WHERE target = 'visits'")
wait_for "runs to resume after the failure" 15 visit_runs_at_least $((before + 1))
[ "$(worker_pid)" = "$first_pid" ] || fail "the worker restarted after an error in a run"

# 4. SIGHUP keeps the worker; SIGTERM ends it and the postmaster brings it back.
sql -c "ALTER SYSTEM SET cartwatch.retention_naptime = 2" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
[ "$(worker_pid)" = "$first_pid" ] || fail "the worker restarted on a configuration reload"
sql -c "SELECT pg_terminate_backend($first_pid)" >/dev/null
wait_for "the worker to stop" 10 log_has 'terminating background worker "cartwatch retention worker"'
restarted() { local pid; pid=$(worker_pid); [ -n "$pid" ] && [ "$pid" != "$first_pid" ]; }
wait_for "the worker to be started again" 30 restarted

echo "the retention worker ran the policy once per slot, survived an error, a reload and a kill"
