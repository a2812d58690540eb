#!/usr/bin/env bash
# A server that refuses the shop's envelope sender answers RCPT, not MAIL (Postfix checks
# the sender restrictions at RCPT): "550 5.1.0 <sender>: Sender address rejected". That is
# the shop's configuration, not the customer's address: sending pauses, the claims go back
# unattempted and nobody is suppressed. The same for a refusal after the message body of the
# sender domain's authentication (550 5.7.26, DMARC): every message would meet it, so none is
# given up on while the domain's records are wrong.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_carts senderreject.anna@example.com:pl senderreject.jonas@example.com:de
cw_start_smtp
cw_write_config
cw_start_daemon main

cw_wait_for_log 20 main.log "SMTP server unusable (config_fault: 550 5.1.0 <sklep@shop.example>: Sender address rejected" ||
    cw_fail "the sender rejection did not pause sending"
# Polled: after the backoff the daemon claims them again and pauses again.
cw_wait_for 10 "2" "SELECT count(*) FROM cartwatch.reminders
                     WHERE state = 'pending' AND attempt = 0 AND failures = 0"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.suppressions")" = 0 ] ||
    cw_fail "addresses were suppressed: $(cw_sql -c "SELECT string_agg(email, ' ') FROM cartwatch.suppressions")"
[ "$(cw_accepted_count)" = 0 ] || cw_fail "accepted $(cw_accepted_count) messages, not 0"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"

# The DMARC refusal after the body: the first two are cancelled, as a shop owner would while
# the sender is fixed, so the new cart is the only one the daemon claims.
cw_sql -c "SELECT cartwatch.cancel_reminder(reminder_id) FROM cartwatch.reminders" >/dev/null
cw_add_carts dmarcfail.ewa@example.com:pl
: >"$CW_WORK/main.log"
cw_start_daemon main
cw_wait_for_log 20 main.log "SMTP server unusable (config_fault: 550 5.7.26 Unauthenticated email from shop.example" ||
    cw_fail "the DMARC refusal did not pause sending"
grep -q "check the SPF, DKIM and DMARC records" "$CW_WORK/main.log" ||
    cw_fail "the pause does not say what to check"
cw_wait_for 10 "1" "SELECT count(*) FROM cartwatch.reminders
                     WHERE state = 'pending' AND attempt = 0 AND failures = 0"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.suppressions")" = 0 ] ||
    cw_fail "the DMARC refusal suppressed the customer"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_log "550 5.1.0 sender rejected at RCPT and 550 5.7.26 DMARC after the body: sending paused," \
    "reminders queued, nobody suppressed"
