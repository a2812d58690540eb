#!/usr/bin/env bash
# Retention purge under shop writes.
#
#   bench/retention.sh [CARTS] [CLIENTS] [SECONDS] [BATCH_SIZE] [DUTY] [PAUSE]
#     CARTS       expired abandoned carts to purge, two items each (default 1000000)
#     CLIENTS     pgbench writer connections (default 2)
#     SECONDS     length of each purge-off and purge-on window (default 10)
#     BATCH_SIZE  run_retention's batch_size (default 5000)
#     DUTY        the retention_max_duty setting (default: the setting's default)
#     PAUSE       the retention_batch_pause setting (default: the setting's default)
#
# In a private cluster (log_lock_waits on, deadlock_timeout 10ms, so every lock wait over
# 10 ms is logged with its length):
#   1. load CARTS carts idle for 100 days, each with 2 items, plus 10,000 live carts;
#   2. writers run throughout, adding items to live carts and opening new carts;
#   3. meanwhile windows of SECONDS alternate: purge off, then purge on (run_retention on
#      abandoned_carts, cancelled by statement_timeout at the window's end; the next window's
#      run goes on where it stopped), until every expired cart is gone.
# The box is shared with other work, so the writers' throughput with the purge is compared
# with their throughput in the interleaved windows without it, not with an earlier run.
# Printed: carts (and rows, with their items) removed per second of purging, the writers'
# throughput ratio, their worst latency in each kind of window, and the longest lock wait a
# writer logged.
# Run it WITHOUT holding /tmp/cartwatch-install.lock: it takes the lock itself, from CREATE
# EXTENSION to the last figure read, with this checkout's build installed (cartwatch.so must not
# change under it).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

carts=${1:-1000000}
clients=${2:-2}
seconds=${3:-10}
batch=${4:-5000}
duty=${5:-}
pause=${6:-}
live=10000

bench_work cartwatch-bench-retention
bench_cluster_start \
    "shared_buffers = '256MB'" "max_wal_size = '4GB'" "checkpoint_timeout = '30min'" \
    "log_lock_waits = on" "deadlock_timeout = '10ms'" "log_min_messages = log" \
    "log_line_prefix = '%m [%p] %a '"
log=$cluster/postgres.log
db=postgres
psql_flags=(-At)
bench_lock

echo "loading $carts expired carts with 2 items each, and $live live carts"
psql >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
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
[ -z "$duty" ] || psql -c "SELECT cartwatch.set_setting('retention_max_duty', '$duty')" >/dev/null
[ -z "$pause" ] || psql -c "SELECT cartwatch.set_setting('retention_batch_pause', '$pause')" >/dev/null
duty=$(psql -c "SELECT cartwatch.setting('retention_max_duty')")
pause=$(psql -c "SELECT cartwatch.setting('retention_batch_pause')")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

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
    PGAPPNAME=writer pgbench -n -c "$clients" -j "$clients" -T "$2" -f "$work/add_item.sql@3" \
        -f "$work/new_cart.sql@1" -l --log-prefix="$work/log-$1" postgres >"$work/$1.stdout" 2>&1 ||
        { cat "$work/$1.stdout" >&2; return 1; }
}
# Writers: back-to-back short pgbench runs until told to stop, each ending cleanly with its log.
(
    run=0
    while [ ! -e "$work/writers.stop" ]; do
        run=$((run + 1))
        writers "w-$run" 5
    done
) &
writers_pid=$!
sleep 2

remaining() { psql -c "SELECT count(*) FROM cartwatch.carts WHERE cart_id <= $carts"; }
echo "purge: windows of ${seconds}s, off then on, run_retention(batch_size => $batch), duty $duty, least pause $pause"
: >"$work/windows"
while [ "$(remaining)" -gt 0 ]; do
    from=$(date +%s.%N)
    sleep "$seconds"
    echo "off $from $(date +%s.%N)" >>"$work/windows"
    from=$(date +%s.%N)
    PGOPTIONS="-c statement_timeout=${seconds}s" command psql -X -q -d postgres \
        -c "CALL cartwatch.run_retention(target => 'abandoned_carts', batch_size => $batch)" \
        >/dev/null 2>&1 || true
    echo "on $from $(date +%s.%N)" >>"$work/windows"
done
touch "$work/writers.stop"
wait "$writers_pid"

# Per kind of window: seconds, transactions/s and worst latency (ms) of the transactions that
# ended in it. pgbench's log: client, tx, latency (us), script, epoch s, epoch us.
read -r off_time off_tps off_max on_time on_tps on_max <<<"$(
    cat "$work/log-w-"*.* | awk -v windows="$work/windows" '
        BEGIN { while ((getline line < windows) > 0) { split(line, w, " "); n++
                    kind[n] = w[1]; from[n] = w[2]; to[n] = w[3]; span[w[1]] += w[3] - w[2] } }
        { t = $5 + $6 / 1e6
          for (i = 1; i <= n; i++) if (t >= from[i] && t <= to[i]) {
              count[kind[i]]++; if ($3 > max[kind[i]]) max[kind[i]] = $3; break } }
        END { printf "%.1f %.1f %.1f %.1f %.1f %.1f\n", span["off"], count["off"] / span["off"],
                     max["off"] / 1000, span["on"], count["on"] / span["on"], max["on"] / 1000 }')"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
removed=$(psql -c "SELECT sum(rows_removed) FROM cartwatch.retention_runs WHERE target = 'abandoned_carts'")
left=$(remaining)
bench_unlock
# "process N acquired ShareLock on transaction M after 12.345 ms": waits over deadlock_timeout;
# the writers' lines carry their application_name.
longest_wait=$(grep -E '\] writer .*acquired .* after [0-9.]+ ms' "$log" |
    sed -E 's/.* after ([0-9.]+) ms.*/\1/' | sort -g | tail -1 || true)
waits=$(grep -Ec '\] writer .*acquired .* after [0-9.]+ ms' "$log" || true)

awk -v carts="$carts" -v removed="$removed" -v left="$left" -v on_time="$on_time" \
    -v off_time="$off_time" -v off_tps="$off_tps" -v off_max="$off_max" -v on_tps="$on_tps" \
    -v on_max="$on_max" -v wait="${longest_wait:-none}" -v waits="$waits" \
    -v clients="$clients" -v batch="$batch" -v pause="$pause" -v duty="$duty" \
    -v load_before="$load_before" -v load_after="$load_after" 'BEGIN {
    printf "carts purged:        %d of %d expired (%d left) in %.1f s of purging: %.0f carts/s (%.0f rows/s with their items)\n",
           removed, carts, left, on_time, removed / on_time, 3 * removed / on_time
    printf "writers (%d clients): %.1f tx/s without the purge (%.0f s), %.1f tx/s with it (%.0f s): ratio %.2f\n",
           clients, off_tps, off_time, on_tps, on_time, on_tps / off_tps
    printf "writer latency max:  %.1f ms without the purge, %.1f ms with it\n", off_max, on_max
    printf "writer lock waits:   %d over 10 ms; longest: %s\n", waits, wait == "none" ? "none" : wait " ms"
    printf "batch_size %d, retention_max_duty %s, retention_batch_pause %s\n", batch, duty, pause
    printf "load average:        %s before, %s after\n", load_before, load_after
}'
