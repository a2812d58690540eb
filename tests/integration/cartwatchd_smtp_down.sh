#!/usr/bin/env bash
# The SMTP server is down when cartwatchd starts and for a while after: sending pauses, the
# claimed reminders go back to the queue without using an attempt, health says so; when the
# server comes back every reminder is sent exactly once.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_many_carts customer 8
CW_SMTP_PORT=$(cw_free_port) # nothing listens there yet
metrics_port=$(cw_free_port)
cw_write_config "metrics_listen = \"127.0.0.1:$metrics_port\""
cw_start_daemon main

# Paused, nothing lost, nothing counted as an attempt.
for _ in $(seq 1 50); do
    grep -q "SMTP server unusable" "$CW_WORK/main.log" && break
    sleep 0.1
done
grep -q "SMTP server unusable" "$CW_WORK/main.log" || cw_fail "no pause while SMTP is down"
cw_wait_for 10 "0" "SELECT count(*) FROM cartwatch.reminders WHERE state = 'claimed'"
health=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$metrics_port/health")
[ "$health" = 503 ] || cw_fail "health was $health while SMTP was down"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders WHERE state = 'pending' AND attempt = 0")" = 8 ] ||
    cw_fail "reminders were not back in the queue untouched: $(cw_states)"
sleep 2

cw_start_smtp "$CW_SMTP_PORT"
cw_wait_for 30 "8" "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent'"
[ "$(cw_accepted_count)" = 8 ] || cw_fail "accepted $(cw_accepted_count) messages, not 8"
[ "$(cw_duplicate_count)" = 0 ] || cw_fail "an address got two messages"
[ "$(cw_sql -c "SELECT max(attempt) FROM cartwatch.reminders")" = 1 ] ||
    cw_fail "the outage used up attempts"
# Read whole first: with pipefail, grep -q quitting early could fail curl's write (SIGPIPE).
metrics=$(curl -s "http://127.0.0.1:$metrics_port/metrics")
grep -q '^cartwatchd_reminders_sent_total 8$' <<<"$metrics" || cw_fail "metrics do not show 8 sent"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_log "SMTP down then up: 8 of 8 sent once, no attempt used by the outage"
