#!/usr/bin/env bash
# Customer summary benchmark, against baselines measured in the same run on the same data:
#   1. one customer's figures, all of them: cartwatch.customer_summary vs a plain GROUP BY view
#      over customers, orders, carts, visits and reminders, as the server's own cost of a
#      lookup, per customer, for a uniform random sample of customers and for customers at
#      given percentiles of orders per customer up to the heaviest ones; and as pgbench transactions per second (which adds a
#      round trip and a commit to each side)
#   2. the top 100 customers by sales: summary vs the GROUP BY view (one timed query each)
#   3. writes with the summary trigger vs without it (pgbench TPS): order inserts, order status
#      changes, cart activity (an item added to an open cart moves its last activity), and
#      customer updates (a name edited, loyalty points added)
#   4. the PrestaShop customer CSV export of every customer (export_customers_csv()) vs a COPY
#      of the same columns in PostgreSQL's own CSV (wall time, 3 rounds)
#
#   CUSTOMERS=1000000 ORDERS=10000000 bench/customers.sh      (the full size)
#   bench/customers.sh                                        (default: 100,000 / 1,000,000)
#   BENCH_DIR=/tmp/cw-customers bench/customers.sh            (keeps the loaded cluster there:
#                                                              a second run only measures)
#   INSERTS_ONLY=1 BENCH_DIR=... bench/customers.sh           (only the order-insert pairs, for
#                                                              comparing two builds on kept data)
#   INSTALL_FROM=../other ... bench/customers.sh             (measures that checkout's built
#                                                              extension instead of this one's)
#   COMPARE_FROM=../other ... bench/customers.sh             (and that checkout's beside this
#                                                              one's, round by round)
#   EXPORT_ONLY=1 BENCH_DIR=... bench/customers.sh            (only the customer CSV export,
#                                                              against a COPY of its columns)
#   LOOKUPS_ONLY=1 BENCH_DIR=... bench/customers.sh           (only 1. and 2.: the reads)
#
# Run it WITHOUT holding /tmp/cartwatch-install.lock: like scripts/test.sh it takes the lock
# itself, only while cartwatch.so can be in use (CREATE EXTENSION, then the measurements). The
# bulk load runs outside the lock: the extension's C triggers are off during it and nothing
# else it runs is C, which the script checks (the loading backend must not have mapped
# cartwatch.so).
#
# Orders per customer follow a power law, as in real shops: order n goes to the customer of
# rank floor(CUSTOMERS * u^3) for a uniform random u (then scattered over the ids), so the
# customer of rank r places orders in proportion to r^(-2/3): median ~5 orders at 10 per
# customer on average, the top 1 % of customers ~20 % of the orders, the heaviest ~1 %.
# Carts (2 per customer) and visits (3 per customer) are spread evenly.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

customers=${CUSTOMERS:-100000}
orders=${ORDERS:-1000000}
seconds=${SECONDS_PER_RUN:-10}
pairs_count=${INSERT_PAIRS:-5}
db=cw_bench_customers
# The build measured, installed whenever the lock is taken (COMPARE_FROM's only for its turns).
bench_build=${INSTALL_FROM:-$bench_root}
bench_work cartwatch-bench-customers "${BENCH_DIR:-}"

size="$customers customers, $orders orders"
# The install script the kept cluster's extension objects were created from: a later checkout
# brings a new cartwatch.so, but the functions and triggers stay as that script made them.
install_script=sql/cartwatch--$(sed -n "s/^default_version = '\(.*\)'/\1/p" cartwatch.control).sql
make -s "$install_script" >/dev/null
install_script_sum=$(sha256sum "$install_script" | cut -c1-16)
if bench_cluster_reuse "$size"; then
    if [ "$(cat "$work/install-script" 2>/dev/null)" != "$install_script_sum" ]; then
        echo "WARNING: the kept cluster's cartwatch objects come from another install script than" \
             "this checkout's; its SQL functions and triggers are measured as they were then" \
             "(remove $work/loaded to load afresh)" >&2
    fi
