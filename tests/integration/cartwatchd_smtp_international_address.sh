#!/usr/bin/env bash
# Addresses beyond ASCII. A domain in Unicode (jan@müller.example) goes to the relay in its
# ASCII form (IDNA2008: jan@xn--mller-kva.example), in the envelope and in To:, over the same
# pipelined connection as the other messages; the sender holds one connection to the relay.
# A local part beyond ASCII (zoë@...) has no ASCII form: it goes in UTF-8, with SMTPUTF8 on
# MAIL (RFC 6531) and raw in To: (RFC 6532), to a relay that offers SMTPUTF8, pipelined or
# not; to one that does not, its reminder is given up (dead, the address not suppressed) with
# the reason in the log and the outbox, and the others go out. ASCII messages never carry
# SMTPUTF8. The relay changes under the running daemon, as a configuration change would; once
# it offers SMTPUTF8 again, requeue_reminders() sends the reminders given up.
. "$(dirname "$0")/lib/cartwatchd.sh"

# The MAIL parameters the relay saw for ADDRESS ("-" for none).
mail_parameters() { awk -v a="$1" '$1 == a { $1 = ""; $2 = ""; print substr($0, 3) }' \
    "$CW_WORK/smtp/envelopes.log"; }
# The last_error of the reminder to ADDRESS.
reason_for() { cw_sql -c "SELECT last_error FROM cartwatch.reminders WHERE email = '$1'"; }

cw_create_database
cw_add_carts anna@example.com:pl 'jan@müller.example:de' 'zoë@example.com:fr' ola@example.com:pl
cw_start_smtp
# One sender: every message goes from the same thread.
CW_SMTP_CONCURRENCY=1 cw_write_config
cw_start_daemon main
cw_wait_for_log 20 main.log "connected to the database" || cw_fail "the daemon did not start"

# 1. Pipelining, no SMTPUTF8: zoë's reminder is given up, the others go on one connection.
cw_wait_for 20 "dead=1 sent=3" "$CW_STATES_SQL"
sleep 0.5 # idle now: what the daemon still holds open to the relay
held=$(ss -Htn state established "dst 127.0.0.1:$CW_SMTP_PORT" | wc -l)
[ "$held" -le 1 ] ||
    cw_fail "one sender holds $held connections to the relay: $(ss -tn "dst 127.0.0.1:$CW_SMTP_PORT")"
[ "$(cw_accepted_count)" = 3 ] || cw_fail "the server accepted $(cw_accepted_count) messages, not 3"
grep -q '^jan@xn--mller-kva\.example ' "$CW_WORK/smtp/accepted.log" ||
    cw_fail "the Unicode domain did not arrive in its ASCII form: $(cat "$CW_WORK/smtp/accepted.log")"
