#!/usr/bin/env bash
# cartwatchd against an SMTP server that wants TLS and a login, with a certificate authority
# made for the test by openssl:
#   1. certificate verification is on by default: a server whose certificate no trusted CA
#      signed, or one issued for another host name, gets nothing - no message and no password;
#   2. starttls = "required" against a server that offers no STARTTLS (and would take AUTH in
#      clear) sends nothing in clear, not even the password;
#   3. a wrong password pauses sending with a clear line in the log, and the password appears
#      neither in the log nor in /metrics;
#   4. the right password in smtp.password_file and a SIGHUP: the reminders that waited through
#      1-3 go out, over TLS, logged in (AUTH PLAIN), each once;
#   5. AUTH LOGIN over STARTTLS, and smtps:// (TLS from the first byte).
# The reminders refused in 1-3 stay pending with no attempt used: none is lost.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_daemon_role
cw_add_carts anna@example.com:pl jonas@example.com:de emily@example.com:en
cw_make_certs                                        # server.pem: 127.0.0.1 and localhost
cw_make_certs elsewhere DNS:mail.elsewhere.example   # the same CA, another host name
tls=$CW_WORK/tls

password="Tr0ub4dor-$$-zebra"
wrong_password="c0rrect-horse-$$-battery"
printf '%s\n' "$password" >"$CW_WORK/server-password"
printf '%s\n' "$wrong_password" >"$CW_WORK/smtp-password"
chmod 600 "$CW_WORK/smtp-password"

# smtp_config URL [extra [smtp] lines]: STARTTLS required, user shop, the password file.
smtp_config() {
    CW_SMTP_URL=$1 CW_SMTP_STARTTLS=required CW_SMTP_EXTRA="username = \"shop\"
password_file = \"$CW_WORK/smtp-password\"
${2:-}" cw_write_config "${3:-}"
}
# once NAME: one cycle, its output in NAME.log; the exit status in ONCE_EXIT.
once() {
    ONCE_EXIT=0
    cw_daemon_command once >"$CW_WORK/$1.log" 2>&1 || ONCE_EXIT=$?
}
# Nothing went out and every reminder is back in the queue, untouched.
assert_nothing_sent() {
    [ "$(cw_accepted_count)" = 0 ] || cw_fail "$1: the server accepted a message"
    [ ! -s "$CW_WORK/smtp/auth.log" ] || cw_fail "$1: the password was sent: $(cat "$CW_WORK/smtp/auth.log")"
    [ "$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders WHERE state = 'pending' AND attempt = 0")" = 3 ] ||
        cw_fail "$1: the reminders are not back in the queue untouched: $(cw_states)"
}
starttls_server() {
    cw_start_secure_smtp --cert "$tls/$1.pem" --key "$tls/$1.key" --user shop \
        --password-file "$CW_WORK/server-password" "${@:2}"
}

# 1a. Verification on, no smtp.ca_file: the test CA is not among the system's.
starttls_server server
smtp_config "smtp://127.0.0.1:$CW_SMTP_PORT"
once untrusted
[ "$ONCE_EXIT" = 1 ] || cw_fail "once exited with $ONCE_EXIT against an untrusted certificate"
grep -q "SMTP server unusable (config_fault: curl error 60: .*certificate.*set smtp.ca_file" \
    "$CW_WORK/untrusted.log" || cw_fail "the log does not say the certificate is not trusted"
grep -q "3 reminder(s) went back to the queue unsent" "$CW_WORK/untrusted.log" ||
    cw_fail "the claimed reminders were not released"
assert_nothing_sent "untrusted certificate"
cw_stop_smtp

# 1b. The CA is trusted, but the certificate names another host.
starttls_server elsewhere
smtp_config "smtp://127.0.0.1:$CW_SMTP_PORT" "ca_file = \"$tls/ca.pem\""
once wrong-name
[ "$ONCE_EXIT" = 1 ] || cw_fail "once exited with $ONCE_EXIT against a certificate for another host"
grep -q "config_fault: curl error 60: .*another host name" "$CW_WORK/wrong-name.log" ||
    cw_fail "the log does not say the certificate is for another host"
assert_nothing_sent "certificate for another host"
cw_stop_smtp

# 2. No STARTTLS on offer, AUTH offered in clear: required means nothing goes out.
cw_start_secure_smtp --plain --user shop --password-file "$CW_WORK/server-password"
smtp_config "smtp://127.0.0.1:$CW_SMTP_PORT" "ca_file = \"$tls/ca.pem\""
once no-starttls
[ "$ONCE_EXIT" = 1 ] || cw_fail "once exited with $ONCE_EXIT without STARTTLS"
grep -q "config_fault: curl error 64: .*does not offer STARTTLS.*nothing is sent in clear" \
    "$CW_WORK/no-starttls.log" || cw_fail "the log does not say STARTTLS is missing"
assert_nothing_sent "no STARTTLS"
cw_stop_smtp

