#!/usr/bin/env bash
# shop_kpis() on a shop with a long outbox history: REMINDERS finished reminders spread evenly
# over DAYS days (four in five sent, the rest cancelled), so its 30-day reminder figures cover
# a thirtieth or so of them. Prints the median server time of 7 calls against a baseline in the
# same run on the same data: the same call with reminders_finished_idx dropped (in a
# rolled-back transaction), i.e. the scan of every reminder kept that the figures cost before
# they read the window as a range of that index.
#
#   bench/kpis.sh [REMINDERS] [DAYS]     (default 1,000,000 over 365; needs PGHOST/PGPORT,
#                                         e.g. from scripts/pg-cluster.sh start DIR; . DIR/env)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
reminders=${1:-1000000}
days=${2:-365}
db=cw_bench_kpis

bench_database "$db"
psql_flags=(-At)

psql -v reminders="$reminders" -v days="$days" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
INSERT INTO cartwatch.reminders (cart_id, step, state, cancel_reason, activity_at, scheduled_at,
                                 due_at, sent_at, finished_at, attempt)
SELECT NULL, 'first', CASE WHEN g % 5 = 0 THEN 'cancelled' ELSE 'sent' END,
       CASE WHEN g % 5 = 0 THEN 'ordered' END, t, t, t,
       CASE WHEN g % 5 <> 0 THEN t END, t, 1
  FROM (SELECT g, now() - (g % :days) * interval '1 day' - (g % 86400) * interval '1 second' AS t
          FROM generate_series(1, :reminders) AS g) AS s;
VACUUM ANALYZE cartwatch.reminders;
SQL

# Median server time (EXPLAIN ANALYZE's execution time) of 7 calls, after one to warm up.
median_ms() { # median_ms SETUP
    local times=()
    for i in 0 1 2 3 4 5 6 7; do
        local t
        t=$(psql -c "BEGIN" -c "$1" \
                 -c "EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM cartwatch.shop_kpis()" \
                 -c "ROLLBACK" | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p')
        [ "$i" = 0 ] || times+=("$t")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n 4p
}
with_index=$(median_ms "SELECT 1")
without_index=$(median_ms "DROP INDEX cartwatch.reminders_finished_idx")
window=$(psql -c "SELECT count(*) FROM cartwatch.reminders
                   WHERE sent_at > now() - interval '30 days'")
printf 'reminders: %s over %s days, %s sent in the 30-day window\n' "$reminders" "$days" "$window"
printf 'shop_kpis(), median of 7:   %8.1f ms\n' "$with_index"
printf 'baseline (no index range):  %8.1f ms\n' "$without_index"
printf 'ratio baseline/shop_kpis:   %8.1fx\n' "$(echo "$without_index / $with_index" | bc -l)"
