#!/usr/bin/env bash
# PostgreSQL restarts while messages are on the wire: cartwatchd keeps running, reconnects with
# backoff, writes the outcomes of the sends that finished during the outage, and sends the rest.
# Every reminder is sent exactly once. Uses a cluster of its own (the shared one is not
# restarted).
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_own_cluster
cw_create_database
cw_add_many_carts slow 6
export SLOW_SECONDS=1.5
cw_start_smtp
cw_write_config
cw_start_daemon main

cw_wait_for 20 "2" "SELECT count(*) FROM cartwatch.reminders WHERE state = 'claimed'"
cw_restart_cluster 2
cw_wait_for 40 "6" "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent'"
grep -q "database connection lost" "$CW_WORK/main.log" || cw_fail "the outage went unnoticed"
grep -q "database connection restored" "$CW_WORK/main.log" || cw_fail "no reconnect in the log"
[ "$(cw_accepted_count)" = 6 ] || cw_fail "accepted $(cw_accepted_count) messages, not 6"
[ "$(cw_duplicate_count)" = 0 ] || cw_fail "an address got two messages"
kill -0 "$CW_PID_main" || cw_fail "cartwatchd died"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_log "PostgreSQL restart mid-run: 6 of 6 sent once"
