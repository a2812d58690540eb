#!/usr/bin/env bash
# A 5xx reply is permanent: the reminder is dead at once (one attempt), and a 5.1.1 "no such
# mailbox" also puts the address on the suppression list, so no later cart of it is reminded.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_carts perm.nobody@example.com:en ok.emily@example.com:en
# A server without PIPELINING: libcurl sends each message itself, command by command (the
# other tests take the pipelined path).
NO_PIPELINING=1 cw_start_smtp
cw_write_config
cw_start_daemon main

cw_wait_for 20 "dead=1 sent=1" "SELECT string_agg(state || '=' || n, ' ' ORDER BY state)
                                 FROM (SELECT state, count(*) AS n FROM cartwatch.reminders
                                        GROUP BY state) AS s"
row=$(cw_sql -c "SELECT attempt || ' ' || (last_error LIKE '550 5.1.1%')
                   FROM cartwatch.reminders WHERE email = 'perm.nobody@example.com'")
[ "$row" = "1 true" ] || cw_fail "attempt and error of the rejected reminder: $row"
[ "$(cw_sql -c "SELECT reason FROM cartwatch.suppressions WHERE email = 'perm.nobody@example.com'")" = hard_bounce ] ||
    cw_fail "the rejected address was not suppressed"

# A new cart of the same address is not reminded.
cw_add_carts perm.nobody@example.com:en
cw_wait_for 20 "suppressed" "SELECT cancel_reason FROM cartwatch.reminders
                              WHERE email_key = 'perm.nobody@example.com' AND state = 'cancelled'"
[ "$(cw_accepted_count)" = 1 ] || cw_fail "accepted $(cw_accepted_count) messages, not 1"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_log "550 5.1.1: dead after one attempt, address suppressed, next cart skipped"
