#!/usr/bin/env bash
# SIGTERM during a batch: cartwatchd stops claiming, lets the sends on the wire finish and
# records them, gives the rest back to the queue (their claim does not count), and exits 0.
# The next start sends the rest; nothing is sent twice.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_many_carts slow 6
export SLOW_SECONDS=1.5
cw_start_smtp
cw_write_config
cw_start_daemon main

cw_wait_for 20 "6" "SELECT count(*) FROM cartwatch.reminders WHERE state = 'claimed'"
sleep 0.3 # two sends are on the wire now
cw_stop_daemon "$CW_PID_main" TERM 20
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT after SIGTERM"
sent=$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent'")
[ "$sent" -ge 1 ] && [ "$sent" -le 2 ] || cw_fail "$sent sent before the stop, expected the 2 in flight"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders WHERE state = 'claimed'")" = 0 ] ||
    cw_fail "claims were left behind: $(cw_states)"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders WHERE state = 'pending' AND attempt = 0")" = $((6 - sent)) ] ||
    cw_fail "the rest did not go back untouched: $(cw_states)"
[ "$(cw_accepted_count)" = "$sent" ] || cw_fail "server and outbox disagree"

cw_start_daemon again
cw_wait_for 30 "6" "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent'"
[ "$(cw_accepted_count)" = 6 ] || cw_fail "accepted $(cw_accepted_count) messages, not 6"
[ "$(cw_duplicate_count)" = 0 ] || cw_fail "an address got two messages"
cw_stop_daemon "$CW_PID_again" TERM
cw_log "SIGTERM drained $sent in-flight send(s), released $((6 - sent)), exit 0"
