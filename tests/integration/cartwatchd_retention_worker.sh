#!/usr/bin/env bash
# With the cartwatch background worker running this database's retention policies (a cluster
# with cartwatch preloaded), cartwatchd - even as a role that may run them - leaves them to
# the worker: one line says so, and every run in cartwatch.retention_runs is the worker's.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_own_cluster "shared_preload_libraries = 'cartwatch'" \
    "cartwatch.retention_database = '$CW_DB'" "cartwatch.retention_naptime = 1"
cw_create_database
cw_daemon_role
cw_sql -c "SELECT cartwatch.grant_retention('$CW_ROLE')" >/dev/null
cw_wait_for 20 t "SELECT cartwatch.retention_worker_pid() IS NOT NULL"
cw_start_smtp
cw_write_config
cw_start_daemon main
cw_wait_for_log 10 main.log "background worker runs the retention policies" || true
grep -q "the cartwatch background worker runs the retention policies of this database; cartwatchd leaves them to it" \
    "$CW_WORK/main.log" || cw_fail "cartwatchd does not say it leaves retention to the worker"
cw_wait_for 20 t "SELECT count(*) > 0 FROM cartwatch.retention_runs"
! grep -q "retention .*: removed\|cartwatchd runs the retention policies" "$CW_WORK/main.log" ||
    cw_fail "cartwatchd ran retention itself"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_log "with the background worker running, cartwatchd leaves retention to it"