else
    # A throwaway cluster sized for the load: fsync off (pg-cluster.sh), WAL that never forces a
    # checkpoint mid-load, and the shop's data in shared buffers.
    bench_cluster_start "shared_buffers = '3GB'" "max_wal_size = '20GB'" \
        "checkpoint_timeout = '1h'" "wal_level = minimal" "max_wal_senders = 0" \
        "maintenance_work_mem = '1GB'" "work_mem = '64MB'"
    createdb "$db"
    bench_locked psql -c "SET client_min_messages = warning" \
        -c "CREATE EXTENSION cartwatch CASCADE"

    echo "loading $size, $((customers * 2)) carts, $((customers * 3)) visits"
    start=$(date +%s)
    # Set-based inserts with every trigger off (session_replication_role), the secondary indexes
    # dropped and rebuilt afterwards, then one rebuild of the summary: how a shop migrates its
    # history in.
    psql -At >"$work/load.log" <<SQL
SET client_min_messages = warning;
SET session_replication_role = replica;
\timing on
CREATE TEMPORARY TABLE bench_indexes AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
  FROM pg_index AS i
 WHERE i.indrelid IN ('cartwatch.customers'::regclass, 'cartwatch.carts'::regclass,
                      'cartwatch.orders'::regclass, 'cartwatch.visits'::regclass)
   AND NOT EXISTS (SELECT FROM pg_constraint AS c WHERE c.conindid = i.indexrelid);
DO \$\$
DECLARE index_name text;
BEGIN
    FOR index_name IN SELECT name FROM bench_indexes LOOP
        EXECUTE 'DROP INDEX ' || index_name;
    END LOOP;
END
\$\$;
SELECT setseed(0.5);
INSERT INTO cartwatch.customers (customer_id, email, first_name, last_name, registered_at)
SELECT n, 'customer' || n || '@example.com', 'First' || n, 'Last' || n, '2024-01-01'
  FROM generate_series(1, $customers) AS n;
INSERT INTO cartwatch.carts (customer_id, created_at, last_activity_at, item_quantity)
SELECT 1 + n % $customers, now() - n % 1000 * interval '1 hour', now() - n % 1000 * interval '1 hour', n % 3
  FROM generate_series(1, $customers * 2) AS n;
-- Rank floor(customers * u^3), scattered over the ids by a multiplication modulo the count.
INSERT INTO cartwatch.orders (customer_id, status, total, placed_at)
SELECT 1 + (floor($customers * random() ^ 3)::bigint * 7919) % $customers,
       (ARRAY['pending','paid','shipped','delivered','cancelled','returned','refunded'])[1 + n % 7],
       (n % 50000) / 100.0, now() - n % 10000 * interval '1 hour'
  FROM generate_series(1, $orders) AS n;
INSERT INTO cartwatch.visits (customer_id, started_at)
SELECT 1 + n % $customers, now() - n % 5000 * interval '1 hour'
  FROM generate_series(1, $customers * 3) AS n;
DO \$\$
DECLARE index_definition text;
BEGIN
    FOR index_definition IN SELECT definition FROM bench_indexes LOOP
        EXECUTE index_definition;
    END LOOP;
END
\$\$;
RESET session_replication_role;
SELECT cartwatch.rebuild_customer_summary();
VACUUM ANALYZE;
SELECT 'backend ' || pg_backend_pid();
SQL
    backend=$(sed -n 's/^backend //p' "$work/load.log")
    if grep -q cartwatch.so "/proc/$backend/maps" 2>/dev/null; then
        echo "the load ran cartwatch's C code outside the install lock" >&2
        exit 1
    fi
    echo "loaded and summarised in $(($(date +%s) - start)) s ($(grep -c '^Time' "$work/load.log") timed steps in $work/load.log)"
    bench_cluster_loaded "$size"
    echo "$install_script_sum" >"$work/install-script"
fi

# Every figure the customer summary promises (issue: registered or guest, account state, orders
# valid and invalid, values, visits, carts, abandoned carts, last cart activity, reminders sent,
# loyalty points, consents): both sides of each lookup read all of them.
figures="customer_type, activated, enabled, orders_count, valid_orders, invalid_orders, orders_value,
paid_value, cancelled_value, first_visit_at, last_visit_at, carts_count, abandoned_carts,
last_cart_activity_at, reminders_sent, loyalty_points, newsletter, partner_offers"

