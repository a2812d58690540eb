#!/usr/bin/env bash
# SIGHUP while reminders are going out: cartwatchd reads its config and templates again.
#   1. 16 reminders sent slowly (2 per second); after the first few, the shop's name, the
#      sender, the recovery link, the rate and the English subject change, and a SIGHUP
#      follows. Every message is rendered wholly with the old settings or wholly with the new
#      ones (the envelope sender included), the new ones go out after the reload, and each
#      of the 16 goes out once: none dropped, none twice.
#   2. A config with a bad value, then one that is not TOML, then a template that names an
#      unknown placeholder: each reload is refused with the file, the line (or template) and
#      the key in the log, and the running settings stay - the next carts get them.
#   3. A SIGPIPE (what a write to a peer that hung up raises) leaves the daemon running: under
#      systemd a death by SIGPIPE is a clean exit that Restart=on-failure would not restart.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_add_many_carts customer 16
cw_start_smtp
cp -r "$CW_SOURCE/mail_templates" "$CW_WORK/templates"
config=$CW_WORK/cartwatchd.toml
cw_write_config
sed -i -e "s|^dir = .*|dir = \"$CW_WORK/templates\"|" \
    -e 's|^rate_per_second = .*|rate_per_second = 2|' "$config"
cw_start_daemon main

# 1. The reload, with reminders waiting for their rate slot and on the wire.
cw_wait_for 30 t "SELECT count(*) >= 3 FROM cartwatch.reminders WHERE state = 'sent'"
sed -i -e 's|^name = "Sklep Żółw"|name = "Sklep Nowy"|' \
    -e 's|^from = .*|from = "Sklep Nowy <nowy@shop.example>"|' \
    -e 's|^recovery_url = .*|recovery_url = "https://new.shop.example/koszyk/{token}"|' \
    -e 's|^rate_per_second = .*|rate_per_second = 50|' "$config"
printf 'Reminder v2: your cart at {{shop_name}}\n' >"$CW_WORK/templates/en/first_reminder.subject"
sent_before=$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent'")
kill -HUP "$CW_PID_main"
cw_wait_for 30 16 "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent'"
grep -q "configuration reloaded: at most 50 per second, 4 language(s) of templates" \
    "$CW_WORK/main.log" || cw_fail "the reload did not take the new rate"
[ "$sent_before" -lt 16 ] || cw_fail "everything was sent before the reload: nothing to show"

# Each message, in the order the server took them: old or new, never a mix.
versions=$(/usr/bin/python3 - "$CW_WORK/smtp" <<'PY'
import email, email.policy, glob, os, sys
# The envelope sender (MAIL FROM) of each message, by Message-ID, as the server took it.
envelope = dict(line.split()[1:3] for line in open(os.path.join(sys.argv[1], "accepted.log")))
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",)).get_content()
    mail_from = envelope.get(str(msg["Message-ID"]))
    old = (str(msg["Subject"]) == "You left something in your cart at Sklep Żółw",
           "<sklep@shop.example>" in str(msg["From"]), "https://shop.example/cart/" in text,
           mail_from == "<sklep@shop.example>")
    new = (str(msg["Subject"]) == "Reminder v2: your cart at Sklep Nowy",
           "Sklep Nowy <nowy@shop.example>" in str(msg["From"]),
           "https://new.shop.example/koszyk/" in text, mail_from == "<nowy@shop.example>")
    print("old" if all(old) else "new" if all(new) else f"mixed:{os.path.basename(path)}")
PY
)
grep -q mixed <<<"$versions" && cw_fail "a message mixed old and new settings: $versions"
old_count=$(echo "$versions" | grep -c '^old$' || true)
new_count=$(echo "$versions" | grep -c '^new$' || true)
[ "$old_count" -ge "$sent_before" ] && [ "$new_count" -ge 1 ] ||
    cw_fail "$old_count old and $new_count new messages, $sent_before sent before the reload"
# Rendered before the reload and still on the way (at most one per sender) may arrive after
# the first new one; nothing else old may.
late_old=$(echo "$versions" | awk '/^new$/ {seen = 1} seen && /^old$/ {n++} END {print n + 0}')
[ "$late_old" -le 2 ] || cw_fail "$late_old old messages arrived after the first new one"
[ "$(cw_accepted_count)" = 16 ] || cw_fail "the server accepted $(cw_accepted_count), not 16"
[ "$(cw_duplicate_count)" = 0 ] || cw_fail "an address got two messages"
[ "$(cw_sql -c "SELECT max(attempt) FROM cartwatch.reminders")" = 1 ] ||
    cw_fail "the reload cost a retry"

# 2. Broken reloads: refused, logged with where and what, and the running settings stay.
reload_refused() { # reload_refused PATTERN: SIGHUP, then the refusal with PATTERN in the log
    local before
    before=$(grep -c "reload failed" "$CW_WORK/main.log" || true)
    kill -HUP "$CW_PID_main"
    for _ in $(seq 1 50); do
        [ "$(grep -c "reload failed" "$CW_WORK/main.log")" -gt "$before" ] && break
        sleep 0.1
    done
    grep "reload failed" "$CW_WORK/main.log" | tail -n 1 | grep -q -- "$1" ||
        cw_fail "the refused reload does not say [$1]: $(grep "reload failed" "$CW_WORK/main.log" | tail -n 1)"
    kill -0 "$CW_PID_main" 2>/dev/null || cw_fail "a broken reload stopped the daemon"
}
cp "$config" "$CW_WORK/good.toml"
sed -i 's|^concurrency = .*|concurrency = "many"|' "$config"
line=$(grep -n '^concurrency = "many"' "$config" | cut -d: -f1)
reload_refused "reload failed, the running configuration stays: $config line $line: smtp.concurrency must be an integer"
printf '[shop\nname = "Sklep Zepsuty"\n' >"$config"
reload_refused "$config line 1: "
cp "$CW_WORK/good.toml" "$config"
printf 'Hello {{no_such_placeholder}}\n' >"$CW_WORK/templates/en/first_reminder.txt"
reload_refused "en/first_reminder.txt.*unknown name {{no_such_placeholder}}"

# The daemon goes on with what it had: the last good config and templates.
cw_add_carts after@example.com
cw_wait_for 20 sent "SELECT state FROM cartwatch.reminders WHERE email = 'after@example.com'"
after_file=$(ls "$CW_WORK"/smtp/*-after@example.com.eml)
grep -q '^Subject: Reminder v2: your cart at Sklep Nowy' "$after_file" ||
    cw_fail "the message after the refused reloads lost the running settings: $(grep '^Subject' "$after_file")"

# 3. SIGPIPE is ignored; the daemon keeps sending.
kill -PIPE "$CW_PID_main"
cw_add_carts after-pipe@example.com
cw_wait_for 20 sent "SELECT state FROM cartwatch.reminders WHERE email = 'after-pipe@example.com'"
kill -0 "$CW_PID_main" 2>/dev/null || cw_fail "a SIGPIPE ended the daemon"
cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_log "reload mid-batch: $old_count old + $new_count new messages, none mixed, 16 of 16 once;" \
    "3 broken reloads refused with line and key, the running settings kept"
