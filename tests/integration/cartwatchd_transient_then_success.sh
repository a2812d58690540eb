#!/usr/bin/env bash
# A 4xx reply is transient: the reminder is retried after the outbox's backoff and then sent;
# a 451 after the message body is a 4xx like any other. Both use up one attempt, no more.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_carts flaky.anna@example.com:pl ok.jonas@example.com:de
# A server without PIPELINING: libcurl sends each message itself, command by command (the
# other tests take the pipelined path).
NO_PIPELINING=1 cw_start_smtp
cw_write_config
cw_start_daemon main

cw_wait_for 20 "2" "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent'"
row=$(cw_sql -c "SELECT attempt || ' ' || failures || ' ' || (last_error LIKE '450 4.2.0%')
                   FROM cartwatch.reminders WHERE email = 'flaky.anna@example.com'")
[ "$row" = "2 1 true" ] || cw_fail "flaky address: attempt, failures, last error were: $row"
[ "$(cw_accepted_count)" = 2 ] || cw_fail "accepted $(cw_accepted_count) messages, not 2"
grep -q "reminder .* deferred by the server, will be retried: 450 4.2.0" "$CW_WORK/main.log" ||
    cw_fail "the deferral is not in the log"

# 451 after DATA: the server refused the message after reading it; retried, then given up
# once max_attempts is used.
cw_sql -c "SELECT cartwatch.set_setting('max_attempts', '2')" >/dev/null
cw_add_carts datafail.camille@example.com:fr
cw_wait_for 20 "dead 2 2" "SELECT state || ' ' || attempt || ' ' || failures FROM cartwatch.reminders
                            WHERE email = 'datafail.camille@example.com'"
[ "$(cw_accepted_count)" = 2 ] || cw_fail "a refused message was counted as accepted"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_log "450 retried then sent; 451 after DATA retried until max_attempts"
