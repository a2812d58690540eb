#!/usr/bin/env bash
# cartwatchd end to end: reminders in all four languages are claimed, rendered, sent to a real
# SMTP server and recorded as sent, with the Message-ID, subject and template in the outbox and
# the one-click unsubscribe headers in the message; a customer is greeted by first name.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_daemon_role # the daemon runs with grant_daemon()'s rights only
cw_add_carts anna@example.com:pl jonas@example.com:de camille@example.com:fr emily@example.com:en
# Anna's cart belongs to her customer account: her message greets her by first name.
cw_sql >/dev/null <<'SQL'
WITH anna AS (
    INSERT INTO cartwatch.customers (email, first_name, last_name, locale, registered_at,
                                     reminder_consent)
    VALUES ('anna@example.com', 'Anna', 'Kowalska', 'pl', now() - interval '1 year', true)
    RETURNING customer_id)
UPDATE cartwatch.carts SET customer_id = (SELECT customer_id FROM anna), guest_email = NULL
 WHERE guest_email = 'anna@example.com';
SQL
cw_start_smtp
cw_write_config
cw_start_daemon main

cw_wait_for 20 "sent=4" "SELECT 'sent=' || count(*) FROM cartwatch.reminders WHERE state = 'sent'"
[ "$(cw_accepted_count)" = 4 ] || cw_fail "the SMTP server got $(cw_accepted_count) messages, not 4"

# The outbox records what went out; the templates were each cart's language.
templates=$(cw_sql -c "SELECT string_agg(template, ' ' ORDER BY template) FROM cartwatch.reminders")
[ "$templates" = "de/first_reminder en/first_reminder fr/first_reminder pl/first_reminder" ] ||
    cw_fail "templates were: $templates"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders
                 WHERE message_id LIKE '<cw.%@shop.example>' AND smtp_reply LIKE '250 %'
                   AND subject <> ''")" = 4 ] || cw_fail "message ids or replies not recorded"

# The message itself: the recorded Message-ID, RFC 8058 headers, the customer's language.
pl_file=$(ls "$CW_WORK"/smtp/*-anna@example.com.eml)
pl_id=$(cw_sql -c "SELECT message_id FROM cartwatch.reminders WHERE email = 'anna@example.com'")
grep -q "^Message-ID: $pl_id" "$pl_file" || cw_fail "Message-ID $pl_id not in the message"
grep -q '^List-Unsubscribe-Post: List-Unsubscribe=One-Click' "$pl_file" ||
    cw_fail "no List-Unsubscribe-Post header"
grep -q '^List-Unsubscribe: <https://shop.example/unsubscribe/' "$pl_file" ||
    cw_fail "no List-Unsubscribe header"
grep -q '^Content-Language: pl' "$pl_file" || cw_fail "the Polish cart did not get Polish"
grep -q '^Content-Language: de' "$CW_WORK"/smtp/*-jonas@example.com.eml || cw_fail "no German"
# The customer's first name greets her and her whole name addresses her; a guest gets no name.
greeting() {
    /usr/bin/python3 -c 'import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m["To"].addresses[0].display_name + "|" + m.get_body(("plain",)).get_content().split("\n")[0])' "$1"
}
[ "$(greeting "$pl_file")" = "Anna Kowalska|Cześć Anno!" ] ||
    cw_fail "the registered customer got: $(greeting "$pl_file")"
de_file=$(ls "$CW_WORK"/smtp/*-jonas@example.com.eml)
[ "$(greeting "$de_file")" = "|Guten Tag," ] || cw_fail "the German guest got: $(greeting "$de_file")"
grep -q '^Content-Language: fr' "$CW_WORK"/smtp/*-camille@example.com.eml || cw_fail "no French"

cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "cartwatchd exited with $CW_EXIT after SIGTERM"
grep -q "cartwatchd stopped" "$CW_WORK/main.log" || cw_fail "no orderly stop in the log"
cw_log "4 reminders sent in pl, de, fr and en; clean stop"
