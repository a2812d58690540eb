#!/usr/bin/env bash
# The sender keeps its SMTP connection between messages, but not one idle past
# smtp.idle_timeout: the next message opens a new connection (the server may have dropped the
# old one meanwhile, or be about to). Every message arrives once.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_carts anna@example.com:pl ola@example.com:pl
cw_start_smtp
# One sender, so that every message would go over the same connection if it were kept.
CW_SMTP_CONCURRENCY=1 CW_SMTP_EXTRA='idle_timeout = "1s"' cw_write_config
cw_start_daemon main
cw_wait_for_log 20 main.log "connected to the database" || cw_fail "the daemon did not start"
cw_wait_for 20 "sent=2" "$CW_STATES_SQL"
connection() { awk -v rcpt="$1" '$1 == rcpt {print $2}' "$CW_WORK/smtp/connections.log"; }
[ "$(connection anna@example.com)" = "$(connection ola@example.com)" ] ||
    cw_fail "two messages in a row did not share the connection: $(cat "$CW_WORK/smtp/connections.log")"

# Past the idle timeout (the test server itself keeps an idle connection for minutes).
sleep 2
cw_add_carts jonas@example.com:de
cw_wait_for 20 "sent=3" "$CW_STATES_SQL"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"

[ "$(cw_accepted_count)" = 3 ] || cw_fail "the server accepted $(cw_accepted_count) messages, not 3"
[ "$(cw_duplicate_count)" = 0 ] || cw_fail "a message arrived twice"
[ -n "$(connection jonas@example.com)" ] &&
    [ "$(connection jonas@example.com)" != "$(connection anna@example.com)" ] ||
    cw_fail "the message after the idle time came on the idle connection: $(cat "$CW_WORK/smtp/connections.log")"
cw_log "an idle connection is replaced; every message arrived once"
