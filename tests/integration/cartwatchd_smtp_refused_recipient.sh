#!/usr/bin/env bash
# A refused recipient does not cost the connection: after the pipelined envelope's refusal the
# sender resets the transaction (RSET) and the next message goes over the same connection. The
# server answers MAIL, RCPT and the final "." with multi-line replies (MULTILINE), so a reply
# line taken for a whole reply would pair every later reply with the wrong command.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_carts perm.anna@example.com:pl
MULTILINE=1 cw_start_smtp
CW_SMTP_CONCURRENCY=1 cw_write_config
cw_start_daemon main
cw_wait_for_log 20 main.log "connected to the database" || cw_fail "the daemon did not start"
cw_wait_for 20 "dead" "SELECT state FROM cartwatch.reminders WHERE email = 'perm.anna@example.com'"

cw_add_carts jonas@example.com:de camille@example.com:fr
cw_wait_for 20 "dead=1 sent=2" "$CW_STATES_SQL"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"

[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.suppressions WHERE email = 'perm.anna@example.com'")" = 1 ] ||
    cw_fail "the refused address was not suppressed"
grep -q "reminder .* rejected, the address does not exist and is suppressed: 550 5.1.1" \
    "$CW_WORK/main.log" || cw_fail "the refusal is not in the log"
grep -q "sent: .* 250 2.0.0 OK queued as" "$CW_WORK/main.log" ||
    cw_fail "the multi-line reply to the message was not read to its last line"
[ "$(cw_accepted_count)" = 2 ] || cw_fail "the server accepted $(cw_accepted_count) messages, not 2"
# Connections are numbered at their first MAIL FROM: the refused envelope's was number 1.
[ "$(awk '{print $2}' "$CW_WORK/smtp/connections.log" | sort -u)" = 1 ] ||
    cw_fail "the messages after the refusal did not use its connection: $(cat "$CW_WORK/smtp/connections.log")"
cw_log "a refused recipient, then two messages on the same connection, multi-line replies"
