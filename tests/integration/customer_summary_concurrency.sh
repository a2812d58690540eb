#!/usr/bin/env bash
# Several sessions insert and update orders, carts, cart items and visits of the same few
# customers at once; afterwards the trigger-kept summary must equal a recount from scratch.
set -euo pipefail
cd "${CARTWATCH_SOURCE_DIR:-$(dirname "$0")/../..}"

db=cw_summary_race_$$
work=$(mktemp -d)
cleanup() {
    dropdb --if-exists "$db" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
INSERT INTO cartwatch.customers (customer_id, email) SELECT n, 'c' || n || '@example.com' FROM generate_series(1, 5) AS n;
INSERT INTO cartwatch.products (product_id, name, price) VALUES (1, 'Mug', 10), (2, 'Shirt', 20);
SQL

# Each client runs a random mix of single-statement and multi-statement transactions on
# customers 1-5; every transaction touches several customers in random order.
cat >"$work/mix.sql" <<'SQL'
\set a random(1, 5)
\set b random(1, 5)
\set status random(1, 7)
BEGIN;
INSERT INTO cartwatch.orders (customer_id, status, total)
VALUES (:a, (ARRAY['pending','paid','shipped','delivered','cancelled','returned','refunded'])[:status], random() * 100);
UPDATE cartwatch.orders SET status = 'paid', customer_id = :b
 WHERE order_id = (SELECT max(order_id) FROM cartwatch.orders WHERE customer_id = :a);
INSERT INTO cartwatch.carts (customer_id) VALUES (:b);
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity)
SELECT max(cart_id), 1 + :a % 2, 1 FROM cartwatch.carts WHERE customer_id = :b
ON CONFLICT DO NOTHING;
INSERT INTO cartwatch.visits (customer_id, started_at) VALUES (:a, now() - random() * interval '30 days');
COMMIT;
UPDATE cartwatch.visits SET customer_id = :b WHERE visit_id = (SELECT max(visit_id) FROM cartwatch.visits WHERE customer_id = :a);
DELETE FROM cartwatch.orders WHERE order_id = (SELECT min(order_id) FROM cartwatch.orders WHERE customer_id = :b AND status = 'refunded');
UPDATE cartwatch.carts SET customer_id = :a WHERE cart_id = (SELECT min(cart_id) FROM cartwatch.carts WHERE customer_id = :b AND order_id IS NULL);
SQL

# Deadlocks between transactions that touch the same customers in opposite orders are possible
# (PostgreSQL resolves them by aborting one); pgbench's --failures-detailed is PG 15's way of
# retrying them, so a failed transaction is fine as long as the summary stays exact.
pgbench -n -c 6 -j 2 -t 150 --max-tries=10 -f "$work/mix.sql" "$db" >"$work/pgbench.log" 2>&1 || {
    cat "$work/pgbench.log" >&2
    exit 1
}
grep -E "number of transactions actually processed|failed" "$work/pgbench.log" || true

problems=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "SELECT count(*) FROM cartwatch.check_customer_summary()")
orders=$(psql -X -q -At -d "$db" -c "SELECT sum(orders_count) FROM cartwatch.customer_summary")
if [ "$problems" != 0 ]; then
    psql -X -d "$db" -c "SELECT * FROM cartwatch.check_customer_summary() LIMIT 20" >&2
    echo "FAIL: the summary differs from a recount in $problems figures" >&2
    exit 1
fi
[ "$orders" -gt 0 ] || { echo "FAIL: no orders were written" >&2; exit 1; }
echo "summary exact after concurrent writes ($orders orders)"
