#!/usr/bin/env bash
# The shop's own address beyond ASCII (smtp.from). A Unicode domain (sklep@księgarnia.example)
# goes in its ASCII form (IDNA2008: xn--ksigarnia-2ib.example) wherever the message names it:
# MAIL FROM, From:, the Message-ID, the List-Unsubscribe mailto:, to any relay, with no
# SMTPUTF8. A local part beyond ASCII (łucja@...) has no ASCII form: check-config warns that it
# needs SMTPUTF8 and fails against a relay without it; the daemon starts with the warning, and a
# relay without SMTPUTF8 is a configuration fault: sending pauses with the reason in the log,
# the reminders go back unattempted (none given up, nobody suppressed). Once the relay offers
# SMTPUTF8 (and a SIGHUP says so), they go, UTF-8 in MAIL FROM and From:, with SMTPUTF8 on
# MAIL, pipelined and over libcurl (a relay without PIPELINING).
. "$(dirname "$0")/lib/cartwatchd.sh"

ascii_domain=xn--ksigarnia-2ib.example
# The envelope sender the relay saw for ADDRESS, and the MAIL parameters.
envelope_sender() { awk -v a="$1" '$1 == a { print $3 }' "$CW_WORK/smtp/accepted.log"; }
mail_parameters() { awk -v a="$1" '$1 == a { $1 = ""; $2 = ""; print substr($0, 3) }' \
    "$CW_WORK/smtp/envelopes.log"; }
