#!/usr/bin/env bash
# Retention purge under shop writes.
#
#   bench/retention.sh [CARTS] [CLIENTS] [SECONDS] [BATCH_SIZE] [PAUSE]
#     CARTS       expired abandoned carts to purge, two items each (default 1000000)
#     CLIENTS     pgbench writer connections (default 2)
#     SECONDS     length of the baseline writer run (default 20)
#     BATCH_SIZE  run_retention's batch_size (default 5000)
#     PAUSE       the retention_batch_pause setting (default: the setting's default)
#
# In a private cluster (log_lock_waits on, deadlock_timeout 10ms, so every lock wait over
# 10 ms is logged with its length):
#   1. load CARTS carts idle for 100 days, each with 2 items, plus 10,000 live carts;
#   2. baseline: the writers alone for SECONDS: they add items to live carts and open new carts;
#   3. purge: the same writers again, and CALL run_retention(target => 'abandoned_carts')
#      meanwhile;
#   4. baseline again, for SECONDS (autovacuum cleaning up after the purge included): the box
#      is shared, so the ratio is taken against the mean of the two baselines;
# and prints rows removed per second, the writers' throughput during the purge as a ratio of
# the baseline, their worst latency in each phase, and the longest lock wait a writer logged.
# Run it with the install lock held (cartwatch.so must not change under it).
set -euo pipefail
cd "$(dirname "$0")/.."

carts=${1:-1000000}
clients=${2:-2}
seconds=${3:-20}
batch=${4:-5000}
pause=${5:-}
live=10000

work=$(mktemp -d /tmp/cartwatch-bench-retention.XXXXXX)
chmod 755 "$work"
cleanup() {
    scripts/pg-cluster.sh stop "$work/cluster"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
scripts/pg-cluster.sh start "$work/cluster" \
    "shared_buffers = '256MB'" "max_wal_size = '4GB'" "checkpoint_timeout = '30min'" \
    "log_lock_waits = on" "deadlock_timeout = '10ms'" "log_min_messages = log" >/dev/null
# shellcheck source=/dev/null
. "$work/cluster/env"
log=$work/cluster/postgres.log
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }

echo "loading $carts expired carts with 2 items each, and $live live carts"
sql >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION cartwatch;
INSERT INTO cartwatch.products (product_id, name, price)
SELECT p, 'Product ' || p, 10 + p FROM generate_series(1, 100) AS p;
-- Items are loaded with the activity trigger off and the carts' counters set directly: the
-- trigger is not what this measures, and would double the load time.
ALTER TABLE cartwatch.cart_items DISABLE TRIGGER cart_items_inserted;
INSERT INTO cartwatch.carts (cart_id, created_at, last_activity_at, item_quantity, ip)
SELECT c, now() - interval '100 days', now() - interval '100 days' + c * interval '1 ms', 2,
       '198.51.100.1'
  FROM generate_series(1, $carts) AS c;
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
SELECT c, 1 + (c + k) % 100, 1, now() - interval '100 days'
  FROM generate_series(1, $carts) AS c, generate_series(0, 1) AS k;
INSERT INTO cartwatch.carts (cart_id, created_at, last_activity_at, item_quantity)
SELECT $carts + c, now(), now(), 1 FROM generate_series(1, $live) AS c;
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity)
SELECT $carts + c, 1 + c % 100, 1 FROM generate_series(1, $live) AS c;
ALTER TABLE cartwatch.cart_items ENABLE TRIGGER cart_items_inserted;
SELECT setval(pg_get_serial_sequence('cartwatch.carts', 'cart_id'), $carts + $live);
-- Only the policy under test runs.
SELECT cartwatch.remove_retention_policy(target) FROM cartwatch.retention_policies
 WHERE target <> 'abandoned_carts';
VACUUM ANALYZE;
CHECKPOINT;
SQL
[ -z "$pause" ] || sql -c "SELECT cartwatch.set_setting('retention_batch_pause', '$pause')" >/dev/null
pause=$(sql -c "SELECT cartwatch.setting('retention_batch_pause')")

# The writers: 3 of 4 transactions add an item to a live cart, 1 of 4 opens a cart with an item.
cat >"$work/add_item.sql" <<SQL
\set cart random($carts + 1, $carts + $live)
\set product random(1, 100)
INSERT INTO cartwatch.cart_items AS i (cart_id, product_id, quantity) VALUES (:cart, :product, 1)
    ON CONFLICT (cart_id, product_id, variant) DO UPDATE SET quantity = i.quantity % 5 + 1;
