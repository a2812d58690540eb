#!/usr/bin/env bash
# Addresses beyond ASCII. A domain in Unicode (jan@müller.example) goes to the relay in its
# ASCII form (IDNA2008: jan@xn--mller-kva.example), in the envelope and in To:, over the same
# pipelined connection as the other messages; the sender holds one connection to the relay.
# A local part beyond ASCII (zoë@...) has no ASCII form: its reminder is given up with the
# reason in the log, and the others go out.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_carts anna@example.com:pl 'jan@müller.example:de' 'zoë@example.com:fr' ola@example.com:pl
cw_start_smtp
# One sender: every message goes from the same thread.
CW_SMTP_CONCURRENCY=1 cw_write_config
cw_start_daemon main
cw_wait_for_log 20 main.log "connected to the database" || cw_fail "the daemon did not start"
cw_wait_for 20 "dead=1 sent=3" "$CW_STATES_SQL"

# Idle now: what the daemon still holds open to the relay.
sleep 0.5
held=$(ss -Htn state established "dst 127.0.0.1:$CW_SMTP_PORT" | wc -l)
[ "$held" -le 1 ] ||
    cw_fail "one sender holds $held connections to the relay: $(ss -tn "dst 127.0.0.1:$CW_SMTP_PORT")"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"

[ "$(cw_accepted_count)" = 3 ] || cw_fail "the server accepted $(cw_accepted_count) messages, not 3"
[ "$(cw_duplicate_count)" = 0 ] || cw_fail "a message arrived twice"
grep -q '^jan@xn--mller-kva\.example ' "$CW_WORK/smtp/accepted.log" ||
    cw_fail "the Unicode domain did not arrive in its ASCII form: $(cat "$CW_WORK/smtp/accepted.log")"
message=$(grep -l 'xn--mller-kva' "$CW_WORK"/smtp/*.eml | head -1)
grep -q '^To: jan@xn--mller-kva\.example' "$message" ||
    cw_fail "To: does not carry the ASCII form: $(grep -m1 '^To:' "$message")"
connections=$(awk '{print $2}' "$CW_WORK/smtp/connections.log" | sort -u | wc -l)
[ "$connections" = 1 ] ||
    cw_fail "the messages came over $connections connections: $(cat "$CW_WORK/smtp/connections.log")"
grep -q "cannot be rendered: To address: the address's local part (before the @) is not ASCII" \
    "$CW_WORK/main.log" || cw_fail "the log does not say why zoë's reminder was given up"
reason=$(cw_sql -c "SELECT last_error FROM cartwatch.reminders WHERE state = 'dead'")
case "$reason" in
    *"local part (before the @) is not ASCII"*) ;;
    *) cw_fail "the outbox does not say why zoë's reminder was given up: $reason" ;;
esac
cw_log "a Unicode domain goes in its ASCII form on the shared connection; a Unicode local part is refused with its reason"