# The baseline and the measuring functions (created without the lock: nothing here calls them).
psql -v figures="$figures" <<'SQL'
SET client_min_messages = warning;
-- The same figures as a shop would compute them without cartwatch: the customer's row and
-- grouped subqueries over orders, carts, visits and reminders, with the indexes the schema has
-- on customer_id. A cart is abandoned as cartwatch counts it: open (items, no order) and idle
-- for cartwatch.abandon_after(), the kept setting the summary reads too.
CREATE OR REPLACE VIEW public.customer_figures_group_by AS
SELECT c.customer_id,
       CASE WHEN c.registered_at IS NOT NULL THEN 'registered' ELSE 'guest' END AS customer_type,
       c.activated, c.enabled,
       coalesce(o.orders_count, 0) AS orders_count, coalesce(o.valid_orders, 0) AS valid_orders,
       coalesce(o.orders_count - o.valid_orders, 0) AS invalid_orders,
       coalesce(o.orders_value, 0) AS orders_value, coalesce(o.paid_value, 0) AS paid_value,
       coalesce(o.cancelled_value, 0) AS cancelled_value,
       v.first_visit_at, v.last_visit_at,
       coalesce(k.carts_count, 0) AS carts_count, coalesce(k.abandoned_carts, 0) AS abandoned_carts,
       k.last_cart_activity_at, coalesce(r.reminders_sent, 0) AS reminders_sent,
       c.loyalty_points, c.newsletter, c.partner_offers
  FROM cartwatch.customers AS c
  LEFT JOIN (SELECT customer_id, count(*) AS orders_count,
                    count(*) FILTER (WHERE status IN ('paid','shipped','delivered')) AS valid_orders,
                    sum(total) AS orders_value,
                    sum(total) FILTER (WHERE status IN ('paid','shipped','delivered')) AS paid_value,
                    sum(total) FILTER (WHERE status IN ('cancelled','returned','refunded')) AS cancelled_value
               FROM cartwatch.orders GROUP BY customer_id) AS o ON o.customer_id = c.customer_id
  LEFT JOIN (SELECT customer_id, count(*) AS carts_count,
                    count(*) FILTER (WHERE order_id IS NULL AND item_quantity > 0
                                       AND last_activity_at <= now() - (SELECT cartwatch.abandon_after()))
                        AS abandoned_carts,
                    max(last_activity_at) AS last_cart_activity_at
               FROM cartwatch.carts GROUP BY customer_id) AS k ON k.customer_id = c.customer_id
  LEFT JOIN (SELECT customer_id, min(started_at) AS first_visit_at, max(started_at) AS last_visit_at
               FROM cartwatch.visits GROUP BY customer_id) AS v ON v.customer_id = c.customer_id
  LEFT JOIN (SELECT customer_id, count(*) FILTER (WHERE sent_at IS NOT NULL) AS reminders_sent
               FROM cartwatch.reminders GROUP BY customer_id) AS r ON r.customer_id = c.customer_id;

-- The server's own cost of looking up one customer, in microseconds, timed lookup by lookup:
-- each round looks up every customer of `ids` once from each source (plans cached, as pgbench
-- -M prepared caches them; no round trip in between), so that a customer's lookups are far
-- apart, as a shop's page views are. "floor" is a SELECT that reads no table: what any
-- statement costs in this loop (clock readings included), whatever it reads.
DROP FUNCTION IF EXISTS public.lookup_costs;
SELECT format($create$
CREATE FUNCTION public.lookup_costs(ids bigint[], rounds integer)
RETURNS TABLE (customer_id bigint, summary_us numeric, group_by_us numeric, floor_us numeric)
LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz;
    figures record;
BEGIN
    FOR round IN 1..rounds LOOP
        FOREACH customer_id IN ARRAY ids LOOP
            started := clock_timestamp();
            SELECT %1$s INTO figures FROM cartwatch.customer_summary AS s
             WHERE s.customer_id = lookup_costs.customer_id;
            summary_us := extract(epoch FROM clock_timestamp() - started) * 1e6;
            started := clock_timestamp();
            SELECT %1$s INTO figures FROM public.customer_figures_group_by AS g
             WHERE g.customer_id = lookup_costs.customer_id;
            group_by_us := extract(epoch FROM clock_timestamp() - started) * 1e6;
            started := clock_timestamp();
            SELECT lookup_costs.customer_id, round INTO figures;
            floor_us := extract(epoch FROM clock_timestamp() - started) * 1e6;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
$create$, :'figures') \gexec

