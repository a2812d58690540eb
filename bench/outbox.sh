#!/usr/bin/env bash
# The reminder outbox under load, against the cluster in PGHOST/PGPORT (start one with
# scripts/pg-cluster.sh and source its env), in a database of its own:
#   1. schedule_reminders() over CARTS carts (default 1,000,000) of which none is due;
#   2. the same with DUE (default 10,000) carts due;
#   3. a steady state: the same run again once every due cart has its row;
#   4. claim + complete throughput at batch 100, in rows per second.
# Each timing is the median of RUNS (default 3) runs, and is printed beside a baseline measured
# in the same run: a plain index range count over the same carts (what any scheduler has to
# read at least), and a bare UPDATE ... RETURNING of the same rows for the claim.
#
#   bench/outbox.sh [CARTS] [DUE]
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
carts=${1:-1000000}
due=${2:-10000}
runs=${RUNS:-3}
db=cw_bench_outbox_$$
bench_database "$db"
psql_flags=(-At)
bench_work cw-bench-outbox

# Milliseconds of one psql command (client-side \timing of the statement alone).
time_ms() {
    psql -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

start=$(date +%s.%N)
psql <<SQL
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
INSERT INTO cartwatch.products (product_id, name, price) VALUES (1, 'Mug', 49.90), (2, 'T-shirt', 79.00);
-- A year of carts, none due at the as_of below: 60 % ordered, 30 % older than max_cart_age,
-- 10 % touched within the last hour. Customers are guests with consent.
INSERT INTO cartwatch.carts (cart_id, guest_email, guest_reminder_consent, created_at,
                             last_activity_at, item_quantity, order_id)
SELECT g, 'guest' || g || '@example.com', true,
       CASE WHEN g % 10 = 0 THEN t - interval '50 minutes' ELSE t - (g % 360 + 8) * interval '1 day' END,
       CASE WHEN g % 10 = 0 THEN t - interval '30 minutes' ELSE t - (g % 360 + 8) * interval '1 day' END,
       1, CASE WHEN g % 10 < 6 AND g % 10 > 0 THEN g END
  FROM generate_series(1, $carts) AS g, (SELECT timestamptz '2026-11-20 12:00+00' AS t) AS c;
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
SELECT c.cart_id, 1 + c.cart_id % 2, 1, c.last_activity_at FROM cartwatch.carts AS c;
ANALYZE;
SQL
load_s=$(echo "$(date +%s.%N) - $start" | bc)

as_of="'2026-11-20 12:00+00'"
baseline_sql="SELECT count(*) FROM cartwatch.carts WHERE order_id IS NULL AND item_quantity > 0
  AND cartwatch.open_cart_activity(order_id, item_quantity, last_activity_at)
      BETWEEN timestamptz $as_of - interval '7 days' AND timestamptz $as_of - interval '2 hours'"

# 1. none due
none_ms=$(for _ in $(seq "$runs"); do time_ms "SELECT cartwatch.schedule_reminders($as_of)"; done | median)
base_none_ms=$(for _ in $(seq "$runs"); do time_ms "$baseline_sql"; done | median)

# 2. DUE carts become due: abandoned 3 hours ago, created today.
psql -c "INSERT INTO cartwatch.carts (cart_id, guest_email, guest_reminder_consent, created_at, last_activity_at, item_quantity)
            SELECT $carts + g, 'due' || g || '@example.com', true, timestamptz $as_of - interval '4 hours',
                   timestamptz $as_of - interval '3 hours', 1 FROM generate_series(1, $due) AS g" \
        -c "INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
            SELECT $carts + g, 2, 1, timestamptz $as_of - interval '3 hours' FROM generate_series(1, $due) AS g" \
        -c "ANALYZE cartwatch.carts"
due_ms=()
for _ in $(seq "$runs"); do
    due_ms+=("$(time_ms "BEGIN; SELECT cartwatch.schedule_reminders($as_of); ROLLBACK")")
done
due_med=$(printf '%s\n' "${due_ms[@]}" | median)
base_due_ms=$(for _ in $(seq "$runs"); do time_ms "$baseline_sql"; done | median)
queued=$(psql -c "SELECT cartwatch.schedule_reminders($as_of)")
# 3. steady state: every due cart has its row now.
steady_ms=$(for _ in $(seq "$runs"); do time_ms "SELECT cartwatch.schedule_reminders($as_of)"; done | median)

# 4. claim + complete, batch 100, one worker, until the queue is empty.
cat >"$work/claim.sql" <<SQL
SELECT count(cartwatch.complete_reminder(c.reminder_id, 'bench', '<' || c.reminder_id || '@bench>',
                                         '250 ok', 's', 't', timestamptz $as_of + interval '1 minute'))
  FROM cartwatch.claim_reminders('bench', 100, '5 minutes', timestamptz $as_of + interval '1 minute') AS c;
SQL
claim_start=$(date +%s.%N)
batches=$((queued / 100 + 1))
for _ in $(seq "$batches"); do psql -f "$work/claim.sql" >/dev/null; done
claim_s=$(echo "$(date +%s.%N) - $claim_start" | bc)
sent=$(psql -c "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent'")
# Baseline: the same number of rows moved by a bare UPDATE ... RETURNING in batches of 100.
psql -c "CREATE TABLE plain (id bigint PRIMARY KEY, state text, due timestamptz)" \
        -c "INSERT INTO plain SELECT g, 'pending', now() FROM generate_series(1, $sent) AS g" \
        -c "CREATE INDEX ON plain (due) WHERE state = 'pending'"
base_start=$(date +%s.%N)
for _ in $(seq "$batches"); do
    psql -c "WITH p AS (SELECT id FROM plain WHERE state = 'pending' ORDER BY due, id LIMIT 100 FOR UPDATE SKIP LOCKED)
                UPDATE plain SET state = 'sent' FROM p WHERE plain.id = p.id RETURNING plain.id" >/dev/null
done
base_s=$(echo "$(date +%s.%N) - $base_start" | bc)

rate() { echo "scale=0; $1 / $2" | bc; }
echo "cartwatch outbox benchmark: $carts carts (loaded in ${load_s%.*} s), $due due, median of $runs runs"
printf 'schedule_reminders, none due:      %8.1f ms   (index range count baseline %.1f ms, ratio %.1f)\n' \
    "$none_ms" "$base_none_ms" "$(echo "$none_ms / $base_none_ms" | bc -l)"
printf 'schedule_reminders, %s due:     %8.1f ms   (baseline %.1f ms, ratio %.1f); queued %s\n' \
    "$due" "$due_med" "$base_due_ms" "$(echo "$due_med / $base_due_ms" | bc -l)" "$queued"
printf 'schedule_reminders, steady state: %8.1f ms   (every due cart already has its row)\n' "$steady_ms"
printf 'claim + complete, batch 100:      %8s rows/s (%s rows in %.1f s; bare UPDATE baseline %s rows/s, ratio %.2f)\n' \
    "$(rate "$sent" "$claim_s")" "$sent" "$claim_s" "$(rate "$sent" "$base_s")" \
    "$(echo "$base_s / $claim_s" | bc -l)"
