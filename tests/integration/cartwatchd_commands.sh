#!/usr/bin/env bash
# The commands scripts and packagers use: --version, check-config (and one clear error for a
# broken file), preview, once, and --dry-run.
. "$(dirname "$0")/lib/cartwatchd.sh"

cw_create_database
cw_start_smtp
cw_write_config

"$CW_DAEMON" --version | grep -q '^cartwatchd [0-9]' || cw_fail "--version"

out=$(cw_daemon_command check-config 2>&1) || cw_fail "check-config failed: $out"
grep -q '^ok    database: connected, cartwatch ' <<<"$out" || cw_fail "check-config: $out"
grep -q '^ok    smtp: smtp://127.0.0.1' <<<"$out" || cw_fail "check-config smtp: $out"
grep -q '^ok    templates in .*: de, en, fr, pl' <<<"$out" || cw_fail "templates: $out"
grep -q '^ok    rendering: a sample reminder renders' <<<"$out" || cw_fail "rendering: $out"

# A password inside database.url is never printed; a CARTWATCH_ variable that names no key is
# said (a typo would otherwise change nothing without a word).
out=$(CARTWATCH_DATABASE_URL="postgresql://cartwatchd:url-s3cret@127.0.0.1:1/none" \
      CARTWATCH_SMTP_CONCURENCY=8 cw_daemon_command check-config 2>&1) || true
! grep -q 'url-s3cret' <<<"$out" || cw_fail "check-config printed the database password: $out"
grep -q 'postgresql://cartwatchd:(hidden)@127.0.0.1:1/none' <<<"$out" || cw_fail "hidden url: $out"
grep -q 'CARTWATCH_SMTP_CONCURENCY names no setting' <<<"$out" || cw_fail "no typo warning: $out"

# A sender address the mail library would refuse on every message is refused at start.
status=0
err=$(CARTWATCH_SMTP_FROM="Shop <shop@my_shop.example>" cw_daemon_command check-config 2>&1) ||
    status=$?
[ "$status" = 78 ] && grep -q 'smtp.from' <<<"$err" || cw_fail "bad sender: exit $status, $err"
status=0
err=$("$CW_DAEMON" --config "$CW_WORK/cartwatchd.toml" --log-level loud check-config 2>&1) ||
    status=$?
[ "$status" != 0 ] && grep -q -- '--log-level' <<<"$err" || cw_fail "bad --log-level: $err"

# A broken value: one line naming the file, the line and the key; exit status 78 (EX_CONFIG).
cp "$CW_WORK/cartwatchd.toml" "$CW_WORK/broken.toml"
sed -i 's/^concurrency = 2$/concurrency = "many"/' "$CW_WORK/broken.toml"
line=$(grep -n '^concurrency' "$CW_WORK/broken.toml" | cut -d: -f1)
status=0
err=$("$CW_DAEMON" --config "$CW_WORK/broken.toml" check-config 2>&1) || status=$?
[ "$status" = 78 ] || cw_fail "broken config: exit $status"
grep -q "broken.toml line $line: smtp.concurrency must be an integer" <<<"$err" ||
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
grep -q '^Content-Language: de' <<<"$preview" || cw_fail "preview: $preview"
grep -q '^To: .*jonas@example.com' <<<"$preview" || cw_fail "preview To: $preview"
fr=$(cw_daemon_command preview --cart "$cart" --step first --locale fr)
grep -q '^Content-Language: fr' <<<"$fr" || cw_fail "preview --locale fr"
# A registered customer's cart greets by first name; CR/LF in the stored name never reaches
# a header or the greeting as a line break.
cw_add_carts zofia@example.com:pl
cw_sql <<'SQL' >/dev/null
WITH zofia AS (
    INSERT INTO cartwatch.customers (email, first_name, last_name, locale, registered_at,
                                     reminder_consent)
    VALUES ('zofia@example.com', 'Zofia', E'Nowak\r\nBcc: x@example.com', 'pl',
            now() - interval '1 year', true)
    RETURNING customer_id)
UPDATE cartwatch.carts SET customer_id = (SELECT customer_id FROM zofia), guest_email = NULL
 WHERE guest_email = 'zofia@example.com';
SQL
zofia_cart=$(cw_sql -c "SELECT max(cart_id) FROM cartwatch.carts")
cw_daemon_command preview --cart "$zofia_cart" --step first >"$CW_WORK/zofia.eml"
# Prints: the header names, the To display name, the plain part's first line.
summary=$(/usr/bin/python3 -c 'import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(",".join(sorted(set(k.lower() for k in m.keys()))))
print(m["To"].addresses[0].display_name)
print(m.get_body(("plain",)).get_content().split("\n")[0])' "$CW_WORK/zofia.eml") ||
    cw_fail "the preview does not parse: $(cat "$CW_WORK/zofia.eml")"
[ "$(sed -n 3p <<<"$summary")" = "Cześć Zofio!" ] || cw_fail "preview greeting: $summary"
grep -q '^Content-Language: pl' "$CW_WORK/zofia.eml" || cw_fail "preview pl: $summary"
case "$(sed -n 1p <<<"$summary")" in *bcc*) cw_fail "a CR/LF in the name made a header: $summary" ;; esac
sed -n 2p <<<"$summary" | grep -q '^Zofia Nowak' || cw_fail "preview To name: $summary"
[ "$(cw_sql -c "SELECT count(*) FROM cartwatch.reminders")" = 0 ] || cw_fail "preview claimed"
# A cart that would get no reminder is still shown, with the reason on stderr; a cart without
# an address cannot be previewed as a message.
cw_add_carts olga@example.com:en
ordered=$(cw_sql -c "SELECT max(cart_id) FROM cartwatch.carts")
cw_sql -c "INSERT INTO cartwatch.orders (cart_id, email, total) VALUES ($ordered, 'olga@example.com', 1)" >/dev/null
cw_daemon_command preview --cart "$ordered" --step first >/dev/null 2>"$CW_WORK/veto.err" ||
    cw_fail "preview of an ordered cart failed: $(cat "$CW_WORK/veto.err")"
grep -q "would get no reminder now (ordered)" "$CW_WORK/veto.err" ||
    cw_fail "preview veto: $(cat "$CW_WORK/veto.err")"
anonymous=$(cw_sql -c "INSERT INTO cartwatch.carts (locale, currency) VALUES ('en', 'EUR') RETURNING cart_id")
status=0
err=$(cw_daemon_command preview --cart "$anonymous" --step first 2>&1) || status=$?
[ "$status" = 1 ] && grep -q "has no e-mail address" <<<"$err" || cw_fail "address-less preview: $err"

# --dry-run: the message goes to a folder, not to the server.
cw_daemon_command --dry-run "$CW_WORK/eml" once >"$CW_WORK/dry.log" 2>&1 || cw_fail "dry run failed"
ls "$CW_WORK"/eml/*-jonas@example.com.eml >/dev/null 2>&1 || cw_fail "no .eml written"
[ "$(cw_accepted_count)" = 0 ] || cw_fail "the dry run reached the SMTP server"

# once: one cycle, then exit 0.
cw_add_carts camille@example.com:fr
cw_daemon_command once >"$CW_WORK/once.log" 2>&1 || cw_fail "once failed"
[ "$(cw_accepted_count)" = 1 ] || cw_fail "once sent $(cw_accepted_count) messages"
cw_log "--version, check-config, config errors, preview, --dry-run and once work"