-- Who is looked up: a uniform random sample of customers (what a shop's customer list opens),
-- the 20 customers nearest to given percentiles of orders per customer, and the heaviest 10.
DROP TABLE IF EXISTS public.lookup_sample;
CREATE TABLE public.lookup_sample (class text, sort_order integer, customer_id bigint,
                                   orders_count bigint, rounds integer);
DO $$ BEGIN PERFORM setseed(0.25); END $$;
INSERT INTO public.lookup_sample
SELECT 'random customers', 0, t.customer_id, t.orders_count, 7
  FROM (SELECT DISTINCT 1 + floor(random() * (SELECT count(*) FROM cartwatch.customers))::bigint AS id
          FROM generate_series(1, 1000)) AS r
  JOIN cartwatch.customer_totals AS t ON t.customer_id = r.id;
INSERT INTO public.lookup_sample
SELECT 'p' || (100 * q.fraction)::numeric(5,1)::float8 || ' customers', q.sort_order,
       p.customer_id, p.orders_count, q.rounds
  FROM (VALUES (1, 0.5, 7), (2, 0.9, 7), (3, 0.99, 7), (4, 0.999, 5)) AS q (sort_order, fraction, rounds)
 CROSS JOIN LATERAL (
       SELECT t.customer_id, t.orders_count FROM cartwatch.customer_totals AS t
        ORDER BY abs(t.orders_count - (SELECT percentile_disc(q.fraction) WITHIN GROUP (ORDER BY orders_count)
                                         FROM cartwatch.customer_totals)), t.customer_id
        LIMIT 20) AS p;
INSERT INTO public.lookup_sample
SELECT 'heaviest 10', 5, customer_id, orders_count, 3
  FROM cartwatch.customer_totals ORDER BY orders_count DESC, customer_id LIMIT 10;

-- The baseline must compute the same figures, or the ratio means nothing: every sampled
-- customer's figures agree between the two sources (run under the install lock, in measure():
-- both sides call cartwatch's C code).
SELECT format($check$
CREATE OR REPLACE FUNCTION public.check_lookup_figures() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    differing bigint;
BEGIN
    SELECT count(*) INTO differing FROM public.lookup_sample AS l
     WHERE (SELECT row(%1$s) FROM cartwatch.customer_summary AS s
             WHERE s.customer_id = l.customer_id)
           IS DISTINCT FROM
           (SELECT row(%1$s) FROM public.customer_figures_group_by AS g
             WHERE g.customer_id = l.customer_id);
    IF differing > 0 THEN
        RAISE EXCEPTION '%% sampled customers have other figures in the GROUP BY view', differing;
    END IF;
END
$$
$check$, :'figures') \gexec
SQL

measure() {
    psql -c "SELECT public.check_lookup_figures()" >/dev/null
    psql -c "SELECT 'orders per customer: mean ' || round(avg(orders_count), 1)
                    || ', percentiles 10/50/90/99/99.9: '
                    || array_to_string(percentile_disc(ARRAY[0.1, 0.5, 0.9, 0.99, 0.999])
                                       WITHIN GROUP (ORDER BY orders_count), '/')
                    || ', max ' || max(orders_count)
                    || ', customers without orders ' || count(*) FILTER (WHERE orders_count = 0)
               FROM cartwatch.customer_totals" -At
    psql <<'SQL'
DROP TABLE IF EXISTS public.lookup_result;
-- Per customer, the median of its rounds.
CREATE TABLE public.lookup_result AS
SELECT s.class, s.sort_order, s.customer_id, s.orders_count,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY c.summary_us)::numeric AS summary_us,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY c.group_by_us)::numeric AS group_by_us,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY c.floor_us)::numeric AS floor_us
  FROM (SELECT DISTINCT class, rounds FROM public.lookup_sample) AS k
 CROSS JOIN LATERAL public.lookup_costs(
       (SELECT array_agg(customer_id ORDER BY customer_id) FROM public.lookup_sample AS s
         WHERE s.class = k.class), k.rounds) AS c
  JOIN public.lookup_sample AS s ON s.class = k.class AND s.customer_id = c.customer_id
 GROUP BY s.class, s.sort_order, s.customer_id, s.orders_count;
