#!/usr/bin/env bash
# Checkout cost: order-insert throughput with all of cartwatch's order triggers against the same
# inserts with them disabled (ALTER TABLE ... DISABLE TRIGGER USER: the foreign-key checks
# stay), measured in the same run on the same data, and each trigger's own cost (the same
# inserts with that one trigger disabled, the others on); then each trigger's server time per
# order in one bulk INSERT ... SELECT (EXPLAIN ANALYZE).
#
#   bench/checkout.sh                          (defaults below; about 10 minutes)
#   ROUNDS=7 SECONDS_PER_RUN=8 bench/checkout.sh
#   MIX=guests bench/checkout.sh               (every order a guest checkout)
#   BULK=50000 bench/checkout.sh               (the INSERT ... SELECT of the last part)
#   SO_FROM=../other bench/checkout.sh         (the bulk part also with that checkout's built
#                                               cartwatch.so, attempt by attempt: C changes)
#   COMPARE_FROM=../other bench/checkout.sh    (also loads a second database from that checkout's
#                                               install script and measures its inserts in the
#                                               same rounds, against the same baseline)
#
# Run it WITHOUT holding /tmp/cartwatch-install.lock: it takes the lock itself while
# cartwatch.so can be in use. It starts a private cluster of its own (scripts/pg-cluster.sh)
# and removes it at the end.
#
# The shop: CUSTOMERS registered customers (default 100,000), HISTORY carts (default 300,000;
# four in five a registered customer's, the rest guests', whose 20,000 addresses recur) each
# with a first reminder (four in five sent, spread over the last 90 days so that ~8 % fall in the
# 7-day attribution window; the rest cancelled), HISTORY orders, and POOL open carts (default
# 400,000), last active within the last 14 days, that the benchmark orders; one pool cart in
# seven had a first reminder sent. Each pgbench transaction places one order for the next pool
# cart of its client (a per-client counter, so no two orders name one cart) as its owner would:
# four in five a registered customer (with the customer's address), one in five a guest (the
# guest's address). After every run the run's orders are deleted, the carts and reminders they
# marked are put back and the tables vacuumed (triggers off), so every run starts from the same
# data.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

customers=${CUSTOMERS:-100000}
history=${HISTORY:-300000}
pool=${POOL:-400000}
seconds=${SECONDS_PER_RUN:-8}
rounds=${ROUNDS:-5}
psql_flags=(-At) # for psql_in DATABASE ARGS...: every figure read unaligned, without headers
bench_work cartwatch-bench-checkout
bench_cluster_start "shared_buffers = '1GB'" "max_wal_size = '8GB'" \
    "checkpoint_timeout = '1h'" "wal_level = minimal" "max_wal_senders = 0" \
    "maintenance_work_mem = '512MB'"

# Creates database $1 with the extension built in checkout $2, holding the install lock.
create_database() {
    createdb "$1"
    bench_lock "$2"
    psql_in "$1" -c "SET client_min_messages = warning" -c "CREATE EXTENSION cartwatch CASCADE"
    bench_unlock
}

