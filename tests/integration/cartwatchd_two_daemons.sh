#!/usr/bin/env bash
# Two daemons on one database share the queue: every reminder is sent once, none twice.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_many_carts shared 40
cw_start_smtp
cw_write_config
cw_start_daemon one
cw_start_daemon two

cw_wait_for 30 "40" "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent'"
[ "$(cw_accepted_count)" = 40 ] || cw_fail "accepted $(cw_accepted_count) messages, not 40"
[ "$(cw_duplicate_count)" = 0 ] || cw_fail "$(cw_duplicate_count) address(es) got two messages"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders WHERE step = 'first'")" = 40 ] ||
    cw_fail "a cart got two first reminders"
workers=$(cw_sql -c "SELECT count(DISTINCT claimed_by) FROM cartwatch.reminders")
cw_stop_daemon "$CW_PID_one" TERM
cw_stop_daemon "$CW_PID_two" TERM
cw_log "two daemons: 40 of 40 sent once ($workers worker(s) took part)"
