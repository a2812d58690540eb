#!/usr/bin/env bash
# Customer summary benchmark, against baselines measured in the same run:
#   1. one customer's figures: cartwatch.customer_summary vs a plain GROUP BY view, as the
#      server's own cost of one lookup (many lookups in one function call, best of three) and
#      as pgbench transactions per second (which adds a round trip and a commit to each side)
#   2. the top 100 customers by sales: summary vs the GROUP BY view (one timed query each)
#   3. order inserts with the summary triggers vs without them (pgbench TPS)
#
#   CUSTOMERS=1000000 ORDERS=10000000 bench/customers.sh      (the full size)
#   bench/customers.sh                                        (default: 100,000 / 1,000,000)
# Needs a cluster in PGHOST/PGPORT with cartwatch installed; uses a database of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

customers=${CUSTOMERS:-100000}
orders=${ORDERS:-1000000}
seconds=${SECONDS_PER_RUN:-10}
db=cw_bench_customers
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

psql() { command psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

dropdb --if-exists "$db"
createdb "$db"
echo "loading $customers customers, $orders orders, $((customers * 2)) carts, $((customers * 3)) visits"
start=$(date +%s)
psql <<SQL
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
-- Bulk load without the triggers, then one rebuild: how a shop migrates its history in.
SET session_replication_role = replica;
INSERT INTO cartwatch.customers (customer_id, email, first_name, last_name, registered_at)
SELECT n, 'customer' || n || '@example.com', 'First' || n, 'Last' || n, '2024-01-01'
  FROM generate_series(1, $customers) AS n;
INSERT INTO cartwatch.carts (customer_id, created_at, last_activity_at, item_quantity)
SELECT 1 + n % $customers, now() - n % 1000 * interval '1 hour', now() - n % 1000 * interval '1 hour', n % 3
  FROM generate_series(1, $customers * 2) AS n;
-- Orders skewed like a real shop: a few customers buy a lot (customer 1 has ~1/1000 of them).
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at)
SELECT CASE WHEN n % 1000 = 0 THEN 1 ELSE 1 + (n::bigint * 7919) % $customers END,
       (ARRAY['pending','paid','shipped','delivered','cancelled','returned','refunded'])[1 + n % 7],
       (n % 50000) / 100.0, now() - n % 10000 * interval '1 hour'
  FROM generate_series(1, $orders) AS n;
INSERT INTO cartwatch.visits (customer_id, started_at)
SELECT 1 + n % $customers, now() - n % 5000 * interval '1 hour'
  FROM generate_series(1, $customers * 3) AS n;
RESET session_replication_role;
SELECT cartwatch.rebuild_customer_summary() IS NOT NULL;
VACUUM ANALYZE;
-- The baseline: the same order figures, as a shop would write them without cartwatch.
CREATE VIEW public.customer_figures_group_by AS
SELECT c.customer_id, o.orders_count, o.valid_orders, o.orders_value, o.paid_value,
       o.cancelled_value, k.carts_count, v.first_visit_at, v.last_visit_at
  FROM cartwatch.customers AS c
  LEFT JOIN (SELECT customer_id, count(*) AS orders_count,
                    count(*) FILTER (WHERE status IN ('paid','shipped','delivered')) AS valid_orders,
                    sum(total) AS orders_value,
                    sum(total) FILTER (WHERE status IN ('paid','shipped','delivered')) AS paid_value,
                    sum(total) FILTER (WHERE status IN ('cancelled','returned','refunded')) AS cancelled_value
               FROM cartwatch.orders GROUP BY customer_id) AS o ON o.customer_id = c.customer_id
  LEFT JOIN (SELECT customer_id, count(*) AS carts_count FROM cartwatch.carts GROUP BY customer_id) AS k
         ON k.customer_id = c.customer_id
  LEFT JOIN (SELECT customer_id, min(started_at) AS first_visit_at, max(started_at) AS last_visit_at
               FROM cartwatch.visits GROUP BY customer_id) AS v ON v.customer_id = c.customer_id;
-- The server's own cost of one lookup, in microseconds: the same figures read for each id of
-- ids in a loop (plans cached, as pgbench -M prepared caches them), no round trip in between.
CREATE FUNCTION public.lookup_cost(source text, ids bigint[]) RETURNS numeric
LANGUAGE plpgsql AS \$\$
DECLARE
    started timestamptz := clock_timestamp();
    id bigint;
    figures record;
