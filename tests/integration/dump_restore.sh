#!/usr/bin/env bash
# pg_dump keeps a shop: dump a database with cartwatch and its data, restore it into a new
# database, and compare every user-data table, the changed settings and the identity sequences.
# shellcheck source=lib/dump_restore.sh
. "$(dirname "$0")/lib/dump_restore.sh" dump
psql -X -q -v ON_ERROR_STOP=1 -d "$source_db" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
\ir tests/regress/fixtures/shop.psql
INSERT INTO cartwatch.visits (customer_id, ip, started_at, start_url, page_views)
VALUES (1, '192.0.2.10', '2026-11-20 07:55+00', '/pl/kubki', 4);
INSERT INTO cartwatch.product_views (customer_id, product_id, viewed_at)
VALUES (1, 3, '2026-11-20 07:58+00');
SELECT cartwatch.set_setting('abandon_after', '3 hours');
-- ids handed out by the identity columns, to check the sequences survive
INSERT INTO cartwatch.customers (email) VALUES ('next@example.com');
-- retention: a changed policy, a removed default one, a run; an erasure
SELECT cartwatch.alter_retention_policy('visits', keep => '30 days');
SELECT cartwatch.remove_retention_policy('empty_carts');
CALL cartwatch.run_retention('2026-11-20 12:00+00', target => 'visits');
SELECT count(*) FROM cartwatch.forget_email('forgotten@example.com');
SQL

pg_dump -Fc -d "$source_db" -f "$work/shop.dump"
createdb "$target_db"
pg_restore --exit-on-error -d "$target_db" "$work/shop.dump"

snapshot() {
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT 'customers', count(*), md5(string_agg(t::text, '|' ORDER BY customer_id)) FROM cartwatch.customers t;
SELECT 'products', count(*), md5(string_agg(t::text, '|' ORDER BY product_id)) FROM cartwatch.products t;
SELECT 'carts', count(*), md5(string_agg(t::text, '|' ORDER BY cart_id)) FROM cartwatch.carts t;
SELECT 'cart_items', count(*), md5(string_agg(t::text, '|' ORDER BY cart_id, product_id, variant)) FROM cartwatch.cart_items t;
SELECT 'orders', count(*), md5(string_agg(t::text, '|' ORDER BY order_id)) FROM cartwatch.orders t;
SELECT 'visits', count(*), md5(string_agg(t::text, '|' ORDER BY visit_id)) FROM cartwatch.visits t;
SELECT 'product_views', count(*), md5(string_agg(t::text, '|' ORDER BY view_id)) FROM cartwatch.product_views t;
SELECT 'settings', count(*), string_agg(name || '=' || value, ',' ORDER BY name) FROM cartwatch.settings WHERE changed;
SELECT 'abandoned', count(*), string_agg(cart_id::text, ',' ORDER BY cart_id) FROM cartwatch.abandoned_carts('2026-11-20 12:00+00');
SELECT 'retention_policies', count(*), string_agg(target || '=' || keep || '/' || schedule_interval, ',' ORDER BY target) FROM cartwatch.retention_policies;
SELECT 'retention_runs', count(*), md5(string_agg(t::text, '|' ORDER BY run_id)) FROM cartwatch.retention_runs t;
SQL
}
snapshot "$source_db" >"$work/source.txt"
snapshot "$target_db" >"$work/target.txt"
if ! diff -u "$work/source.txt" "$work/target.txt"; then
    echo "FAIL: the restored database differs from the dumped one" >&2
    exit 1
fi
grep -q '^carts|6|' "$work/target.txt" || { echo "FAIL: carts were not restored" >&2; exit 1; }
grep -q '^settings|1|abandon_after=03:00:00' "$work/target.txt" ||
    { echo "FAIL: the changed setting was not restored" >&2; cat "$work/target.txt"; exit 1; }
grep -q '^retention_policies|5|.*visits=30 days/01:00:00' "$work/target.txt" &&
    ! grep -q 'empty_carts=' "$work/target.txt" &&
    grep -q '^retention_runs|1|' "$work/target.txt" ||
    { echo "FAIL: the retention policies or runs were not restored" >&2
      cat "$work/target.txt"; exit 1; }

# The identity sequences came along: the next customer does not collide with a restored one.
next_id=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$target_db" \
    -c "INSERT INTO cartwatch.customers (email) VALUES ('after@example.com') RETURNING customer_id")
max_before=$(psql -X -q -At -d "$source_db" -c "SELECT max(customer_id) FROM cartwatch.customers")
[ "$next_id" -gt "$max_before" ] || { echo "FAIL: sequence restarted: got id $next_id" >&2; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -d "$target_db" \
    -c "CALL cartwatch.run_retention('2026-11-20 12:00+00', target => 'visits')" 2>/dev/null
[ "$(psql -X -q -At -d "$target_db" -c "SELECT max(run_id) FROM cartwatch.retention_runs")" -gt 1 ] ||
    { echo "FAIL: the retention run sequence restarted" >&2; exit 1; }
echo "dump and restore kept every table, the settings and the sequences"
