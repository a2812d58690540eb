#!/usr/bin/env bash
# The PrestaShop customer CSV export, both forms, against a COPY baseline in the same run on the
# same data: peak memory and wall time of the backend that exports, and of the psql that writes
# the file.
#   text   psql -At -c 'SELECT cartwatch.export_customers_csv()': the whole file in one value
#   lines  README.md's command: psql -At -v FETCH_COUNT=10000 -c 'SELECT line || chr(13) FROM
#          cartwatch.export_customers_csv_lines()'
#   COPY   COPY (the export's own query: the same columns, joins and per-currency pass) TO STDOUT
#          (FORMAT csv): what reading the rows costs, without the Polish formatting
# Each is a fresh backend (so its peak is its own), ROUNDS times, in turn. Per run it prints the
# backend's VmHWM (the kernel's peak resident size: shared buffers it touched included, which
# COPY touches alike) and its peak private memory (RssAnon, sampled every 20 ms), psql's peak
# resident size, the wall time, and the ratios to COPY; and checks that the two forms' files are
# the same bytes.
#
#   bench/customers_export.sh                          (200,000 customers, 10 orders each)
#   CUSTOMERS=1000000 ORDERS=10000000 bench/customers_export.sh
#   BENCH_DIR=/tmp/cw-export bench/customers_export.sh (keeps the loaded cluster there: a
#                                                      second run only measures)
#   ROUNDS=5 WORK_MEM=64MB ...                         (default 3 rounds, work_mem 4MB, the
#                                                      PostgreSQL default)
#   COMPARE_FROM=../other ... bench/customers_export.sh
#                                                      (and that checkout's built text form,
#                                                      round by round, installed for it alone)
#
# Run it WITHOUT holding /tmp/cartwatch-install.lock: it takes the lock itself while cartwatch.so
# can be in use (CREATE EXTENSION, the summary's rebuild, the measurements), not during the load.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

customers=${CUSTOMERS:-200000}
orders=${ORDERS:-$((customers * 10))}
rounds=${ROUNDS:-3}
work_mem=${WORK_MEM:-4MB}
db=${BENCH_DB:-cw_bench_export}
bench_work cartwatch-bench-export "${BENCH_DIR:-}"
# The files written and the samples, removed at the end even when the cluster is kept.
files=$(mktemp -d /tmp/cartwatch-bench-export-files.XXXXXX)
bench_on_exit rm -rf "$files"

size="$customers customers, $orders orders"
if ! bench_cluster_reuse "$size"; then
    # shared_buffers at the default (128MB), so that what a backend touches of them stays small
    # beside what it allocates; work_mem as asked.
    bench_cluster_start "work_mem = '$work_mem'" "max_wal_size = '10GB'" \
        "wal_level = minimal" "max_wal_senders = 0" "maintenance_work_mem = '512MB'"
    createdb "$db"
    bench_locked psql -c "SET client_min_messages = warning" -c "CREATE EXTENSION cartwatch CASCADE"
    echo "loading $size"
    start=$(date +%s)
    # Triggers off (nothing of cartwatch.so runs: no lock needed), then one rebuild of the
    # summary under the lock. Names with what the CSV must quote: ';', quotes, a line break. A
    # tenth of the orders in CHF, so that some customers have sales in two currencies.
    psql <<SQL
SET client_min_messages = warning;
SET session_replication_role = replica;
SELECT setseed(0.5) AS seeded \gset
INSERT INTO cartwatch.customers (customer_id, email, title, first_name, last_name, company,
                                 registered_at)
SELECT n, 'customer' || n || '@example.com', CASE WHEN n % 2 = 0 THEN 'Pan' ELSE 'Pani' END,
       'Imię' || n, 'Nazwisko-Żółć' || n,
       CASE n % 4 WHEN 0 THEN NULL WHEN 1 THEN 'Sklep; "Wąs" ' || n WHEN 2 THEN E'Firma\r\nS.A.'
                  ELSE 'Firma ' || n END,
       CASE WHEN n % 5 = 0 THEN NULL ELSE timestamptz '2024-01-01' + n * interval '1 minute' END
  FROM generate_series(1, $customers) AS n;
INSERT INTO cartwatch.orders (customer_id, status, total, currency, placed_at)
SELECT 1 + (floor($customers * random() ^ 3)::bigint * 7919) % $customers,
       (ARRAY['pending','paid','shipped','delivered','cancelled','returned','refunded'])[1 + n % 7],
       (n % 50000) / 100.0, CASE WHEN n % 10 = 0 THEN 'CHF' ELSE 'PLN' END,
       now() - n % 10000 * interval '1 hour'
  FROM generate_series(1, $orders) AS n;
INSERT INTO cartwatch.visits (customer_id, started_at)
SELECT 1 + n % $customers, now() - n % 5000 * interval '1 hour'
  FROM generate_series(1, $customers * 2) AS n;
SQL
    bench_locked psql -c "SELECT cartwatch.rebuild_customer_summary()" -c "VACUUM ANALYZE" >/dev/null
    echo "loaded in $(($(date +%s) - start)) s"
    bench_cluster_loaded "$size"
fi