BEGIN
    FOREACH id IN ARRAY ids LOOP
        IF source = 'summary' THEN
            SELECT s.orders_count, s.valid_orders, s.orders_value, s.paid_value, s.cancelled_value,
                   s.carts_count, s.first_visit_at, s.last_visit_at
              INTO figures FROM cartwatch.customer_summary AS s WHERE s.customer_id = id;
        ELSE
            SELECT g.orders_count, g.valid_orders, g.orders_value, g.paid_value, g.cancelled_value,
                   g.carts_count, g.first_visit_at, g.last_visit_at
              INTO figures FROM public.customer_figures_group_by AS g WHERE g.customer_id = id;
        END IF;
    END LOOP;
    RETURN round(extract(epoch FROM clock_timestamp() - started) * 1e6 / cardinality(ids), 1);
END
\$\$;
SQL
echo "loaded and summarised in $(($(date +%s) - start)) s"

tps() { # file -> transactions per second
    pgbench -n -M prepared -c 2 -j 2 -T "$seconds" -f "$1" "$db" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

lookup_cost() { # source ids-expression -> microseconds per lookup (best of 3)
    for _ in 1 2 3; do
        psql -At -c "SELECT public.lookup_cost('$1', $2)"
    done | sort -n | head -1
}
# Average customers: 2,000 ids spread over the whole range; the heavy one: 200 times id 1.
average_ids="(SELECT array_agg(2 + (n::bigint * 7919) % ($customers - 1)) FROM generate_series(1, 2000) AS n)"
heavy_ids="array_fill(1::bigint, ARRAY[200])"
for who in "average customer:$average_ids" "heavy customer (id 1):$heavy_ids"; do
    label=${who%%:*} ids=${who#*:}
    summary=$(lookup_cost summary "$ids")
    group_by=$(lookup_cost group_by "$ids")
    echo "one customer, $label, server time per lookup: summary $summary us, GROUP BY view $group_by us, ratio $(ratio "$group_by" "$summary")x"
done

for who in "random customer:random(2, $customers)" "heavy customer (id 1):1"; do
    label=${who%%:*} id=${who#*:}
    echo "\\set id $id" >"$work/summary.sql"
    echo "SELECT * FROM cartwatch.customer_summary WHERE customer_id = :id;" >>"$work/summary.sql"
    echo "\\set id $id" >"$work/group_by.sql"
    echo "SELECT * FROM public.customer_figures_group_by WHERE customer_id = :id;" >>"$work/group_by.sql"
    summary=$(tps "$work/summary.sql")
    group_by=$(tps "$work/group_by.sql")
    echo "one customer, $label, pgbench round trips: summary $summary tps, GROUP BY view $group_by tps, ratio $(ratio "$summary" "$group_by")x"
done

timed() { # query -> execution time in ms (best of 3)
    for _ in 1 2 3; do
        psql -At -c "EXPLAIN (ANALYZE, FORMAT JSON) $1" | sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p'
    done | sort -n | head -1
}
top_summary=$(timed "SELECT customer_id, paid_value FROM cartwatch.customer_summary ORDER BY paid_value DESC, customer_id LIMIT 100")
top_group_by=$(timed "SELECT customer_id, paid_value FROM public.customer_figures_group_by ORDER BY paid_value DESC NULLS LAST, customer_id LIMIT 100")
echo "top 100 by sales: summary $top_summary ms, GROUP BY view $top_group_by ms, ratio $(ratio "$top_group_by" "$top_summary")x"

cat >"$work/insert.sql" <<SQL
\\set id random(1, $customers)
INSERT INTO cartwatch.orders (customer_id, status, total) VALUES (:id, 'paid', 42.00);
SQL
# Three rounds of with and without, alternating, so that a burst of other work on the machine
# lands in one pair rather than deciding the result; the median pair's ratio is the figure.
pairs=()
for round in 1 2 3; do
    with_triggers=$(tps "$work/insert.sql")
    psql -c "ALTER TABLE cartwatch.orders DISABLE TRIGGER orders_summary_inserted"
    without_triggers=$(tps "$work/insert.sql")
    psql -c "ALTER TABLE cartwatch.orders ENABLE TRIGGER orders_summary_inserted"
    pair_ratio=$(ratio "$with_triggers" "$without_triggers")
    pairs+=("$pair_ratio")
    echo "order inserts, round $round: with summary triggers $with_triggers tps, without $without_triggers tps, ratio $pair_ratio"
done
psql -c "SELECT cartwatch.rebuild_customer_summary()" >/dev/null
echo "order inserts: median ratio $(printf '%s\n' "${pairs[@]}" | sort -n | sed -n 2p)"
dropdb "$db"
