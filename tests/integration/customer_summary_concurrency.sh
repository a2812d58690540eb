#!/usr/bin/env bash
# Several sessions insert, update and delete orders, carts, cart items, visits and reminders of
# the same few customers, and update the customers themselves (points, consents, account state),
# at once; afterwards the trigger-kept summary must equal a recount from
# scratch. Each kind of write takes its own path through the summary triggers: one-order
# inserts add to the row, multi-order inserts add from the transition table, status and total
# changes of orders that stay with their customer add differences (one customer or several in a
# statement), a cart's activity moving on and a cart becoming an order add differences when the
# open carts' oldest and newest activity allow it, updates that change no figure are skipped,
# every other write recounts.
#
# Bounded: a few hundred short transactions, deadlocks detected after 10 ms instead of the
# default second (under a loaded machine the default made this test take minutes), and a hard
# time limit on the concurrent phase.
set -euo pipefail
cd "${CARTWATCH_SOURCE_DIR:-$(dirname "$0")/../..}"

db=cw_summary_race_$$
work=$(mktemp -d)
cleanup() {
    dropdb --if-exists "$db" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
query() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }

createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
ALTER DATABASE $db SET deadlock_timeout = '10ms';
INSERT INTO cartwatch.customers (customer_id, email) SELECT n, 'c' || n || '@example.com' FROM generate_series(1, 5) AS n;
INSERT INTO cartwatch.products (product_id, name, price) VALUES (1, 'Mug', 10), (2, 'Shirt', 20);
SQL

# Every transaction touches two random customers of five, in random order.
cat >"$work/mix.sql" <<'SQL'
\set a random(1, 5)
\set b random(1, 5)
\set status random(1, 7)
BEGIN;
INSERT INTO cartwatch.orders (customer_id, status, total)
VALUES (:a, (ARRAY['pending','paid','shipped','delivered','cancelled','returned','refunded'])[:status], random() * 100);
UPDATE cartwatch.orders SET status = 'paid', customer_id = :b
 WHERE order_id = (SELECT max(order_id) FROM cartwatch.orders WHERE customer_id = :a);
UPDATE cartwatch.orders SET paid_at = now()
 WHERE order_id = (SELECT max(order_id) FROM cartwatch.orders WHERE customer_id = :b);
UPDATE cartwatch.orders
   SET status = (ARRAY['pending','paid','shipped','delivered','cancelled','returned','refunded'])[1 + :status % 7],
       total = total + 1
 WHERE order_id IN (SELECT max(order_id) FROM cartwatch.orders WHERE customer_id IN (:a, :b) GROUP BY customer_id);
INSERT INTO cartwatch.carts (customer_id) VALUES (:b);
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity)
SELECT max(cart_id), 1 + :a % 2, 1 FROM cartwatch.carts WHERE customer_id = :b
ON CONFLICT DO NOTHING;
INSERT INTO cartwatch.visits (customer_id, started_at) VALUES (:a, now() - random() * interval '30 days');
UPDATE cartwatch.customers SET loyalty_points = loyalty_points + :status, newsletter = NOT newsletter
 WHERE customer_id = :b;
COMMIT;
-- The account figures: two customers in one statement, a change no figure reads, and a guest
-- becoming registered (or the other way).
UPDATE cartwatch.customers SET enabled = :status > 2, partner_offers = :status % 2 = 0 WHERE customer_id IN (:a, :b);
UPDATE cartwatch.customers SET first_name = 'N' || :status WHERE customer_id = :a;
UPDATE cartwatch.customers
   SET registered_at = CASE WHEN registered_at IS NULL THEN now() END, activated = registered_at IS NULL
 WHERE customer_id = :b AND :status > 5;
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at)
VALUES (:a, 'pending', 5, now() - interval '400 days'), (:b, 'delivered', 7, now());
INSERT INTO cartwatch.reminders (cart_id, customer_id, step, state, activity_at, scheduled_at, due_at, sent_at, finished_at)
SELECT max(cart_id), :a, 'first', 'sent', now(), now(), now(), now(), now() FROM cartwatch.carts WHERE customer_id = :a
ON CONFLICT DO NOTHING;
UPDATE cartwatch.reminders SET clicked_at = now()
 WHERE reminder_id = (SELECT max(reminder_id) FROM cartwatch.reminders);
UPDATE cartwatch.reminders SET state = 'cancelled', cancel_reason = 'manual', sent_at = NULL
 WHERE reminder_id = (SELECT min(reminder_id) FROM cartwatch.reminders WHERE state = 'sent') AND :status > 4;