\pset footer off
\echo 'one customer, server time per lookup (us): summary, GROUP BY view, and GROUP BY / summary'
SELECT class, count(*) AS customers, percentile_disc(0.5) WITHIN GROUP (ORDER BY orders_count) AS "orders (median)",
       round(avg(summary_us), 1) AS "summary",
       round(avg(group_by_us), 1) AS "GROUP BY",
       round(avg(group_by_us) / avg(summary_us), 1) AS "ratio of means",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY group_by_us / summary_us)::numeric, 1) AS "ratio p50",
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY group_by_us / summary_us)::numeric, 1) AS "p90",
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY group_by_us / summary_us)::numeric, 1) AS "p99",
       round(max(group_by_us / summary_us), 1) AS "max",
       round(avg(floor_us), 1) AS "floor",
       round((avg(group_by_us) - avg(floor_us)) / (avg(summary_us) - avg(floor_us)), 1) AS "ratio net of floor"
  FROM public.lookup_result GROUP BY class, sort_order ORDER BY sort_order;
SQL
}
# The CPU time of the server's exited processes (the postmaster's reaped children: pgbench's
# backends once they have gone), in clock ticks.
reaped_cpu() { awk '{ print $16 + $17 }' "/proc/$(head -1 "$cluster/data/postmaster.pid")/stat"; }
# file -> transactions per second. The backends' CPU time per transaction, in microseconds, goes
# to $work/cpu_per_transaction: on a machine shared with other work it moves far less than the
# transactions per second do, since time spent waiting for a core is not in it.
tps() {
    local before output count
    before=$(reaped_cpu)
    output=$(pgbench -n -M prepared -c 2 -j 2 -T "$seconds" -f "$1" "$db" 2>/dev/null)
    sleep 0.5 # the backends exit, and are reaped, just after pgbench
    count=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$output")
    awk -v before="$before" -v after="$(reaped_cpu)" -v count="$count" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.1f", (after - before) * 1e6 / hz / count }' >"$work/cpu_per_transaction"
    sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$output"
}
cpu() { cat "$work/cpu_per_transaction"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
timed() { # query -> execution time in ms (best of 3; no per-node timing, which taxes every row)
    for _ in 1 2 3; do
        psql -At -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $1" | sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p'
    done | sort -n | head -1
}

# A pgbench script reading the same figures (all of them) from either source.
lookup_script() { # customer-id-expression source
    echo "\\set id $1"
    echo "SELECT ${figures//$'\n'/ } FROM $2 WHERE customer_id = :id;"
}

# Rounds of a pgbench script with and without one summary trigger, alternating, so that a burst
# of other work on the machine lands in one pair rather than deciding the result; the median
# pair's ratio is the figure. With COMPARE_FROM=DIR, each round also measures the trigger with
# that checkout's built extension, on the other side of the same baseline (the two builds take
# turns going first), so that two builds are compared on the same data within minutes.
other_build_tps() { other=$(tps "$1") other_cpu=$(cpu); } # with_and_without's other, other_cpu
with_and_without() { # label table.trigger script rounds
    local pairs=() other_pairs=() builds=() costs=() other_costs=()
    local with_triggers without_triggers other with_cpu without_cpu other_cpu pair_ratio
    local table=${2%.*} trigger=${2#*.}
    # One untimed run first when comparing builds: the first run after a start reads the
    # summary's pages into shared buffers, at the cost of whichever build goes first.
    [ -z "${COMPARE_FROM:-}" ] || tps "$3" >/dev/null
    for round in $(seq 1 "$4"); do
        if [ -n "${COMPARE_FROM:-}" ] && [ $((round % 2)) = 0 ]; then
            bench_with_build "$COMPARE_FROM" other_build_tps "$3"
        fi
        with_triggers=$(tps "$3") with_cpu=$(cpu)
        reenable_trigger="ALTER TABLE cartwatch.$table ENABLE TRIGGER $trigger"
        psql -c "ALTER TABLE cartwatch.$table DISABLE TRIGGER $trigger"
        without_triggers=$(tps "$3") without_cpu=$(cpu)
        psql -c "$reenable_trigger"
        reenable_trigger=
        if [ -n "${COMPARE_FROM:-}" ] && [ $((round % 2)) = 1 ]; then
            bench_with_build "$COMPARE_FROM" other_build_tps "$3"
        fi
        pair_ratio=$(ratio "$with_triggers" "$without_triggers")
        pairs+=("$pair_ratio")
        costs+=("$(difference "$with_cpu" "$without_cpu")")
        echo "$1, round $round: with summary triggers $with_triggers tps, without $without_triggers tps, ratio $pair_ratio;" \
             "backend CPU per transaction $with_cpu / $without_cpu us: the trigger ${costs[-1]} us"
        if [ -n "${COMPARE_FROM:-}" ]; then
            other_pairs+=("$(ratio "$other" "$without_triggers")")
            other_costs+=("$(difference "$other_cpu" "$without_cpu")")
            builds+=("$(ratio "$with_triggers" "$other")")
            echo "$1, round $round: with $COMPARE_FROM's build $other tps, ratio ${other_pairs[-1]}," \
                 "CPU $other_cpu us: the trigger ${other_costs[-1]} us; this build / that one ${builds[-1]}"
        fi
    done
    echo "$1: median ratio $(median "$4" "${pairs[@]}"), the trigger's CPU per transaction (median) $(median "$4" "${costs[@]}") us"
    if [ -n "${COMPARE_FROM:-}" ]; then
        echo "$1: with $COMPARE_FROM's build median ratio $(median "$4" "${other_pairs[@]}")," \
             "the trigger's CPU $(median "$4" "${other_costs[@]}") us; this build / that one $(median "$4" "${builds[@]}")"
    fi
}
difference() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
median() { # count values...
    local count=$1
    shift
    printf '%s\n' "$@" | sort -n | sed -n "$(((count + 1) / 2))p"
}

insert_pairs() {
    printf '\\set id random(1, %s)\nINSERT INTO cartwatch.orders (customer_id, status, total) VALUES (:id, '"'paid'"', 42.00);\n' \
        "$customers" >"$work/insert.sql"
    with_and_without "order inserts" orders.orders_summary_inserted "$work/insert.sql" "$pairs_count"
}

wall_ms() { # statement -> wall time in ms, its output thrown away
    psql -At -o /dev/null -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}

# The whole customer list as the shop downloads it, against PostgreSQL's own CSV of the same
# columns (COPY: no Polish amounts and dates, no per-currency sales), round by round; with
# COMPARE_FROM, that checkout's export in each round too.
export_rounds() {
    local round this copy other
    local copy_query="COPY (SELECT c.customer_id, c.title, c.first_name, c.last_name, c.email,
        c.company, t.paid_value, c.enabled, c.newsletter, c.partner_offers, c.registered_at,
        t.last_visit_at FROM cartwatch.customers AS c
        LEFT JOIN cartwatch.customer_totals AS t ON t.customer_id = c.customer_id
        ORDER BY c.customer_id) TO STDOUT (FORMAT csv, DELIMITER ';', HEADER)"
    for round in 1 2 3; do
        this=$(wall_ms "SELECT length(cartwatch.export_customers_csv())")
        copy=$(wall_ms "$copy_query")
        echo -n "customer CSV export, round $round: $this ms, COPY of its columns $copy ms," \
            "ratio $(ratio "$this" "$copy")"
        if [ -n "${COMPARE_FROM:-}" ]; then
            other=$(bench_with_build "$COMPARE_FROM" wall_ms "SELECT length(cartwatch.export_customers_csv())")
            echo -n "; $COMPARE_FROM's export $other ms, ratio $(ratio "$other" "$this")x slower"
        fi
        echo
    done
}

measure_all() {
    uptime
    if [ "${EXPORT_ONLY:-}" = 1 ]; then
        export_rounds
        uptime
        return
    fi
    if [ "${INSERTS_ONLY:-}" = 1 ]; then
        insert_pairs
        uptime
        return
    fi
    measure
    heaviest=$(psql -At -c "SELECT customer_id FROM cartwatch.customer_totals ORDER BY orders_count DESC, customer_id LIMIT 1")
    for who in "random customer:random(1, $customers)" "heaviest customer ($heaviest):$heaviest"; do
        label=${who%%:*} id=${who#*:}
        lookup_script "$id" cartwatch.customer_summary >"$work/summary.sql"
        lookup_script "$id" public.customer_figures_group_by >"$work/group_by.sql"
        summary=$(tps "$work/summary.sql")
        group_by=$(tps "$work/group_by.sql")
        echo "one customer, $label, pgbench round trips: summary $summary tps, GROUP BY view $group_by tps, ratio $(ratio "$summary" "$group_by")x"
    done

    top_summary=$(timed "SELECT customer_id, paid_value FROM cartwatch.customer_summary ORDER BY paid_value DESC, customer_id LIMIT 100")
    top_group_by=$(timed "SELECT customer_id, paid_value FROM public.customer_figures_group_by ORDER BY paid_value DESC NULLS LAST, customer_id LIMIT 100")
    echo "top 100 by sales: summary $top_summary ms, GROUP BY view $top_group_by ms, ratio $(ratio "$top_group_by" "$top_summary")x"
    # The cart list's status column over every cart: the view's cut-off is the kept setting
    # (cartwatch.abandon_after()); the baseline reads the setting in each row through
    # cartwatch.setting(), as the views did through abandoned_before(now()).
    carts_view=$(timed "SELECT count(*) FILTER (WHERE status = 'abandoned') FROM cartwatch.cart_overview")
    carts_per_row=$(timed "SELECT count(*) FILTER (WHERE cartwatch.classify_cart(c.item_quantity, c.order_id IS NOT NULL, c.last_activity_at, now() - cartwatch.setting('abandon_after')::interval) = 'abandoned') FROM cartwatch.carts AS c")
    echo "abandoned carts over every cart: cart_overview $carts_view ms, setting read per row $carts_per_row ms, ratio $(ratio "$carts_per_row" "$carts_view")x"
    if [ "${LOOKUPS_ONLY:-}" = 1 ]; then
        uptime
        return
    fi
    export_rounds

    insert_pairs
    for pool in random heaviest; do
        size=$(psql -At -c "SELECT count(*) FROM public.status_pool WHERE pool = '$pool'")
        printf '%s\n' "\\set n random(1, $size)" \
            "UPDATE cartwatch.orders SET status = CASE status WHEN 'returned' THEN 'paid' ELSE 'returned' END" \
            " WHERE order_id = (SELECT order_id FROM public.status_pool WHERE pool = '$pool' AND n = :n);" \
            >"$work/status.sql"
        with_and_without "order status changes ($pool, $size orders)" orders.orders_summary_updated \
            "$work/status.sql" 3
    done
    # Cart activity as an add-to-cart writes it (the cart_items trigger moves the cart's item
    # count and last activity): one open cart of a registered customer per transaction.
    size=$(psql -At -c "SELECT count(*) FROM public.cart_pool")
    printf '%s\n' "\\set n random(1, $size)" \
        "UPDATE cartwatch.carts SET item_quantity = item_quantity + 1, last_activity_at = now()" \
        " WHERE cart_id = (SELECT cart_id FROM public.cart_pool WHERE n = :n);" >"$work/cart.sql"
    with_and_without "cart activity ($size open carts)" carts.carts_summary_updated \
        "$work/cart.sql" 3
    # Customer updates (the customers' trigger, when the kept cluster has it): a name edited,
    # which no figure reads, and loyalty points added, which the summary row copies.
    if [ -n "$(psql -At -c "SELECT 1 FROM pg_trigger WHERE tgname = 'customers_summary_updated'")" ]; then
        size=$(psql -At -c "SELECT count(*) FROM public.customer_pool")
        for change in "name edits:first_name = 'Edited ' || :n" \
                      "points added:loyalty_points = loyalty_points + 1"; do
            printf '%s\n' "\\set n random(1, $size)" \
                "UPDATE cartwatch.customers SET ${change#*:}" \
                " WHERE customer_id = (SELECT customer_id FROM public.customer_pool WHERE n = :n);" \
                >"$work/customer.sql"
            with_and_without "customer ${change%%:*} ($size customers)" \
                customers.customers_summary_updated "$work/customer.sql" 3
        done
    fi
    uptime
}

# The orders whose status the benchmark changes: 10,000 random ones, and the heaviest customer's.
psql <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS public.status_pool;
CREATE TABLE public.status_pool AS
SELECT 'random' AS pool, row_number() OVER (ORDER BY o.order_id) AS n, o.order_id, o.customer_id, o.status
  FROM cartwatch.orders AS o
 WHERE o.order_id IN (SELECT 1 + floor(random() * (SELECT max(order_id) FROM cartwatch.orders))::bigint
                        FROM generate_series(1, 10000))
UNION ALL
SELECT 'heaviest', row_number() OVER (ORDER BY o.order_id), o.order_id, o.customer_id, o.status
  FROM cartwatch.orders AS o
 WHERE o.customer_id = (SELECT customer_id FROM cartwatch.customer_totals
                         ORDER BY orders_count DESC, customer_id LIMIT 1);
CREATE INDEX ON public.status_pool (pool, n);
ANALYZE public.status_pool;
-- The open carts whose activity the benchmark moves, with what to put back afterwards.
DROP TABLE IF EXISTS public.cart_pool;
CREATE TABLE public.cart_pool AS
SELECT row_number() OVER (ORDER BY k.cart_id) AS n, k.cart_id, k.customer_id, k.item_quantity,
       k.last_activity_at, k.updated_at
  FROM cartwatch.carts AS k
 WHERE k.cart_id IN (SELECT 1 + floor(random() * (SELECT max(cart_id) FROM cartwatch.carts))::bigint
                       FROM generate_series(1, 10000))
   AND k.customer_id IS NOT NULL AND k.order_id IS NULL AND k.item_quantity > 0;
CREATE UNIQUE INDEX ON public.cart_pool (n);
ANALYZE public.cart_pool;
-- The customers whose name and points the benchmark changes, with what to put back.
DROP TABLE IF EXISTS public.customer_pool;
CREATE TABLE public.customer_pool AS
SELECT row_number() OVER (ORDER BY c.customer_id) AS n, c.customer_id, c.first_name,
       c.loyalty_points, c.updated_at
  FROM cartwatch.customers AS c
 WHERE c.customer_id IN (SELECT 1 + floor(random() * (SELECT max(customer_id) FROM cartwatch.customers))::bigint
                           FROM generate_series(1, 10000));
CREATE UNIQUE INDEX ON public.customer_pool (n);
ANALYZE public.customer_pool;
SQL
# The measurements add orders and change statuses; all of it is undone afterwards (triggers off,
# the touched summary rows put back as they were), so that a kept cluster measures the same
# data next time.
psql -c "SET client_min_messages = warning" \
     -c "DROP TABLE IF EXISTS public.totals_before" \
     -c "CREATE TABLE public.totals_before AS TABLE cartwatch.customer_totals"
last_order=$(psql -At -c "SELECT max(order_id) FROM cartwatch.orders")
reenable_trigger=
# Runs when the script ends, an interrupted run included (before the cluster stops): a trigger
# left disabled, or orders left behind, would make the kept cluster's next run measure other data.
undo_measurements() {
    [ -z "$reenable_trigger" ] || psql -c "$reenable_trigger"
    psql <<SQL
SET session_replication_role = replica;
CREATE TEMPORARY TABLE touched AS
SELECT customer_id FROM cartwatch.orders WHERE order_id > $last_order
UNION SELECT customer_id FROM public.status_pool
UNION SELECT customer_id FROM public.cart_pool
UNION SELECT customer_id FROM public.customer_pool;
DELETE FROM cartwatch.orders WHERE order_id > $last_order;
UPDATE cartwatch.orders AS o SET status = p.status
  FROM public.status_pool AS p WHERE o.order_id = p.order_id AND o.status <> p.status;
DELETE FROM cartwatch.customer_totals WHERE customer_id IN (SELECT customer_id FROM touched);
INSERT INTO cartwatch.customer_totals
SELECT b.* FROM public.totals_before AS b WHERE b.customer_id IN (SELECT customer_id FROM touched);
UPDATE cartwatch.carts AS k
   SET item_quantity = p.item_quantity, last_activity_at = p.last_activity_at,
       updated_at = p.updated_at
  FROM public.cart_pool AS p WHERE k.cart_id = p.cart_id;
UPDATE cartwatch.customers AS c
   SET first_name = p.first_name, loyalty_points = p.loyalty_points, updated_at = p.updated_at
  FROM public.customer_pool AS p WHERE c.customer_id = p.customer_id;
DROP TABLE public.totals_before, public.status_pool, public.cart_pool, public.customer_pool;
VACUUM ANALYZE cartwatch.orders, cartwatch.carts, cartwatch.customers, cartwatch.customer_totals;
SQL
}
bench_on_exit undo_measurements
# A cluster just started (a kept one resumed) holds nothing in its buffers: the first lookups
# and inserts would measure the disk, on one side of a pair and not the other. Every table and
# index of the shop is read once into the page cache first (pg_prewarm, contrib: no cartwatch
# code runs).
psql -At <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_prewarm;
SELECT pg_prewarm(c.oid::regclass, 'read')
  FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('cartwatch', 'public') AND c.relkind IN ('r', 'i') AND c.relpersistence = 'p';
SQL
bench_locked measure_all
