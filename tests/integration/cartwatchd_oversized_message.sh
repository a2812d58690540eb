#!/usr/bin/env bash
# A server with a message size limit answers MAIL FROM, where libcurl announces SIZE=, with
# "552 5.3.4 Message size exceeds fixed maximum message size". That refuses the one big
# message, not the shop: it is dead after one attempt, nobody is suppressed, and the other
# reminders go out without a pause.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_carts ok.anna@example.com:pl big.jonas@example.com:de ok.emily@example.com:en
cw_add_cart_lines big.jonas@example.com 400
MAX_MESSAGE_SIZE=100000 cw_start_smtp
cw_write_config
cw_start_daemon main

cw_wait_for 20 "dead=1 sent=2" "$CW_STATES_SQL"
row=$(cw_sql -c "SELECT state || ' ' || attempt || ' ' || (last_error LIKE '552 5.3.4 Message size exceeds%')
                   FROM cartwatch.reminders WHERE email = 'big.jonas@example.com'")
[ "$row" = "dead 1 true" ] || cw_fail "state, attempt and error of the big reminder: $row"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.suppressions")" = 0 ] ||
    cw_fail "an address was suppressed"
[ "$(cw_accepted_count)" = 2 ] || cw_fail "accepted $(cw_accepted_count) messages, not 2"
! grep -q "SMTP server unusable" "$CW_WORK/main.log" || cw_fail "the big message paused sending"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_log "552 5.3.4 at MAIL: the big reminder dead after one attempt, the others sent, no pause"