UPDATE cartwatch.visits SET customer_id = :b WHERE visit_id = (SELECT max(visit_id) FROM cartwatch.visits WHERE customer_id = :a);
UPDATE cartwatch.orders SET status = 'refunded' WHERE order_id = (SELECT min(order_id) FROM cartwatch.orders WHERE customer_id = :a AND status = 'paid');
DELETE FROM cartwatch.orders WHERE order_id = (SELECT min(order_id) FROM cartwatch.orders WHERE customer_id = :b AND status = 'refunded');
UPDATE cartwatch.carts SET customer_id = :a WHERE cart_id = (SELECT min(cart_id) FROM cartwatch.carts WHERE customer_id = :b AND order_id IS NULL);
-- A checkout: an order names one of the customer's open carts, at random, so that it is now the
-- oldest or newest open cart (a recount) and now one between (a difference).
INSERT INTO cartwatch.orders (customer_id, cart_id, status, total)
SELECT :b, k.cart_id, 'paid', 12 FROM cartwatch.carts AS k
 WHERE k.customer_id = :b AND k.order_id IS NULL AND k.item_quantity > 0
 ORDER BY random() LIMIT 1
ON CONFLICT DO NOTHING;
UPDATE cartwatch.carts SET last_activity_at = now()
 WHERE cart_id = (SELECT max(cart_id) FROM cartwatch.carts WHERE customer_id = :a AND order_id IS NULL AND item_quantity > 0);
SQL

# Transactions that touch the same customers in opposite orders can deadlock (PostgreSQL aborts
# one); --max-tries retries them, so a failed try is fine as long as the summary stays exact.
timeout 240 pgbench -n -c 4 -j 2 -t 50 --max-tries=20 -f "$work/mix.sql" "$db" \
    >"$work/pgbench.log" 2>&1 || {
    cat "$work/pgbench.log" >&2
    fail "pgbench failed or ran out of time"
}
grep -E "number of transactions actually processed|failed|retried" "$work/pgbench.log" || true

# The summary against a recount, field by field.
problems=$(query "SELECT count(*) FROM cartwatch.check_customer_summary()")
if [ "$problems" != 0 ]; then
    psql -X -d "$db" -c "SELECT * FROM cartwatch.check_customer_summary() LIMIT 20" >&2
    fail "the summary differs from a recount in $problems figures"
fi
# The same totals counted directly, without the summary's own views.
mismatch=$(query "
    SELECT concat_ws(' ',
        CASE WHEN (SELECT sum(orders_count) FROM cartwatch.customer_totals)
                  <> (SELECT count(*) FROM cartwatch.orders WHERE customer_id IS NOT NULL) THEN 'orders' END,
        CASE WHEN (SELECT sum(paid_value) FROM cartwatch.customer_totals)
                  <> (SELECT sum(total) FROM cartwatch.orders WHERE customer_id IS NOT NULL
                         AND status IN ('paid', 'shipped', 'delivered')) THEN 'paid_value' END,
        CASE WHEN (SELECT sum(visits_count) FROM cartwatch.customer_totals)
                  <> (SELECT count(*) FROM cartwatch.visits WHERE customer_id IS NOT NULL) THEN 'visits' END,
        CASE WHEN (SELECT sum(carts_count) FROM cartwatch.customer_totals)
                  <> (SELECT count(*) FROM cartwatch.carts WHERE customer_id IS NOT NULL) THEN 'carts' END,
        CASE WHEN (SELECT sum(loyalty_points) FROM cartwatch.customer_totals)
                  <> (SELECT sum(loyalty_points) FROM cartwatch.customers) THEN 'points' END,
        CASE WHEN (SELECT count(*) FILTER (WHERE registered) FROM cartwatch.customer_totals)
                  <> (SELECT count(registered_at) FROM cartwatch.customers) THEN 'registered' END,
        CASE WHEN (SELECT sum(reminders_sent) FROM cartwatch.customer_totals)
                  <> (SELECT count(*) FROM cartwatch.reminders AS r
                       WHERE r.customer_id IS NOT NULL AND r.sent_at IS NOT NULL) THEN 'reminders' END)")
[ -z "$mismatch" ] || fail "summary totals differ from direct counts: $mismatch"

# The run must have exercised every path, and the check must be able to fail at all.
read -r orders reminders < <(query "SELECT (SELECT sum(orders_count) FROM cartwatch.customer_totals), (SELECT count(*) FROM cartwatch.reminders)" | tr '|' ' ')
[ "$orders" -gt 0 ] && [ "$reminders" -gt 0 ] || fail "the run wrote no orders or no reminders"
[ "$(query "SELECT count(*) FROM cartwatch.carts WHERE order_id IS NOT NULL")" -gt 0 ] ||
    fail "no cart became an order"
[ "$(query "SELECT sum(loyalty_points) FROM cartwatch.customer_totals")" -gt 0 ] ||
    fail "no customer's points reached the summary"
caught=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
BEGIN;
UPDATE cartwatch.customer_totals SET paid_value = paid_value + 0.01 WHERE customer_id = 3;
SELECT count(*) FROM cartwatch.check_customer_summary();
ROLLBACK;
SQL
)
[ "$caught" = 1 ] || fail "check_customer_summary() did not notice a damaged row ($caught)"
echo "summary exact after concurrent writes ($orders orders, $reminders reminders)"