message=$(grep -l 'xn--mller-kva' "$CW_WORK"/smtp/*.eml | head -1)
grep -q '^To: jan@xn--mller-kva\.example' "$message" ||
    cw_fail "To: does not carry the ASCII form: $(grep -m1 '^To:' "$message")"
connections=$(awk '{print $2}' "$CW_WORK/smtp/connections.log" | sort -u | wc -l)
[ "$connections" = 1 ] ||
    cw_fail "the messages came over $connections connections: $(cat "$CW_WORK/smtp/connections.log")"
grep -q "reminder .* rejected, giving up: 553 5.6.7 not sent by cartwatchd: the address is not ASCII and the SMTP server does not offer SMTPUTF8" \
    "$CW_WORK/main.log" || cw_fail "the log does not say why zoë's reminder was given up"
case "$(reason_for 'zoë@example.com')" in
    *"does not offer SMTPUTF8 (RFC 6531)"*) ;;
    *) cw_fail "the outbox does not say why zoë's reminder was given up: $(reason_for 'zoë@example.com')" ;;
esac
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.suppressions")" = 0 ] ||
    cw_fail "a relay without SMTPUTF8 suppressed an address"
for address in anna@example.com jan@xn--mller-kva.example ola@example.com; do
    case "$(mail_parameters "$address")" in
        *SMTPUTF8* | *BODY=*) cw_fail "an ASCII message: MAIL $(mail_parameters "$address")" ;;
    esac
done

# 2. The relay now offers SMTPUTF8 (pipelining still): the UTF-8 address goes, raw in the
# envelope and in To:, with SMTPUTF8 on MAIL; the ASCII message beside it without.
cw_restart_smtp CW_SMTP_UTF8=1
cw_add_carts 'żaneta@example.com:pl' piotr@example.com:pl
cw_wait_for 20 "dead=1 sent=5" "$CW_STATES_SQL"
grep -q '^żaneta@example\.com ' "$CW_WORK/smtp/accepted.log" ||
    cw_fail "the UTF-8 address did not arrive as it is: $(cat "$CW_WORK/smtp/accepted.log")"
# SMTPUTF8 and no BODY=8BITMIME: the bodies are quoted-printable, 7-bit.
case "$(mail_parameters 'żaneta@example.com')" in
    *BODY=*) cw_fail "MAIL for żaneta: $(mail_parameters 'żaneta@example.com')" ;;
    *SMTPUTF8*) ;;
    *) cw_fail "MAIL for żaneta without SMTPUTF8: $(mail_parameters 'żaneta@example.com')" ;;
esac
case "$(mail_parameters piotr@example.com)" in
    *SMTPUTF8*) cw_fail "the ASCII message beside it: MAIL $(mail_parameters piotr@example.com)" ;;
esac
grep -q '^To: żaneta@example\.com' "$CW_WORK"/smtp/*-żaneta@example.com.eml ||
    cw_fail "To: does not carry the UTF-8 address: $(grep -m1 '^To:' "$CW_WORK"/smtp/*-żaneta@example.com.eml)"

# 3. and 4. Without PIPELINING libcurl sends: with SMTPUTF8 offered the address goes with it
# (libcurl asks for it itself), without it the reminder is given up before MAIL.
cw_restart_smtp CW_SMTP_UTF8=1 NO_PIPELINING=1
cw_add_carts 'françois@example.fr:fr'
cw_wait_for 20 "dead=1 sent=6" "$CW_STATES_SQL"
case "$(mail_parameters 'françois@example.fr')" in
    *SMTPUTF8*) ;;
    *) cw_fail "MAIL for françois over libcurl: $(mail_parameters 'françois@example.fr')" ;;
esac
grep -q '^To: françois@example\.fr' "$CW_WORK"/smtp/*-françois@example.fr.eml ||
    cw_fail "To: over libcurl: $(grep -m1 '^To:' "$CW_WORK"/smtp/*-françois@example.fr.eml)"
cw_restart_smtp NO_PIPELINING=1
cw_add_carts 'łucja@example.com:pl' ewa@example.com:pl
cw_wait_for 20 "dead=2 sent=7" "$CW_STATES_SQL"
case "$(reason_for 'łucja@example.com')" in
    *"does not offer SMTPUTF8 (RFC 6531)"*) ;;
    *) cw_fail "over libcurl, the outbox says: $(reason_for 'łucja@example.com')" ;;
esac
grep -q '^ewa@example\.com ' "$CW_WORK/smtp/accepted.log" || cw_fail "ewa's reminder did not go"

# 5. The relay offers SMTPUTF8 again; the operator requeues what it refused, and both given-up
# reminders go out (the claim checked their carts again), each once.
cw_restart_smtp CW_SMTP_UTF8=1
requeued=$(cw_sql -c "SELECT count(*) FROM cartwatch.requeue_reminders(ARRAY(
                          SELECT reminder_id FROM cartwatch.reminders
                           WHERE state = 'dead' AND last_error LIKE '%SMTPUTF8%'))")
[ "$requeued" = 2 ] || cw_fail "requeue_reminders() took $requeued reminders, not 2"
cw_wait_for 20 "sent=9" "$CW_STATES_SQL"
for address in 'zoë@example.com' 'łucja@example.com'; do
    grep -q "^$address " "$CW_WORK/smtp/accepted.log" || cw_fail "$address was not sent after the requeue"
done

cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
[ "$(cw_accepted_count)" = 9 ] || cw_fail "the server accepted $(cw_accepted_count) messages, not 9"
[ "$(cw_duplicate_count)" = 0 ] || cw_fail "a message arrived twice"
cw_log "a Unicode domain goes in its ASCII form on the shared connection; a Unicode local part" \
    "goes with SMTPUTF8 where it is offered (pipelined and libcurl) and is given up, with" \
    "the reason, where not, and goes once requeued; ASCII messages carry no SMTPUTF8"
