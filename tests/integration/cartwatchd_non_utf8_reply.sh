#!/usr/bin/env bash
# A server's reply text need not be UTF-8: "250 2.0.0 Ok: queued as ... \xe4\xf6\xfc" in
# Latin-1, with a terminal escape after it. PostgreSQL refuses text that is not UTF-8, so the
# reply is cleaned where the verdict is made: the delivered reminder is recorded as sent, with
# U+FFFD for each bad byte and the escape dropped, and the log carries the same clean line.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_carts latin1.anna@example.com:pl ok.emily@example.com:en
cw_start_smtp
cw_write_config
cw_start_daemon main

cw_wait_for 20 "sent=2" "$CW_STATES_SQL"
reply=$(cw_sql -c "SELECT smtp_reply ~ ('^250 2\.0\.0 Ok: queued as [0-9]+-latin1\.anna@example\.com\.eml '
                                         || U&'\FFFD\FFFD\FFFD' || ' \[31m$')
                     FROM cartwatch.reminders WHERE email = 'latin1.anna@example.com'")
[ "$reply" = t ] ||
    cw_fail "the reply was not recorded cleaned: $(cw_sql -c "SELECT smtp_reply FROM cartwatch.reminders WHERE email = 'latin1.anna@example.com'")"
[ "$(cw_accepted_count)" = 2 ] || cw_fail "accepted $(cw_accepted_count) messages, not 2"
iconv -f UTF-8 -t UTF-8 "$CW_WORK/main.log" >/dev/null || cw_fail "the log is not UTF-8"
! grep -q $'\x1b' "$CW_WORK/main.log" || cw_fail "the terminal escape reached the log"
grep -q "sent: .* 250 2.0.0 Ok: queued as .*latin1.anna@example.com.eml ��� \[31m$" "$CW_WORK/main.log" ||
    cw_fail "the log does not show the cleaned reply"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_log "Latin-1 reply: sent, recorded and logged as valid UTF-8 without the escape"
