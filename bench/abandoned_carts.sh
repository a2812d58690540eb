#!/usr/bin/env bash
# abandoned_carts() on a large shop: 1,000,000 carts of which 1,000 are abandoned.
# Prints the plan of the query inside abandoned_carts() (auto_explain, with buffers), and its
# time and pages read against a baseline in the same run: the same call on the same data with
# the open-cart index dropped (in a rolled-back transaction), i.e. what a scan of every cart costs.
#
#   bench/abandoned_carts.sh [CARTS] [ABANDONED]     (needs PGHOST/PGPORT, e.g. from
#                                                     scripts/pg-cluster.sh start DIR; . DIR/env)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
carts=${1:-1000000}
abandoned=${2:-1000}
db=cw_bench_abandoned
as_of="2026-11-20 12:00+00"

bench_database "$db" "${KEEP_DB:-}"

load_start=$(date +%s.%N)
psql -v carts="$carts" -v abandoned="$abandoned" -v as_of="'$as_of'" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
INSERT INTO cartwatch.products (product_id, name, price)
SELECT g, 'Product ' || g, 10 + g % 90 FROM generate_series(1, 1000) AS g;
-- The shape of a busy shop: most carts became orders, many were left empty, some are being
-- filled right now; :abandoned were left with items more than abandon_after ago.
INSERT INTO cartwatch.carts (cart_id, created_at, last_activity_at, order_id)
SELECT g,
       :as_of::timestamptz - (g % 80) * interval '1 day' - interval '3 hours',
       CASE WHEN g <= :abandoned THEN :as_of::timestamptz - interval '3 hours' - (g % 48) * interval '1 hour'
            WHEN g % 10 < 6 THEN :as_of::timestamptz - (g % 80) * interval '1 day' - interval '3 hours'
            WHEN g % 10 < 9 THEN :as_of::timestamptz - (g % 80) * interval '1 day' - interval '3 hours'
            ELSE :as_of::timestamptz - (g % 100) * interval '1 minute' END,
       CASE WHEN g > :abandoned AND g % 10 < 6 THEN g END
  FROM generate_series(1, :carts) AS g;
-- Items for every cart except the empty ones (g % 10 in 6..8), inserted in slices so that each
-- statement's trigger handles a bounded number of carts.
SELECT format('INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
               SELECT c.cart_id, 1 + c.cart_id %% 1000, 1 + c.cart_id %% 3, c.last_activity_at
                 FROM cartwatch.carts AS c
                WHERE c.cart_id > %s AND c.cart_id <= %s
                  AND (c.cart_id <= %s OR c.cart_id %% 10 NOT IN (6, 7, 8))',
              lo, lo + 100000, :abandoned)
  FROM generate_series(0, :carts - 1, 100000) AS lo \gexec
VACUUM ANALYZE cartwatch.carts;
VACUUM ANALYZE cartwatch.cart_items;
SQL
load_end=$(date +%s.%N)

run() { # $1 = settings run first (the baseline drops the index inside a transaction)
    psql -At <<SQL
SET client_min_messages = error;
$1
SELECT count(*) FROM cartwatch.abandoned_carts('$as_of');  -- warm-up
\timing on
SELECT count(*) FROM cartwatch.abandoned_carts('$as_of');
\timing off
ROLLBACK;
SQL
}

# The baseline: the same call on the same data without the partial index on open carts, i.e.
# what it costs when every cart has to be looked at. Rolled back, so the index comes back.
without_index="BEGIN; DROP INDEX cartwatch.carts_open_activity_idx;"

pages_read() { # $1 = settings; shared buffers touched by the query inside abandoned_carts()
    psql 2>&1 <<SQL | awk '/Query Text: SELECT c.cart_id/ {on = 1} on && !done && /Buffers:/ {print; done = 1}' |
SET client_min_messages = error;
$1
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_nested_statements = on;
SET client_min_messages = log;
SELECT count(*) FROM cartwatch.abandoned_carts('$as_of');
SET client_min_messages = error;
ROLLBACK;
SQL
        grep -o '[0-9]*' | paste -sd+ | bc
}

echo "cartwatch abandoned_carts() benchmark: $carts carts, $abandoned abandoned"
printf 'load: %.1f s\n' "$(echo "$load_end - $load_start" | bc)"
echo
echo "plan of the query inside abandoned_carts() (auto_explain):"
plan=$(psql 2>&1 <<SQL
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_timing = off;
SET client_min_messages = log;
SELECT count(*) FROM cartwatch.abandoned_carts('$as_of');
SQL
)
echo "$plan" | awk '/Query Text: SELECT c.cart_id/ {on = 1} on && /^LOG:/ {on = 0} on' |
    grep -v '^ *$' | sed 's/^/  /'

median_ms() { # $1 = settings; median of 5 timed calls
    for _ in 1 2 3 4 5; do run "$1" | awk '/^Time:/ {print $2}'; done | sort -n | sed -n 3p
}
indexed=$(median_ms "")
scanned=$(median_ms "$without_index")
indexed_pages=$(pages_read "")
scanned_pages=$(pages_read "$without_index")
rows=$(psql -At -c "SELECT count(*) FROM cartwatch.abandoned_carts('$as_of')")
echo
echo "abandoned carts found:                    $rows"
echo "abandoned_carts(), index (median of 5):   $indexed ms"
echo "baseline without the open-cart index:     $scanned ms"
printf 'time, baseline / abandoned_carts():       %.0fx\n' "$(echo "$scanned / $indexed" | bc -l)"
echo "pages read (shared buffers), index:       $indexed_pages"
echo "pages read (shared buffers), baseline:    $scanned_pages"
printf 'pages, baseline / abandoned_carts():      %.0fx\n' "$(echo "$scanned_pages / $indexed_pages" | bc -l)"
