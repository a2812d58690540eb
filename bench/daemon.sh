#!/usr/bin/env bash
# cartwatchd end to end against the ceiling of the SMTP path, in one run:
#   baseline: postfix smtp-source sends MESSAGES messages of the daemon's message size to
#             smtp-sink on loopback over CONCURRENCY connections kept open (-d): pure SMTP.
#   cartwatchd: the same number of due reminders, the same sink, the same concurrency; each
#             one claimed, rendered (templates, MIME), sent and completed in the database.
# Prints both rates, their ratio, cartwatchd's peak resident memory (VmHWM), and where the CPU
# went, in milliseconds per message: smtp-source and the sink for the baseline; the daemon (and
# its user and system halves), its PostgreSQL backend and the sink for cartwatchd.
#
#   bench/daemon.sh [MESSAGES] [CONCURRENCY]     (needs PGHOST/PGPORT of a cluster with cartwatch
#                                                 installed, and the CMake build in build/)
#   ROUNDS=5 bench/daemon.sh 20000 2             (that many runs, each its own baseline and
#                                                 daemon pair, and the median pair's ratio: on a
#                                                 small machine one run's ratio moves by several
#                                                 points with whatever else runs)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
messages=${1:-2000}
concurrency=${2:-2}
rounds=${ROUNDS:-1}
if [ "$rounds" -gt 1 ]; then
    ratios=()
    for round in $(seq 1 "$rounds"); do
        out=$(ROUNDS=1 "$0" "$messages" "$concurrency")
        while IFS= read -r line; do echo "round $round: $line"; done <<<"$out"
        ratios+=("$(sed -n 's/^ratio cartwatchd\/smtp-source: \([0-9]*\)%$/\1/p' <<<"$out")")
    done
    median=$(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(((rounds + 1) / 2))p")
    echo "ratio cartwatchd/smtp-source, median of $rounds rounds: $median% (${ratios[*]})"
    exit 0
fi
daemon=${CARTWATCH_BUILD_DIR:-$bench_root/build}/cartwatchd
db=cw_bench_daemon_$$
bench_work cw-bench-daemon
bench_database "$db"
psql_flags=(-At)
sink_pid=
daemon_pid=
# Registered after the database, so run before its drop, which the daemon's session would block.
stop_processes() {
    [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
    [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null
    wait 2>/dev/null
}
bench_on_exit stop_processes
free_port() {
    "$bench_root/scripts/free-port.sh"
}
# CPU seconds (user + system) a process has used so far; user_seconds and system_seconds
# the two apart.
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}
user_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ print $14 / hz }' "/proc/$1/stat"; }
system_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ print $15 / hz }' "/proc/$1/stat"; }

# The sink: accepts everything, keeps nothing (no -d), answers at once.
port=$(free_port)
sink_user=()
[ "$(id -u)" = 0 ] && sink_user=(-u nobody)
/usr/sbin/smtp-sink "${sink_user[@]}" 127.0.0.1:"$port" 256 &
sink_pid=$!
sleep 0.3

psql -v messages="$messages" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
SELECT cartwatch.set_setting('first_after', '1 hour') \gset
INSERT INTO cartwatch.products (product_id, reference, name, price)
VALUES (1, 'MUG-1', 'Kubek ceramiczny 350 ml', 39.90), (2, 'TEE-1', 'T-shirt „Żółw”', 59.00);
WITH new_carts AS (
    INSERT INTO cartwatch.carts (guest_email, guest_reminder_consent, locale, currency,
                                 created_at, last_activity_at)
    SELECT 'customer' || g || '@example.com', true, (ARRAY['pl', 'de', 'fr', 'en'])[1 + g % 4],
           'EUR', now() - interval '3 hours', now() - interval '2 hours'
      FROM generate_series(1, :messages) AS g
    RETURNING cart_id)
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
SELECT cart_id, p, p, now() - interval '2 hours' FROM new_carts, generate_series(1, 2) AS p;
SELECT cartwatch.schedule_reminders() \gset
VACUUM ANALYZE;
SQL