# The shop's data, loaded with every trigger off (session_replication_role) and the summary
# rebuilt once at the end; plain SQL, so it needs no lock but for the rebuild (C).
load() { # database
    psql_in "$1" <<SQL
SET client_min_messages = warning;
SET session_replication_role = replica;
SELECT setseed(0.5);
INSERT INTO cartwatch.customers (customer_id, email, first_name, last_name, registered_at,
                                 reminder_consent)
SELECT n, 'customer' || n || '@example.com', 'First' || n, 'Last' || n, '2024-01-01', true
  FROM generate_series(1, $customers) AS n;
-- History carts 1..HISTORY, then the pool HISTORY+1..HISTORY+POOL. Cart n is a guest's when
-- n % 5 = 0 (guest n % 20000), else customer 1 + n % CUSTOMERS's.
INSERT INTO cartwatch.carts (cart_id, customer_id, guest_email, guest_reminder_consent,
                             created_at, last_activity_at, item_quantity)
SELECT n, CASE WHEN n % 5 <> 0 THEN 1 + n % $customers END,
       CASE WHEN n % 5 = 0 THEN 'guest' || n % 20000 || '@example.com' END, n % 5 = 0,
       t, t, 1
  FROM generate_series(1, $history + $pool) AS n,
       LATERAL (SELECT CASE WHEN n <= $history THEN now() - random() * interval '90 days'
                            ELSE now() - interval '2 hours' - random() * interval '14 days' END AS t) AS a;
INSERT INTO cartwatch.orders (customer_id, cart_id, email, status, total, placed_at)
SELECT c.customer_id, c.cart_id, coalesce(u.email, c.guest_email), 'paid', 42.00,
       c.last_activity_at + interval '1 hour'
  FROM cartwatch.carts AS c LEFT JOIN cartwatch.customers AS u USING (customer_id)
 WHERE c.cart_id <= $history;
UPDATE cartwatch.carts AS c SET order_id = o.order_id
  FROM cartwatch.orders AS o WHERE o.cart_id = c.cart_id;
-- One first reminder per history cart (four in five sent), and one per seventh pool cart (all
-- sent, an hour after the cart's last activity).
INSERT INTO cartwatch.reminders (cart_id, step, state, cancel_reason, customer_id, email_key,
                                 email, activity_at, scheduled_at, due_at, sent_at, finished_at,
                                 attempt)
SELECT c.cart_id, 'first', CASE WHEN sent THEN 'sent' ELSE 'cancelled' END,
       CASE WHEN NOT sent THEN 'ordered' END, c.customer_id,
       cartwatch.email_key(coalesce(u.email, c.guest_email)), coalesce(u.email, c.guest_email),
       c.last_activity_at, t, t, CASE WHEN sent THEN t END, t, 1
  FROM cartwatch.carts AS c LEFT JOIN cartwatch.customers AS u USING (customer_id),
       LATERAL (SELECT c.cart_id % 5 <> 1 OR c.cart_id > $history AS sent,
                       c.last_activity_at + interval '1 hour' AS t) AS s
 WHERE c.cart_id <= $history OR c.cart_id % 7 = 3;
RESET session_replication_role;
VACUUM ANALYZE;
SQL
}

# The run's orders undone, triggers off: reminders, carts, orders as they were.
reset_run() { # database last_order_id
    psql_in "$1" <<SQL
SET client_min_messages = warning;
SET session_replication_role = replica;
UPDATE cartwatch.reminders SET recovered_order_id = NULL, recovered_at = NULL,
       recovered_value = NULL
 WHERE recovered_order_id > $2;
UPDATE cartwatch.carts SET order_id = NULL WHERE cart_id > $history AND order_id IS NOT NULL;
DELETE FROM cartwatch.orders WHERE order_id > $2;
RESET session_replication_role;
VACUUM cartwatch.reminders, cartwatch.carts, cartwatch.orders, cartwatch.customer_totals;
SQL
}

# One transaction, one order: :k counts a client's transactions, so client c orders pool cart
# HISTORY + 1 + 2k + c, as its owner (a guest for one cart in five) would.
# With MIX=guests every order is a guest checkout (no customer_id; a registered customer's cart
# is ordered with the customer's address): a shop whose checkout is mostly guest checkout.
registered_columns="customer_id, cart_id, email" registered_values=":customer, :cart"
if [ "${MIX:-}" = guests ]; then
    registered_columns="cart_id, email" registered_values=":cart"
fi
cat >"$work/order.sql" <<SQL
\\set k :k + 1
\\set cart $history + 1 + (:k * 2 + :client_id) % $pool
\\set customer 1 + :cart % $customers
\\set guest :cart % 20000
\\if :cart % 5 = 0
INSERT INTO cartwatch.orders (cart_id, email, status, total)
VALUES (:cart, 'guest' || :guest || '@example.com', 'paid', 42.00);
\\else
INSERT INTO cartwatch.orders ($registered_columns, status, total)
VALUES ($registered_values, 'customer' || :customer || '@example.com', 'paid', 42.00);
\\endif
SQL

# The CPU time of the server's exited processes (pgbench's backends once they have gone), in
# clock ticks: per transaction it moves far less than tps does on a shared machine.
reaped_cpu() { awk '{ print $16 + $17 }' "/proc/$(head -1 "$cluster/data/postmaster.pid")/stat"; }
# database -> "tps cpu_us_per_transaction"; then undoes the run.
run() {
    local before output count last
    last=$(psql_in "$1" -c "SELECT coalesce(max(order_id), 0) FROM cartwatch.orders")
    before=$(reaped_cpu)
    output=$(pgbench -n -M prepared -c 2 -j 2 -T "$seconds" -D k=0 \
        -f "$work/order.sql" "$1" 2>&1) ||
        { echo "$output" >&2; return 1; }
    sleep 0.5 # the backends exit, and are reaped, just after pgbench
    count=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$output")
    if [ "$count" -ge "$pool" ]; then
        echo "a run placed $count orders, more than the POOL of $pool carts" >&2
        return 1
    fi
    psql_in "$1" -c "SELECT round(100.0 * count(*) / $count) FROM cartwatch.reminders
                      WHERE recovered_order_id > $last" >"$work/recovered_percent"
    awk -v before="$before" -v after="$(reaped_cpu)" -v count="$count" -v hz="$(getconf CLK_TCK)" \
        -v tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$output")" \
        'BEGIN { printf "%.0f %.1f", tps, (after - before) * 1e6 / hz / count }'
    reset_run "$1" "$last" >/dev/null
}
triggers() { # database enable|disable trigger-list
    local trigger
    for trigger in $3; do
        psql_in "$1" -c "ALTER TABLE cartwatch.orders ${2^^} TRIGGER $trigger"
    done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
difference() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
spread() { printf '%s\n' "$@" | sort -n | sed -n '1p;$p' | paste -sd- -; }

db=cw_bench_checkout
create_database "$db" .
start=$(date +%s)
load "$db"
if [ -n "${COMPARE_FROM:-}" ]; then
    other_db=cw_bench_checkout_other
    create_database "$other_db" "$COMPARE_FROM"
    load "$other_db"
fi
# Both databases' C code from this checkout's cartwatch.so (an older install script's C
# functions are all still in it).
bench_lock
for d in "$db" ${other_db:-}; do
    psql_in "$d" -c "SET client_min_messages = warning" -c "SELECT cartwatch.rebuild_customer_summary()" \
        -c "VACUUM ANALYZE cartwatch.customer_totals" >/dev/null
done
echo "loaded $customers customers, $history history carts, orders and reminders," \
     "$pool pool carts in $(($(date +%s) - start)) s"
psql_in "$db" -c "SELECT 'reminders: ' || count(*) || ', sent ' || count(*) FILTER (WHERE state = 'sent')
                         || ', sent within the attribution window ' || count(*) FILTER (
                            WHERE state = 'sent' AND sent_at > now() - cartwatch.setting('attribution_window')::interval)
                    FROM cartwatch.reminders"
psql_in "$db" -c "SELECT string_agg(tgname || ' (' || tgfoid::regproc || ')', ', ' ORDER BY tgname)
                    FROM pg_trigger WHERE tgrelid = 'cartwatch.orders'::regclass AND NOT tgisinternal
                     AND tgtype & 4 = 4" | sed 's/^/order insert triggers: /'
uptime

# The measured cases: all triggers on; all off (the baseline); each insert trigger off alone.
insert_triggers=$(psql_in "$db" -c "SELECT string_agg(tgname, ' ' ORDER BY tgname) FROM pg_trigger
                                     WHERE tgrelid = 'cartwatch.orders'::regclass
                                       AND NOT tgisinternal AND tgtype & 4 = 4")
cases=(all none)
for trigger in $insert_triggers; do cases+=("without:$trigger"); done
declare -A tps_of cpu_of
# One untimed run: the first after the load pays for reading pages into shared buffers.
run "$db" >/dev/null
echo "orders that recovered a reminder: $(cat "$work/recovered_percent") %"
for round in $(seq 1 "$rounds"); do
    order=("${cases[@]}")
    # Odd rounds in one order, even rounds reversed: no case always follows the same one.
    if [ $((round % 2)) = 0 ]; then
        order=()
        for ((i = ${#cases[@]} - 1; i >= 0; i--)); do order+=("${cases[i]}"); done
    fi
    [ -z "${other_db:-}" ] || order+=(other)
    line="round $round:"
    for case in "${order[@]}"; do
        case $case in
        all) result=$(run "$db") ;;
        none)
            psql_in "$db" -c "ALTER TABLE cartwatch.orders DISABLE TRIGGER USER"
            result=$(run "$db")
            psql_in "$db" -c "ALTER TABLE cartwatch.orders ENABLE TRIGGER USER" ;;
        without:*)
            triggers "$db" disable "${case#without:}"
            result=$(run "$db")
            triggers "$db" enable "${case#without:}" ;;
        other) result=$(run "$other_db") ;;
        esac
        tps_of[$case]+="${result% *} " cpu_of[$case]+="${result#* } "
        line+=" $case ${result% *} tps ${result#* } us;"
    done
    echo "$line"
done
# The server's own cost of each trigger per order, from EXPLAIN ANALYZE's trigger times: the
# orders of one run's worth of checkouts (BULK, default 20,000; the same mix) inserted by one
# INSERT ... SELECT in a transaction rolled back, the dead rows it leaves vacuumed away, three
# times per database, alternating. One session and no round trips: the planning a session
# repeats (or not) shows here as it does in a shop's long-lived connections.
bulk=${BULK:-20000}
guest_customer="CASE WHEN n % 5 <> 0 THEN 1 + n % $customers END"
[ "${MIX:-}" != guests ] || guest_customer=NULL
bulk_insert="INSERT INTO cartwatch.orders (customer_id, cart_id, email, status, total)
SELECT $guest_customer, n,
       CASE WHEN n % 5 <> 0 THEN 'customer' || 1 + n % $customers ELSE 'guest' || n % 20000 END
           || '@example.com', 'paid', 42.00
  FROM generate_series($history + 1, $history + $bulk) AS n"
bulk_costs() { # database -> one line: microseconds per order, per trigger
    psql_in "$1" -c "BEGIN" -c "EXPLAIN (ANALYZE, COSTS OFF) $bulk_insert" -c "ROLLBACK" |
        sed -n 's/^ *Trigger \([a-z_]*\): time=\([0-9.]*\) calls=.*/\1 \2/p' |
        awk -v n="$bulk" '{ printf "%s %.1f us; ", $1, $2 * 1000 / n }'
    psql_in "$1" -c "VACUUM cartwatch.reminders, cartwatch.carts, cartwatch.orders"
}
for attempt in 1 2 3; do
    echo "bulk of $bulk orders, attempt $attempt, trigger time per order: $(bulk_costs "$db")"
    [ -z "${other_db:-}" ] ||
        echo "bulk of $bulk orders, attempt $attempt, $COMPARE_FROM's install script: $(bulk_costs "$other_db")"
    if [ -n "${SO_FROM:-}" ]; then
        # Each psql is a new backend, which loads the cartwatch.so installed at that moment.
        echo "bulk of $bulk orders, attempt $attempt, $SO_FROM's cartwatch.so:" \
             "$(bench_with_build "$SO_FROM" bulk_costs "$db")"
    fi
done
bench_unlock

# Per round: ratio to the baseline's tps, and CPU per order above the baseline (or, for a
# trigger, what the all-on case costs above the case without it).
read -ra none_tps <<<"${tps_of[none]}"
read -ra none_cpu <<<"${cpu_of[none]}"
read -ra all_cpu <<<"${cpu_of[all]}"
report() { # case label
    local -a tps cpu ratios costs
    read -ra tps <<<"${tps_of[$1]}"
    read -ra cpu <<<"${cpu_of[$1]}"
    for i in "${!tps[@]}"; do
        ratios+=("$(ratio "${tps[i]}" "${none_tps[i]}")")
        case $1 in
        without:*) costs+=("$(difference "${all_cpu[i]}" "${cpu[i]}")") ;;
        *) costs+=("$(difference "${cpu[i]}" "${none_cpu[i]}")") ;;
        esac
    done
    printf '%-44s tps median %6s (%s), ratio to none: median %s (%s); CPU per order %s us, %s us %s (median; %s)\n' \
        "$2" "$(median "${tps[@]}")" "$(spread "${tps[@]}")" "$(median "${ratios[@]}")" \
        "$(spread "${ratios[@]}")" "$(median "${cpu[@]}")" "$(median "${costs[@]}")" \
        "$([[ $1 == without:* ]] && echo "for the trigger" || echo "above none")" "$(spread "${costs[@]}")"
}
echo "$rounds rounds of $seconds s per case, pgbench -M prepared, 2 clients, one order per transaction:"
report none "none (DISABLE TRIGGER USER)"
report all "all order triggers"
for trigger in $insert_triggers; do report "without:$trigger" "without $trigger"; done
[ -z "${other_db:-}" ] || report other "all, $COMPARE_FROM's install script"
uptime