# The export's query (extension/customers_csv.cpp, kExportSelect): the same rows and reads, for
# COPY to write in PostgreSQL's own CSV.
copy_sql="COPY (SELECT c.customer_id, c.title, c.first_name, c.last_name, c.email, c.company,
       round(coalesce(t.paid_value, 0) * 100)::bigint, c.enabled, c.newsletter,
       c.partner_offers, c.registered_at, t.last_visit_at,
       CASE WHEN t.valid_orders > 0 THEN s.sales END
  FROM cartwatch.customers AS c
  LEFT JOIN cartwatch.customer_totals AS t ON t.customer_id = c.customer_id
  LEFT JOIN (SELECT g.customer_id,
                    string_agg(g.currency || ':' || g.hundredths, ' ' ORDER BY g.currency) AS sales
               FROM (SELECT o.customer_id, o.currency::text AS currency,
                            round(sum(o.total) * 100)::bigint AS hundredths
                       FROM cartwatch.orders AS o
                      WHERE cartwatch.order_is_valid(o.status) AND o.customer_id IS NOT NULL
                      GROUP BY o.customer_id, o.currency) AS g
              GROUP BY g.customer_id) AS s ON s.customer_id = c.customer_id
 ORDER BY c.customer_id) TO STDOUT (FORMAT csv, DELIMITER ';', HEADER)"

kib() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "$2"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# measure LABEL FILE PSQL-ARGS...: runs psql with PSQL-ARGS in a backend of its own, its output
# into FILE; sets peak_hwm, peak_anon (backend, KiB), psql_rss (KiB) and wall_ms.
measure() {
    local label=$1 file=$2 pid=""
    shift 2
    rm -f "$files/pid" "$files/status"
    : >"$files/sampled"
    local started ended
    started=$(date +%s%N)
    # The session writes its backend's pid to a file first, then runs the measured command.
    PGCLIENTENCODING=UTF8 PGTZ=Europe/Warsaw \
        /usr/bin/time -f '%M' -o "$files/psql_rss" psql -X -At -v ON_ERROR_STOP=1 -d "$db" \
        -c "\\o $files/pid" -c "SELECT pg_backend_pid()" -c "\\o" "$@" >"$file" &
    local client=$!
    # The backend sampled until it is gone. Its VmHWM is read last, so it is the peak of the
    # whole session.
    while kill -0 "$client" 2>/dev/null; do
        if [ -z "$pid" ] && [ -s "$files/pid" ]; then
            pid=$(cat "$files/pid")
        fi
        # (An exiting process's status has no memory lines: such a copy is not kept.)
        if [ -n "$pid" ] && cp "/proc/$pid/status" "$files/status.new" 2>/dev/null &&
            grep -q '^VmHWM' "$files/status.new"; then
            mv "$files/status.new" "$files/status"
            kib RssAnon "$files/status" >>"$files/sampled"
        fi
        sleep 0.02
    done
    wait "$client"
    ended=$(date +%s%N)
    wall_ms=$(((ended - started) / 1000000))
    [ -s "$files/status" ] || { echo "$label: the backend was never sampled" >&2; exit 1; }
    peak_hwm=$(kib VmHWM "$files/status")
    peak_anon=$(sort -n "$files/sampled" | tail -1)
    psql_rss=$(cat "$files/psql_rss")
}

report() {
    printf '%-6s %8d ms %8s MiB %8s MiB %8s MiB' "$1" "$wall_ms" "$(mib "$peak_hwm")" \
        "$(mib "$peak_anon")" "$(mib "$psql_rss")"
    if [ -n "${2:-}" ]; then
        printf '   x%s time, x%s VmHWM, x%s RssAnon' "$(ratio "$wall_ms" "$copy_ms")" \
            "$(ratio "$peak_hwm" "$copy_hwm")" "$(ratio "$peak_anon" "$copy_anon")"
    fi
    echo
}

uptime
echo "work_mem $(psql -At -c 'SHOW work_mem'), shared_buffers $(psql -At -c 'SHOW shared_buffers')"
echo "form     wall time  backend VmHWM  backend RssAnon  psql max RSS   against COPY"
bench_lock
for round in $(seq 1 "$rounds"); do
    echo "round $round"
    measure copy "$files/copy.csv" -c "$copy_sql"
    copy_ms=$wall_ms copy_hwm=$peak_hwm copy_anon=$peak_anon
    report COPY
    measure text "$files/text.csv" -c "SELECT cartwatch.export_customers_csv()"
    report text ratios
    measure lines "$files/lines.csv" -v FETCH_COUNT=10000 \
        -c 'SELECT line || chr(13) FROM cartwatch.export_customers_csv_lines()'
    report lines ratios
    if [ -n "${COMPARE_FROM:-}" ]; then
        bench_with_build "$COMPARE_FROM" measure other "$files/other.csv" \
            -c "SELECT cartwatch.export_customers_csv()"
        report other ratios
        cmp "$files/other.csv" "$files/text.csv" ||
            { echo "$COMPARE_FROM's text form differs from this one's" >&2; exit 1; }
    fi
    # psql ends the one value of the text form with a LF of its own.
    head -c -1 "$files/text.csv" | cmp - "$files/lines.csv" ||
        { echo "the lines form's file differs from the text form" >&2; exit 1; }
done
bench_unlock
echo "files: lines = text form, $(wc -c <"$files/lines.csv") bytes; COPY $(wc -c <"$files/copy.csv") bytes"
uptime