cat >"$work/cartwatchd.toml" <<TOML
[database]
url = "host=$PGHOST port=$PGPORT dbname=$db"
[smtp]
url = "smtp://127.0.0.1:$port"
from = "Sklep Żółw <sklep@shop.example>"
starttls = "off"
concurrency = $concurrency
rate_per_second = 0
[shop]
name = "Sklep Żółw"
address = "ul. Długa 1, 00-001 Warszawa"
recovery_url = "https://shop.example/cart/{token}"
unsubscribe_url = "https://shop.example/unsubscribe/{token}"
[templates]
dir = "$bench_root/mail_templates"
[daemon]
poll_interval = "30s"
batch_size = 100
log_level = "warn"
TOML

# The baseline sends messages as large as the daemon's.
cart=$(psql -c "SELECT min(cart_id) FROM cartwatch.carts")
size=$("$daemon" --config "$work/cartwatchd.toml" preview --cart "$cart" | wc -c)

sink_cpu_start=$(cpu_seconds "$sink_pid")
# The shell's `time` reports smtp-source's elapsed, user and system seconds on the last line.
source_times=$( { TIMEFORMAT='%3R %3U %3S'; time /usr/sbin/smtp-source -d -s "$concurrency" \
    -m "$messages" -l "$size" -f sklep@shop.example -t customer@example.com \
    127.0.0.1:"$port" >/dev/null; } 2>&1 | tail -n 1)
baseline_seconds=$(echo "$source_times" | awk '{ print $1 }')
source_cpu=$(echo "$source_times" | awk '{ print $2 + $3 }')
sink_cpu_baseline=$(cpu_seconds "$sink_pid")

"$daemon" --config "$work/cartwatchd.toml" run >"$work/daemon.log" 2>&1 &
daemon_pid=$!
until [ "$(psql -c "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent'")" = "$messages" ]; do
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.log"; exit 1; }
    sleep 0.2
done
# From the first claim to the last completion, as the outbox recorded them.
daemon_seconds=$(psql -c "SELECT extract(epoch FROM max(finished_at) - min(claimed_at))
                            FROM cartwatch.reminders")
peak_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$daemon_pid/status")
daemon_cpu=$(cpu_seconds "$daemon_pid")
daemon_user=$(user_seconds "$daemon_pid")
daemon_system=$(system_seconds "$daemon_pid")
backend_pid=$(psql -c "SELECT pid FROM pg_stat_activity
                        WHERE datname = current_database() AND application_name = 'cartwatchd'
                         ORDER BY backend_start LIMIT 1")
backend_cpu=$(cpu_seconds "$backend_pid")
sink_cpu_daemon=$(cpu_seconds "$sink_pid")
kill -TERM "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=

baseline_rate=$(echo "scale=1; $messages / $baseline_seconds" | bc)
daemon_rate=$(echo "scale=1; $messages / $daemon_seconds" | bc)
printf 'messages: %s of %s bytes, concurrency %s\n' "$messages" "$size" "$concurrency"
printf 'smtp-source (baseline): %8.1f messages/s  (%.2f s)\n' "$baseline_rate" "$baseline_seconds"
printf 'cartwatchd:             %8.1f reminders/s (%.2f s)\n' "$daemon_rate" "$daemon_seconds"
printf 'ratio cartwatchd/smtp-source: %.0f%%\n' "$(echo "100 * $daemon_rate / $baseline_rate" | bc -l)"
printf 'cartwatchd peak RSS: %.1f MB\n' "$(echo "$peak_kb / 1024" | bc -l)"
per_message() { echo "1000 * ($1) / $messages" | bc -l; }
printf 'CPU per message, baseline: smtp-source %.3f ms, smtp-sink %.3f ms\n' \
    "$(per_message "$source_cpu")" "$(per_message "$sink_cpu_baseline - $sink_cpu_start")"
printf 'CPU per reminder, cartwatchd: daemon %.3f ms, its PostgreSQL backend %.3f ms, smtp-sink %.3f ms\n' \
    "$(per_message "$daemon_cpu")" "$(per_message "$backend_cpu")" \
    "$(per_message "$sink_cpu_daemon - $sink_cpu_baseline")"
# The system half is mostly the SMTP round trips (the loopback TCP path, the waits); the user
# half rendering and libcurl's own work.
printf 'daemon CPU per reminder: user %.3f ms, system %.3f ms\n' \
    "$(per_message "$daemon_user")" "$(per_message "$daemon_system")"
