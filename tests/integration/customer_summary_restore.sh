#!/usr/bin/env bash
# The customer summary is derived data and is not dumped: pg_restore replays customers, carts,
# items, orders and visits through the summary triggers, which must rebuild it exactly. Notes
# and wishlists are user data and come back from the dump.
# shellcheck source=lib/dump_restore.sh
. "$(dirname "$0")/lib/dump_restore.sh" summary
psql -X -q -v ON_ERROR_STOP=1 -d "$source_db" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
\ir tests/regress/fixtures/shop.psql
INSERT INTO cartwatch.customers (customer_id, email, registered_at)
SELECT n, 'c' || n || '@example.com', '2025-01-01' FROM generate_series(100, 400) AS n;
INSERT INTO cartwatch.carts (customer_id, created_at, last_activity_at)
SELECT 100 + n % 300, '2026-11-01', '2026-11-01' FROM generate_series(1, 900) AS n;
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
SELECT cart_id, 1 + cart_id % 3, 1 + cart_id % 2, '2026-11-02' FROM cartwatch.carts WHERE cart_id > 15;
INSERT INTO cartwatch.orders (customer_id, cart_id, status, total, placed_at)
SELECT customer_id, cart_id,
       (ARRAY['pending','paid','shipped','delivered','cancelled','returned','refunded'])[1 + cart_id % 7],
       cart_id % 500, '2026-11-03'
  FROM cartwatch.carts WHERE cart_id > 15 AND cart_id % 3 = 0;
INSERT INTO cartwatch.visits (customer_id, started_at)
SELECT 100 + n % 250, '2026-10-01'::timestamptz + n * interval '1 hour' FROM generate_series(1, 2000) AS n;
SELECT cartwatch.set_customer_note(1, 'VIP');
INSERT INTO cartwatch.wishlist_items (customer_id, product_id) VALUES (1, 2), (2, 3);
SQL

pg_dump -Fc -d "$source_db" -f "$work/shop.dump"
createdb "$target_db"
pg_restore --exit-on-error -d "$target_db" "$work/shop.dump"

snapshot() {
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT 'summary', count(*), md5(string_agg(t::text, '|' ORDER BY customer_id)) FROM cartwatch.customer_totals t;
SELECT 'notes', count(*), string_agg(customer_id || '=' || note, ',') FROM cartwatch.customer_notes;
SELECT 'wishlists', count(*) FROM cartwatch.wishlist_items;
SELECT 'check', count(*) FROM cartwatch.check_customer_summary();
SQL
}
snapshot "$source_db" >"$work/source.txt"
snapshot "$target_db" >"$work/target.txt"
if ! diff -u "$work/source.txt" "$work/target.txt"; then
    echo "FAIL: the restored customer summary differs from the dumped database's" >&2
    exit 1
fi
grep -q '^check|0$' "$work/target.txt" || { echo "FAIL: check_customer_summary() found differences" >&2; exit 1; }
grep -q '^summary|304|' "$work/target.txt" || { echo "FAIL: summary rows missing" >&2; cat "$work/target.txt" >&2; exit 1; }
echo "restore rebuilt the customer summary exactly; notes and wishlists came back"