SQL
cat >"$work/new_cart.sql" <<'SQL'
\set product random(1, 100)
BEGIN;
INSERT INTO cartwatch.carts (ip) VALUES ('203.0.113.1') RETURNING cart_id \gset
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity) VALUES (:cart_id, :product, 1);
END;
SQL
writers() { # writers PHASE SECONDS: pgbench with a per-transaction log in $work/log-PHASE.*
    pgbench -n -c "$clients" -j "$clients" -T "$2" -f "$work/add_item.sql@3" \
        -f "$work/new_cart.sql@1" -l --log-prefix="$work/log-$1" postgres >"$work/$1.stdout" 2>&1 ||
        { cat "$work/$1.stdout" >&2; return 1; }
}
# tx_stats PHASE FROM TO: transactions/s and worst latency (ms) of those that ended in
# [FROM, TO] (epoch seconds).
tx_stats() {
    # shellcheck disable=SC2086 # PHASE may be a glob
    cat "$work/log-"$1.* | awk -v from="$2" -v to="$3" '
        { t = $5 + $6 / 1e6; if (t >= from && t <= to) { n++; if ($3 > max) max = $3 } }
        END { printf "%.1f %.1f\n", n / (to - from), max / 1000 }'
}

baseline() { # baseline PHASE: the writers alone; prints tx/s and worst latency
    local from to
    from=$(date +%s.%N)
    writers "$1" "$seconds"
    to=$(date +%s.%N)
    tx_stats "$1" "$from" "$to"
}

echo "baseline: $clients writers for ${seconds}s"
read -r before_tps before_max <<<"$(baseline before)"

echo "purge: the same writers, and run_retention(batch_size => $batch), pausing $pause between batches"
# Back-to-back short runs until the purge is over: each run ends cleanly and writes its log.
(
    run=0
    while [ ! -e "$work/purge.done" ]; do
        run=$((run + 1))
        writers "purge-$run" 3
    done
) &
writers_pid=$!
sleep 2
purge_pid=$(sql -c "SELECT pg_backend_pid()")
purge_from=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -d postgres \
    -c "CALL cartwatch.run_retention(target => 'abandoned_carts', batch_size => $batch)" \
    2>"$work/purge.notice"
purge_to=$(date +%s.%N)
touch "$work/purge.done"
wait "$writers_pid"
read -r purge_tps purge_max <<<"$(tx_stats 'purge-*' "$purge_from" "$purge_to")"
echo "baseline again: $clients writers for ${seconds}s"
read -r after_tps after_max <<<"$(baseline after)"

removed=$(sql -c "SELECT rows_removed FROM cartwatch.retention_runs ORDER BY run_id DESC LIMIT 1")
left=$(sql -c "SELECT count(*) FROM cartwatch.carts WHERE cart_id <= $carts")
# "process N acquired ShareLock on transaction M after 12.345 ms": waits over deadlock_timeout.
longest_wait=$(grep -E 'acquired .* after [0-9.]+ ms' "$log" | grep -v "\[$purge_pid\]" |
    sed -E 's/.* after ([0-9.]+) ms.*/\1/' | sort -g | tail -1 || true)
waits=$(grep -Ec 'acquired .* after [0-9.]+ ms' "$log" || true)

awk -v carts="$carts" -v removed="$removed" -v left="$left" -v from="$purge_from" -v to="$purge_to" \
    -v before_tps="$before_tps" -v before_max="$before_max" -v after_tps="$after_tps" \
    -v after_max="$after_max" -v purge_tps="$purge_tps" \
    -v purge_max="$purge_max" -v wait="${longest_wait:-none}" -v waits="$waits" \
    -v clients="$clients" -v batch="$batch" -v pause="$pause" 'BEGIN {
    d = to - from
    printf "carts purged:        %d of %d expired (%d left), %.1f s, %.0f carts/s (%.0f rows/s with their items)\n",
           removed, carts, left, d, removed / d, 3 * removed / d
    base_tps = (before_tps + after_tps) / 2
    printf "writers (%d clients): %.1f tx/s alone (%.1f before, %.1f after), %.1f during the purge: ratio %.2f\n",
           clients, base_tps, before_tps, after_tps, purge_tps, purge_tps / base_tps
    printf "writer latency max:  %.1f ms alone (before), %.1f ms during the purge, %.1f ms after\n",
           before_max, purge_max, after_max
    printf "lock waits > 10 ms:  %d logged; longest by a writer: %s ms\n", waits, wait
    printf "batch_size %d, retention_batch_pause %s\n", batch, pause
}'
