#!/usr/bin/env bash
# kill -9 in the middle of a batch: no chance to report. What was on the wire shows as unknown
# once its lease runs out (the lost_lease default), is never resent, and a new daemon sends the
# rest. Nothing is sent twice.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_many_carts slow 6
export SLOW_SECONDS=2
cw_start_smtp
cw_write_config
cw_start_daemon main

cw_wait_for 20 "6" "SELECT count(*) FROM cartwatch.reminders WHERE state = 'claimed'"
sleep 0.5 # two sends are on the wire, waiting for the reply to "."
kill -9 "$CW_PID_main"
wait "$CW_PID_main" 2>/dev/null || true
sleep 2.5 # the server finishes the messages it was given

# The leases (1 minute) run out: let the outbox see the future instead of waiting for it.
cw_sql -c "SELECT cartwatch.expire_leases(now() + interval '2 minutes')" >/dev/null
unknown=$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders WHERE state = 'unknown'")
[ "$unknown" = 6 ] || cw_fail "expected all 6 claims to be unknown, got: $(cw_states)"
in_flight=$(cw_accepted_count)
[ "$in_flight" -ge 1 ] && [ "$in_flight" -le 2 ] || cw_fail "$in_flight messages reached the server"

# A new daemon does not touch them.
cw_start_daemon after
sleep 3
cw_stop_daemon "$CW_PID_after" TERM
[ "$(cw_accepted_count)" = "$in_flight" ] || cw_fail "an unknown reminder was resent"
[ "$(cw_duplicate_count)" = 0 ] || cw_fail "an address got two messages"
cw_log "kill -9: $in_flight in flight delivered once, every claim settled as unknown, none resent"