# A header field of the message to ADDRESS as it is sent, unfolded (header_of ADDRESS NAME),
# or with its encoded-words decoded (header_of ADDRESS NAME decoded).
header_of() {
    python3 - "$CW_WORK"/smtp/*-"$1".eml "$2" "${3:-}" <<'PY'
import email, email.policy, re, sys
path, name, decoded = sys.argv[1:]
head = open(path, "rb").read().split(b"\r\n\r\n", 1)[0].decode("utf-8")
fields = re.split(r"\r\n(?![ \t])", head)
for field in fields:
    key, _, value = field.partition(":")
    if key.lower() == name.lower():
        value = re.sub(r"\r\n(?=[ \t])", "", value).strip()
        if decoded:
            parsed = email.message_from_string(f"{name}: {value}\n\n", policy=email.policy.default)
            value = str(parsed[name])
        print(value)
        break
PY
}
unattempted_sql="SELECT count(*) FROM cartwatch.reminders
                  WHERE state = 'pending' AND attempt = 0 AND failures = 0"

cw_create_database
cw_start_smtp
CW_SMTP_CONCURRENCY=1 cw_write_config
export CARTWATCH_SHOP_UNSUBSCRIBE_MAILBOX='wypisz@księgarnia.example'

# 1. A Unicode domain, an ASCII local part, a relay without SMTPUTF8.
export CARTWATCH_SMTP_FROM='Księgarnia Żółw <sklep@księgarnia.example>'
out=$(cw_daemon_command check-config 2>&1) || cw_fail "check-config: $out"
grep -q "SMTPUTF8" <<<"$out" && cw_fail "check-config speaks of SMTPUTF8 for an ASCII local part: $out"
cw_add_carts anna@example.com:pl 'jan@müller.example:de'
cw_start_daemon main
cw_wait_for 20 "sent=2" "$CW_STATES_SQL"
for address in anna@example.com jan@xn--mller-kva.example; do
    [ "$(envelope_sender "$address")" = "<sklep@$ascii_domain>" ] ||
        cw_fail "MAIL FROM for $address: $(envelope_sender "$address")"
    case "$(mail_parameters "$address")" in
        *SMTPUTF8*) cw_fail "SMTPUTF8 for an ASCII sender: $(mail_parameters "$address")" ;;
    esac
    [ "$(header_of "$address" From decoded)" = "Księgarnia Żółw <sklep@$ascii_domain>" ] ||
        cw_fail "From: for $address: $(header_of "$address" From)"
    case "$(header_of "$address" Message-ID)" in
        "<cw."*"@$ascii_domain>") ;;
        *) cw_fail "Message-ID for $address: $(header_of "$address" Message-ID)" ;;
    esac
    case "$(header_of "$address" List-Unsubscribe)" in
        *"<mailto:wypisz@$ascii_domain?"*) ;;
        *) cw_fail "List-Unsubscribe for $address: $(header_of "$address" List-Unsubscribe)" ;;
    esac
    # The whole message is ASCII: the display name encoded, the domain in its ASCII form.
    if LC_ALL=C grep -q -a '[^ -~	]' <(tr -d '\r\n' <"$CW_WORK"/smtp/*-"$address".eml); then
        cw_fail "the message to $address is not ASCII"
    fi
done
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"

# 2. A local part beyond ASCII, the same relay: check-config warns and fails on the relay; the
# daemon starts, warns, and pauses at the first message, losing none.
export CARTWATCH_SMTP_FROM='Łucja z Księgarni <łucja@księgarnia.example>'
warning="smtp.from łucja@$ascii_domain has a local part beyond ASCII: it can only be sent through a relay that offers SMTPUTF8"
if out=$(cw_daemon_command check-config 2>&1); then
    cw_fail "check-config passed with a relay without SMTPUTF8: $out"
fi
grep -q -F "$warning" <<<"$out" || cw_fail "check-config does not warn: $out"
grep -q -F "FAIL  smtp: the server does not offer SMTPUTF8, which smtp.from needs" <<<"$out" ||
    cw_fail "check-config does not name the missing SMTPUTF8: $out"
cw_add_carts ola@example.com:pl 'zoë@example.com:fr'
: >"$CW_WORK/main.log"
cw_start_daemon main
cw_wait_for_log 20 main.log "SMTP server unusable (config_fault: 553 5.6.7 not sent by cartwatchd: the sender address (smtp.from) is not ASCII and the SMTP server does not offer SMTPUTF8 (RFC 6531); the relay must offer it" ||
    cw_fail "a relay without SMTPUTF8 did not pause sending with the reason"
grep -q -F "$warning" "$CW_WORK/main.log" || cw_fail "the daemon did not warn at start"
# Polled: after the backoff the daemon claims them again and pauses again.
cw_wait_for 10 "2" "$unattempted_sql"
[ "$(cw_states)" = "pending=2 sent=2" ] || cw_fail "states: $(cw_states)"
[ "$(cw_accepted_count)" = 2 ] || cw_fail "the server accepted $(cw_accepted_count) messages, not 2"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.suppressions")" = 0 ] ||
    cw_fail "a relay without SMTPUTF8 suppressed an address"
grep -q "giving up" "$CW_WORK/main.log" && cw_fail "a reminder was given up: $(grep 'giving up' "$CW_WORK/main.log")"

# 3. The relay now offers SMTPUTF8; a reload resumes at once. UTF-8 in MAIL FROM and in From:
# (RFC 6532, the display name still encoded), the domain still in its ASCII form, SMTPUTF8 on
# MAIL for the ASCII recipient and the UTF-8 one alike.
cw_restart_smtp CW_SMTP_UTF8=1
kill -HUP "$CW_PID_main"
cw_wait_for 20 "sent=4" "$CW_STATES_SQL"
for address in ola@example.com 'zoë@example.com'; do
    [ "$(envelope_sender "$address")" = "<łucja@$ascii_domain>" ] ||
        cw_fail "MAIL FROM for $address: $(envelope_sender "$address")"
    case "$(mail_parameters "$address")" in
        *BODY=*) cw_fail "MAIL for $address: $(mail_parameters "$address")" ;;
        *SMTPUTF8*) ;;
        *) cw_fail "MAIL for $address without SMTPUTF8: $(mail_parameters "$address")" ;;
    esac
    # The display name encoded as ever, the local part raw: nothing else for it exists.
    case "$(header_of "$address" From)" in
        "=?UTF-8?Q?"*"?= <łucja@$ascii_domain>") ;;
        *) cw_fail "From: for $address: $(header_of "$address" From)" ;;
    esac
    [ "$(header_of "$address" From decoded)" = "Łucja z Księgarni <łucja@$ascii_domain>" ] ||
        cw_fail "From: for $address, decoded: $(header_of "$address" From decoded)"
    case "$(header_of "$address" Message-ID)" in
        "<cw."*"@$ascii_domain>") ;;
        *) cw_fail "Message-ID for $address: $(header_of "$address" Message-ID)" ;;
    esac
done

# 4. and 5. Over libcurl (no PIPELINING): without SMTPUTF8 the same pause, none given up; with
# it the message goes, libcurl asking for SMTPUTF8 itself.
cw_restart_smtp NO_PIPELINING=1
: >"$CW_WORK/main.log"
cw_add_carts ewa@example.com:pl
cw_wait_for_log 20 main.log "SMTP server unusable (config_fault: 553 5.6.7 not sent by cartwatchd: the sender address (smtp.from) is not ASCII" ||
    cw_fail "over libcurl, a relay without SMTPUTF8 did not pause sending"
cw_wait_for 10 "1" "$unattempted_sql"
cw_restart_smtp CW_SMTP_UTF8=1 NO_PIPELINING=1
kill -HUP "$CW_PID_main"
cw_wait_for 20 "sent=5" "$CW_STATES_SQL"
[ "$(envelope_sender ewa@example.com)" = "<łucja@$ascii_domain>" ] ||
    cw_fail "MAIL FROM over libcurl: $(envelope_sender ewa@example.com)"
case "$(mail_parameters ewa@example.com)" in
    *SMTPUTF8*) ;;
    *) cw_fail "MAIL over libcurl without SMTPUTF8: $(mail_parameters ewa@example.com)" ;;
esac

cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
[ "$(cw_accepted_count)" = 5 ] || cw_fail "the server accepted $(cw_accepted_count) messages, not 5"
[ "$(cw_duplicate_count)" = 0 ] || cw_fail "a message arrived twice"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders WHERE state = 'dead'")" = 0 ] ||
    cw_fail "a reminder was given up"
cw_log "a Unicode sender domain goes in its ASCII form in MAIL FROM, From:, Message-ID and the" \
    "mailto:; a Unicode local part is warned of, pauses sending without SMTPUTF8 (none lost)" \
    "and goes with SMTPUTF8, pipelined and over libcurl, once the relay offers it"
