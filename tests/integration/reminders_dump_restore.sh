#!/usr/bin/env bash
# pg_dump keeps the reminder outbox: reminders, suppressions and the link keys survive a dump and
# restore, so links in e-mails already sent keep working in the restored shop, while new links
# are signed with the key the restore's own CREATE EXTENSION generated.
# shellcheck source=lib/dump_restore.sh
. "$(dirname "$0")/lib/dump_restore.sh" reminder_dump
psql -X -q -v ON_ERROR_STOP=1 -d "$source_db" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
\ir tests/regress/fixtures/reminders.psql
SELECT cartwatch.schedule_reminders('2026-11-20 12:00+00');
CREATE TABLE public.links AS
SELECT cart_id, recovery_token, unsubscribe_token
  FROM cartwatch.claim_reminders('w', 100, '5 minutes', '2026-11-20 12:01+00');
SELECT cartwatch.complete_reminder(r.reminder_id, 'w', '<m>', '250', 's', 't', '2026-11-20 12:02+00')
  FROM cartwatch.reminders AS r WHERE r.state = 'claimed';
SQL

pg_dump -Fc -d "$source_db" -f "$work/shop.dump"
createdb "$target_db"
pg_restore --exit-on-error -d "$target_db" "$work/shop.dump"

snapshot() {
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT 'reminders', count(*), md5(string_agg(t::text, '|' ORDER BY reminder_id)) FROM cartwatch.reminders t;
SELECT 'suppressions', count(*), md5(string_agg(t::text, '|' ORDER BY email_hash)) FROM cartwatch.suppressions t;
SELECT 'links', count(*), md5(string_agg(t::text, '|' ORDER BY cart_id)) FROM public.links t;
SQL
}
snapshot "$source_db" >"$work/source.txt"
snapshot "$target_db" >"$work/target.txt"
if ! diff -u "$work/source.txt" "$work/target.txt"; then
    echo "FAIL: the restored outbox differs from the dumped one" >&2
    exit 1
fi
grep -q '^reminders|10|' "$work/target.txt" || { echo "FAIL: reminders missing" >&2; cat "$work/target.txt"; exit 1; }

check() {
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$target_db" -c "$1"
}
# Old links still work in the restored shop; new ones come from the restore's own key.
[ "$(check "SELECT count(*) FROM public.links AS l, cartwatch.cart_from_recovery_token(l.recovery_token) AS c")" = 5 ] ||
    { echo "FAIL: recovery links from before the dump stopped working" >&2; exit 1; }
[ "$(check "SELECT bool_and(cartwatch.unsubscribe(l.unsubscribe_token)) FROM public.links AS l")" = t ] ||
    { echo "FAIL: unsubscribe links from before the dump stopped working" >&2; exit 1; }
[ "$(check "SELECT count(*) FROM cartwatch.token_keys")" = 2 ] ||
    { echo "FAIL: expected the dumped key beside the new one" >&2; exit 1; }
[ "$(check "SELECT cartwatch.signing_key() <> (SELECT secret FROM cartwatch.token_keys ORDER BY created_at LIMIT 1)")" = t ] ||
    { echo "FAIL: new links are not signed with the restore's own key" >&2; exit 1; }
# The identity sequence came along.
check "SELECT cartwatch.schedule_reminders('2026-11-21 12:00+00')" >/dev/null
new_ids=$(check "SELECT count(*) FROM cartwatch.reminders WHERE scheduled_at = '2026-11-21 12:00+00'")
first_new=$(check "SELECT min(reminder_id) FROM cartwatch.reminders WHERE scheduled_at = '2026-11-21 12:00+00'")
[ "$new_ids" -gt 0 ] && [ "$first_new" -gt 10 ] ||
    { echo "FAIL: reminder ids restarted (first new id $first_new)" >&2; exit 1; }
echo "dump and restore kept the outbox, the suppressions and working links"
