#!/usr/bin/env bash
# The server takes the whole message and hangs up without answering the final ".": it may have
# been delivered. The reminder is recorded as unknown and never sent again, by this daemon or
# a later one; the other reminders go on.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_carts hangup.anna@example.com:pl ok.jonas@example.com:de
cw_start_smtp
cw_write_config
cw_start_daemon main

cw_wait_for 20 "sent=1 unknown=1" "SELECT string_agg(state || '=' || n, ' ' ORDER BY state)
                                    FROM (SELECT state, count(*) AS n FROM cartwatch.reminders
                                           GROUP BY state) AS s"
grep -q "no reply after the message was sent" "$CW_WORK/main.log" ||
    cw_fail "the unknown outcome is not in the log"
cw_stop_daemon "$CW_PID_main" TERM

# Another run finds nothing to resend.
cw_start_daemon second
sleep 3
cw_stop_daemon "$CW_PID_second" TERM
hangups=$(grep -c '^hangup.anna@example.com ' "$CW_WORK/smtp/accepted.log")
[ "$hangups" = 1 ] || cw_fail "the ambiguous message reached the server $hangups times"
[ "$(cw_sql -c "SELECT attempt FROM cartwatch.reminders WHERE email = 'hangup.anna@example.com'")" = 1 ] ||
    cw_fail "the unknown reminder was claimed again"
cw_log "hang-up after the body: unknown, not resent"
