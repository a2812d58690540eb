#!/usr/bin/env bash
# The checkout's cart link for customers with a long history: CUSTOMERS customers (default
# 200), each with CARTS carts that became orders long ago (default 1,000) and 3 open carts; one
# INSERT ... SELECT orders every customer's middle open cart (in a rolled-back transaction), and
# EXPLAIN ANALYZE gives orders_link_cart's server time per order: the cart's UPDATE and the
# customer summary's trigger on it. With SO_FROM=../other, every attempt also runs with that
# checkout's built cartwatch.so (the baseline: the same data, the same statement).
#
#   SO_FROM=../other bench/cart_close.sh [CUSTOMERS] [CARTS]
#
# Takes /tmp/cartwatch-install.lock itself; starts and removes a private cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
customers=${1:-200}
carts=${2:-1000}
db=cw_bench_cart_close
bench_work cartwatch-bench-cart-close
# shellcheck disable=SC2119 # the cluster as pg-cluster.sh sets it up
bench_cluster_start
createdb "$db"
# Held to the end: every attempt calls cartwatch.so.
bench_lock
psql -v customers="$customers" -v carts="$carts" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
INSERT INTO cartwatch.products (product_id, name, price) VALUES (1, 'Mug', 10);
INSERT INTO cartwatch.customers (customer_id, email)
SELECT n, 'c' || n || '@example.com' FROM generate_series(1, :customers) AS n;
SET session_replication_role = replica;
INSERT INTO cartwatch.carts (cart_id, customer_id, created_at, last_activity_at, item_quantity,
                             order_id)
SELECT c * 100000 + k, c, now() - interval '400 days',
       now() - interval '400 days' + k * interval '1 minute', 1, c * 100000 + k
  FROM generate_series(1, :customers) AS c, generate_series(1, :carts) AS k;
INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, status, total, placed_at)
SELECT cart_id, customer_id, cart_id, 'paid', 10, now() - interval '399 days'
  FROM cartwatch.carts;
INSERT INTO cartwatch.carts (cart_id, customer_id, created_at, last_activity_at, item_quantity)
SELECT c * 100000 + 90000 + k, c, now() - interval '1 day',
       now() - interval '1 day' + k * interval '1 hour', 1
  FROM generate_series(1, :customers) AS c, generate_series(1, 3) AS k;
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
SELECT cart_id, 1, 1, created_at FROM cartwatch.carts WHERE order_id IS NULL;
SET session_replication_role = origin;
SELECT cartwatch.rebuild_customer_summary();
VACUUM ANALYZE;
SQL
link_cost() { # -> microseconds per order of orders_link_cart
    psql -c "BEGIN" -c "EXPLAIN (ANALYZE, COSTS OFF)
        INSERT INTO cartwatch.orders (order_id, customer_id, cart_id, status, total)
        SELECT 900000000 + c, c, c * 100000 + 90002, 'paid', 10
          FROM generate_series(1, $customers) AS c" -c "ROLLBACK" |
        sed -n 's/^ *Trigger orders_link_cart: time=\([0-9.]*\) calls=.*/\1/p' |
        awk -v n="$customers" '{ printf "%.1f", $1 * 1000 / n }'
    psql -c "VACUUM cartwatch.carts, cartwatch.orders, cartwatch.customer_totals"
}
echo "$customers customers with $carts ordered carts and 3 open carts each; orders_link_cart per order:"
for attempt in 1 2 3; do
    line="attempt $attempt: this build $(link_cost) us"
    if [ -n "${SO_FROM:-}" ]; then
        line+=", $SO_FROM's cartwatch.so $(bench_with_build "$SO_FROM" link_cost) us"
    fi
    echo "$line"
done
