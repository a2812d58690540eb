#!/usr/bin/env bash
# The relay drops a kept connection between messages, in a way the sender only learns when it
# writes the next envelope (DROP_KEPT: the connection goes at its next MAIL FROM, unanswered).
# The message goes again on a new connection at once: it arrives exactly once, no attempt is
# used and sending never pauses. The same with a relay without PIPELINING, where libcurl
# carries the conversation.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_carts anna@example.com:pl jonas@example.com:de camille@example.com:fr
DROP_KEPT=1 cw_start_smtp
# One sender: the second and third messages each meet a kept connection.
CW_SMTP_CONCURRENCY=1 cw_write_config
cw_start_daemon main
cw_wait_for_log 20 main.log "connected to the database" || cw_fail "the daemon did not start"
cw_wait_for 20 "sent=3" "$CW_STATES_SQL"
drops=$(wc -l <"$CW_WORK/smtp/dropped.log" 2>/dev/null || echo 0)
[ "$drops" = 2 ] || cw_fail "the server dropped $drops kept connections, not 2"

cw_restart_smtp DROP_KEPT=1 NO_PIPELINING=1
cw_add_carts ola@example.com:pl lukas@example.com:de
cw_wait_for 20 "sent=5" "$CW_STATES_SQL"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"

drops=$(wc -l <"$CW_WORK/smtp/dropped.log" 2>/dev/null || echo 0)
[ "$drops" -ge 3 ] || cw_fail "without PIPELINING the server dropped no kept connection"
[ "$(cw_accepted_count)" = 5 ] || cw_fail "the server accepted $(cw_accepted_count) messages, not 5"
[ "$(cw_duplicate_count)" = 0 ] || cw_fail "a message arrived twice"
[ "$(cw_sql -c "SELECT string_agg(DISTINCT attempt::text, ',') FROM cartwatch.reminders")" = 1 ] ||
    cw_fail "a dropped connection used up an attempt"
if grep -q "SMTP server unusable" "$CW_WORK/main.log"; then
    cw_fail "a dropped kept connection paused sending"
fi
cw_log "a kept connection dropped at MAIL: sent again on a new one, once, pipelined or not"
