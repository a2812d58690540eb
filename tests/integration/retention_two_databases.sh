#!/usr/bin/env bash
# Two shops' databases in one cluster: a retention run in one is not a run in the other.
# Advisory locks belong to a database, so both may run the same target at once; what
# retention_policies reports as running, and what run_retention skips as running elsewhere,
# must be this database's runs only.
#   1. In database B a session holds the lock a run of 'visits' takes.
#   2. B's retention_policies names that session as running 'visits'; A's names nobody.
#   3. A's run_retention(due_only => true) runs its due 'visits' policy and removes its expired
#      visits; B's skips the target its other session is running.
. "$(dirname "$0")/lib/cartwatchd.sh"

db_b=${CW_DB}_b
trap 'status=$?; dropdb --if-exists "$db_b" 2>/dev/null || true; (exit $status); cw_cleanup' EXIT
sql_b() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db_b" "$@"; }

cw_create_database
createdb "$db_b"
sql_b -c "SET client_min_messages = warning" -c "CREATE EXTENSION cartwatch CASCADE"
for run in cw_sql sql_b; do
    "$run" >/dev/null <<'SQL'
SELECT cartwatch.remove_retention_policy(target, if_exists => true)
  FROM cartwatch.retention_targets WHERE target <> 'visits';
SELECT cartwatch.alter_retention_policy('visits', keep => '30 days');
SELECT cartwatch.set_setting('retention_max_duty', '1');
INSERT INTO cartwatch.visits (started_at, start_url)
SELECT now() - CASE WHEN n <= 3 THEN interval '40 days' ELSE interval '1 day' END, '/p/' || n
  FROM generate_series(1, 5) AS n;
SQL
done

# 1. B's other session takes the run's lock for 'visits' and keeps it.
psql -X -q -d "$db_b" >"$CW_WORK/holder.log" 2>&1 <<'SQL' &
SELECT pg_backend_pid();
SELECT pg_advisory_lock(cartwatch.retention_lock_class(), hashtext('visits'));
SELECT pg_sleep(120);
SQL
CW_PIDS+=($!)
holder=
for _ in $(seq 1 100); do
    holder=$(sql_b -c "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                         AND classid = cartwatch.retention_lock_class()::oid
                         AND objid = hashtext('visits')::oid")
    [ -n "$holder" ] && break
    sleep 0.1
done
[ -n "$holder" ] || cw_fail "the holder session never took the lock"

# 2. Running in B, not in A.
[ "$(sql_b -c "SELECT running_pid FROM cartwatch.retention_policies WHERE target = 'visits'")" = "$holder" ] ||
    cw_fail "B does not report its own running session $holder"
running_a=$(cw_sql -c "SELECT coalesce(running_pid::text, 'none') FROM cartwatch.retention_policies
                        WHERE target = 'visits'")
[ "$running_a" = none ] || cw_fail "A reports B's session as running its retention: $running_a"

# 3. A runs its due policy; B leaves the target its other session holds.
cw_sql -c "CALL cartwatch.run_retention(due_only => true)" >/dev/null
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.visits")" = 2 ] ||
    cw_fail "A's expired visits were not removed: $(cw_sql -c "SELECT count(*) FROM cartwatch.visits") left"
[ "$(cw_sql -c "SELECT status FROM cartwatch.retention_runs WHERE target = 'visits'")" = succeeded ] ||
    cw_fail "A recorded no successful run: $(cw_sql -c "SELECT * FROM cartwatch.retention_runs")"
sql_b -c "CALL cartwatch.run_retention(due_only => true)" >/dev/null
[ "$(sql_b -c "SELECT count(*) FROM cartwatch.visits")" = 5 ] ||
    cw_fail "B ran the target its other session holds"

cw_log "a retention run in one database is not reported or skipped in another"
