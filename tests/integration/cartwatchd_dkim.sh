#!/usr/bin/env bash
# DKIM signing in cartwatchd ([dkim] domain, selector, key_file), for a relay that does not
# sign: check-config proves the key; every message goes out with one DKIM-Signature for
# d=shop.example, s=cw2026 that covers From, Subject and both List-Unsubscribe fields (RFC 8058
# honours one-click unsubscribe only under such a signature), a UTF-8 To: (SMTPUTF8) included;
# a key file that holds no key
# stops the daemon before it claims anything, with one error naming dkim.key_file. SIGHUP
# takes a new selector and key; a reload naming a broken key is refused, signing goes on.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_carts dkim.anna@example.com:pl dkim.jonas@example.com:de 'dkim.zoë@example.com:fr'
CW_SMTP_UTF8=1 cw_start_smtp
openssl genrsa -out "$CW_WORK/dkim.pem" 2048 2>/dev/null || cw_fail "openssl genrsa failed"
with_dkim() { # with_dkim KEY_FILE: the test config with signing on
    cw_write_config
    printf '\n[dkim]\ndomain = "shop.example"\nselector = "cw2026"\nkey_file = "%s"\n' "$1" \
        >>"$CW_WORK/cartwatchd.toml"
}

# A key that is no key: refused at start (exit 78, EX_CONFIG), nothing claimed.
printf 'not a key\n' >"$CW_WORK/broken.pem"
with_dkim "$CW_WORK/broken.pem"
status=0
err=$(cw_daemon_command once 2>&1) || status=$?
[ "$status" = 78 ] && grep -q "dkim.key_file $CW_WORK/broken.pem" <<<"$err" ||
    cw_fail "a broken key: exit $status, $err"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders WHERE attempt > 0")" = 0 ] ||
    cw_fail "a broken key still claimed reminders"
out=$(cw_daemon_command check-config 2>&1) && cw_fail "check-config passed a broken key: $out"
grep -q '^FAIL  dkim: dkim.key_file' <<<"$out" || cw_fail "check-config on a broken key: $out"

with_dkim "$CW_WORK/dkim.pem"
out=$(cw_daemon_command check-config 2>&1) || cw_fail "check-config failed: $out"
grep -q "^ok    dkim: signing as d=shop.example, s=cw2026 with $CW_WORK/dkim.pem" <<<"$out" ||
    cw_fail "check-config does not report the signer: $out"
cw_daemon_command once >"$CW_WORK/once.log" 2>&1 || cw_fail "once failed: $(cat "$CW_WORK/once.log")"
[ "$(cw_accepted_count)" = 3 ] || cw_fail "accepted $(cw_accepted_count) messages, not 3"

/usr/bin/python3 - "$CW_WORK/smtp" <<'PY' || cw_fail "the messages are not signed as configured"
import email, email.policy, glob, re, sys
files = sorted(glob.glob(sys.argv[1] + "/*-dkim.*.eml"))
assert len(files) == 3, files
for path in files:
    with open(path, "rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.compat32)
    signatures = message.get_all("DKIM-Signature") or []
    assert len(signatures) == 1, (path, signatures)
    tags = {k.strip(): re.sub(r"\s+", "", v)
            for k, v in (t.split("=", 1) for t in signatures[0].split(";") if "=" in t)}
    assert tags["d"] == "shop.example" and tags["s"] == "cw2026", tags
    assert tags["a"] == "rsa-sha256" and tags["bh"] and tags["b"], tags
    signed = tags["h"].lower().split(":")
    for field in ("from", "to", "subject", "list-unsubscribe", "list-unsubscribe-post"):
        assert field in signed, (field, signed)
    # The signature is the first field: it signs what follows as the relay passes it on.
    with open(path, "rb") as f:
        assert f.readline().lower().startswith(b"dkim-signature:"), path
PY

# The s= tag of the one DKIM-Signature of the message the server took for ADDRESS (the field
# is folded over several lines).
selector_of() {
    /usr/bin/python3 - "$CW_WORK"/smtp/*-"$1".eml <<'PY'
import email, email.policy, re, sys
with open(sys.argv[1], "rb") as f:
    field = email.message_from_binary_file(f, policy=email.policy.compat32)["DKIM-Signature"]
print(re.search(r"(?:^|;)\s*s=([^;\s]+)", re.sub(r"\s+", " ", field)).group(1))
PY
}

# A reload takes a new selector and key with the rest of the configuration: the daemon signs
# the next message with them; a reload naming a broken key is refused and signing goes on.
openssl genrsa -out "$CW_WORK/dkim2.pem" 2048 2>/dev/null || cw_fail "openssl genrsa failed"
cw_start_daemon main
cw_wait_for_log 20 main.log "connected to the database" || cw_fail "the daemon did not start"
sed -i -e 's|^selector = .*|selector = "cw2027"|' -e "s|^key_file = .*|key_file = \"$CW_WORK/dkim2.pem\"|" \
    "$CW_WORK/cartwatchd.toml"
kill -HUP "$CW_PID_main"
cw_wait_for_log 20 main.log "configuration reloaded" || cw_fail "the reload did not happen"
cw_add_carts dkim.after-reload@example.com:en
cw_wait_for 20 sent "SELECT state FROM cartwatch.reminders WHERE email = 'dkim.after-reload@example.com'"
selector=$(selector_of dkim.after-reload@example.com)
[ "$selector" = cw2027 ] || cw_fail "the reloaded selector was not used: s=$selector"
sed -i "s|^key_file = .*|key_file = \"$CW_WORK/broken.pem\"|" "$CW_WORK/cartwatchd.toml"
kill -HUP "$CW_PID_main"
cw_wait_for_log 20 main.log "reload failed, the running configuration stays: dkim.key_file $CW_WORK/broken.pem" ||
    cw_fail "a reload with a broken key was not refused"
cw_add_carts dkim.after-refusal@example.com:en
cw_wait_for 20 sent "SELECT state FROM cartwatch.reminders WHERE email = 'dkim.after-refusal@example.com'"
selector=$(selector_of dkim.after-refusal@example.com)
[ "$selector" = cw2027 ] || cw_fail "signing changed after a refused reload: s=$selector"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_log "DKIM: a broken key refused at start (78) and at reload; messages signed d=shop.example," \
    "s=cw2026 then s=cw2027 after SIGHUP, List-Unsubscribe and List-Unsubscribe-Post covered"
