#!/usr/bin/env bash
# The commands scripts and packagers use: --version, check-config (and one clear error for a
# broken file), preview, once, and --dry-run.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_start_smtp
cw_write_config

"$CW_DAEMON" --version | grep -q '^cartwatchd [0-9]' || cw_fail "--version"

out=$(cw_daemon_command check-config 2>&1) || cw_fail "check-config failed: $out"
echo "$out" | grep -q '^ok    database: connected, cartwatch ' || cw_fail "check-config: $out"
echo "$out" | grep -q '^ok    smtp: smtp://127.0.0.1' || cw_fail "check-config smtp: $out"
echo "$out" | grep -q '^ok    templates in .*: de, en, fr, pl' || cw_fail "templates: $out"

# A broken value: one line naming the file, the line and the key; exit status 78 (EX_CONFIG).
cp "$CW_WORK/cartwatchd.toml" "$CW_WORK/broken.toml"
sed -i 's/^concurrency = 2$/concurrency = "many"/' "$CW_WORK/broken.toml"
line=$(grep -n '^concurrency' "$CW_WORK/broken.toml" | cut -d: -f1)
status=0
err=$("$CW_DAEMON" --config "$CW_WORK/broken.toml" check-config 2>&1) || status=$?
[ "$status" = 78 ] || cw_fail "broken config: exit $status"
echo "$err" | grep -q "broken.toml line $line: smtp.concurrency must be an integer" ||
    cw_fail "broken config message: $err"
# Secrets never come from the command line.
status=0
"$CW_DAEMON" --config "$CW_WORK/cartwatchd.toml" --set smtp.password=x check-config >/dev/null 2>&1 ||
    status=$?
[ "$status" = 78 ] || cw_fail "--set smtp.password was accepted"

# preview prints a cart's message and claims nothing.
cw_add_carts jonas@example.com:de
cart=$(cw_sql -c "SELECT max(cart_id) FROM cartwatch.carts")
preview=$(cw_daemon_command preview --cart "$cart" --step second)
echo "$preview" | grep -q '^Content-Language: de' || cw_fail "preview: $preview"
echo "$preview" | grep -q '^To: .*jonas@example.com' || cw_fail "preview To: $preview"
fr=$(cw_daemon_command preview --cart "$cart" --step first --locale fr)
echo "$fr" | grep -q '^Content-Language: fr' || cw_fail "preview --locale fr"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders")" = 0 ] || cw_fail "preview claimed"

# --dry-run: the message goes to a folder, not to the server.
cw_daemon_command --dry-run "$CW_WORK/eml" once >"$CW_WORK/dry.log" 2>&1 || cw_fail "dry run failed"
ls "$CW_WORK"/eml/*-jonas@example.com.eml >/dev/null 2>&1 || cw_fail "no .eml written"
[ "$(cw_accepted_count)" = 0 ] || cw_fail "the dry run reached the SMTP server"

# once: one cycle, then exit 0.
cw_add_carts camille@example.com:fr
cw_daemon_command once >"$CW_WORK/once.log" 2>&1 || cw_fail "once failed"
[ "$(cw_accepted_count)" = 1 ] || cw_fail "once sent $(cw_accepted_count) messages"
cw_log "--version, check-config, config errors, preview, --dry-run and once work"