# 3. The wrong password, in the service, with metrics.
starttls_server server --mechanism PLAIN
metrics_port=$(cw_free_port)
smtp_config "smtp://127.0.0.1:$CW_SMTP_PORT" "ca_file = \"$tls/ca.pem\"" \
    "metrics_listen = \"127.0.0.1:$metrics_port\""
cw_start_daemon main
cw_wait_for_log 10 main.log "SMTP server unusable" || true
grep -q "SMTP server unusable (config_fault: 535 5.7.8 .*the server refused the login: check smtp.username" \
    "$CW_WORK/main.log" || cw_fail "the log does not say the login was refused"
grep -q "shop PLAIN tls=TLSv1.[23] denied" "$CW_WORK/smtp/auth.log" ||
    cw_fail "the server saw no refused login over TLS"
cw_wait_for 10 "3" "SELECT count(*) FROM cartwatch.reminders WHERE state = 'pending' AND attempt = 0"
[ "$(cw_accepted_count)" = 0 ] || cw_fail "a message went out with the wrong password"
curl -s "http://127.0.0.1:$metrics_port/metrics" >"$CW_WORK/metrics.txt"
grep -q '^cartwatchd_smtp_unavailable_total [1-9]' "$CW_WORK/metrics.txt" ||
    cw_fail "metrics do not count the refused login: $(grep smtp "$CW_WORK/metrics.txt")"

# 4. The right password, and a reload: what waited goes out.
printf '%s\n' "$password" >"$CW_WORK/smtp-password"
kill -HUP "$CW_PID_main"
cw_wait_for 30 "3" "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent'"
grep -q "configuration reloaded" "$CW_WORK/main.log" || cw_fail "no reload in the log"
[ "$(grep -c ' tls=TLSv1.[23] auth=shop$' "$CW_WORK/smtp/sessions.log")" = 3 ] ||
    cw_fail "not every message came over TLS, logged in: $(cat "$CW_WORK/smtp/sessions.log")"
grep -q "shop PLAIN tls=TLSv1.[23] ok" "$CW_WORK/smtp/auth.log" || cw_fail "no AUTH PLAIN login"
curl -s "http://127.0.0.1:$metrics_port/metrics" >>"$CW_WORK/metrics.txt"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_stop_smtp

# 5a. AUTH LOGIN over STARTTLS.
cw_add_carts login@example.com
starttls_server server --mechanism LOGIN
smtp_config "smtp://127.0.0.1:$CW_SMTP_PORT" "ca_file = \"$tls/ca.pem\""
once auth-login
[ "$ONCE_EXIT" = 0 ] || cw_fail "AUTH LOGIN: once exited with $ONCE_EXIT"
grep -q "shop LOGIN tls=TLSv1.[23] ok" "$CW_WORK/smtp/auth.log" || cw_fail "no AUTH LOGIN login"
grep -q "^login@example.com tls=TLSv1.[23] auth=shop$" "$CW_WORK/smtp/sessions.log" ||
    cw_fail "the AUTH LOGIN message did not come over TLS, logged in"
cw_stop_smtp

# 5b. smtps://: TLS from the first byte, then AUTH.
cw_add_carts smtps@example.com
starttls_server server --smtps
smtp_config "smtps://127.0.0.1:$CW_SMTP_PORT" "ca_file = \"$tls/ca.pem\""
once smtps
[ "$ONCE_EXIT" = 0 ] || cw_fail "smtps: once exited with $ONCE_EXIT"
grep -q "^smtps@example.com tls=TLSv1.[23] auth=shop$" "$CW_WORK/smtp/sessions.log" ||
    cw_fail "the smtps message did not come over TLS, logged in"
cw_stop_smtp

# Every reminder sent once, no attempt lost to the refusals.
[ "$(cw_states)" = "sent=5" ] || cw_fail "reminders: $(cw_states)"
[ "$(cw_accepted_count)" = 5 ] || cw_fail "the server accepted $(cw_accepted_count) messages, not 5"
[ "$(cw_duplicate_count)" = 0 ] || cw_fail "an address got two messages"
[ "$(cw_sql -c "SELECT max(attempt) FROM cartwatch.reminders")" = 1 ] ||
    cw_fail "the refusals used up attempts"

# No password, plain or in the base64 of AUTH PLAIN and LOGIN, in any log or in /metrics.
for secret in "$password" "$wrong_password"; do
    for form in "$secret" "$(printf '%s' "$secret" | base64 -w0)" \
        "$(printf '\0shop\0%s' "$secret" | base64 -w0)"; do
        for file in "$CW_WORK"/*.log "$CW_WORK/metrics.txt"; do
            [ "$(basename "$file")" = smtp.log ] && continue
            ! grep -qF -- "$form" "$file" || cw_fail "a password (as $form) is in $(basename "$file")"
        done
    done
done
cw_log "untrusted, misnamed and missing TLS refused before any password went out; wrong" \
    "password paused with a clear log line; after a reload 5 of 5 sent over TLS (PLAIN, LOGIN," \
    "smtps), none lost, no password in logs or metrics"
