#!/usr/bin/env bash
# email_key() against the expression it replaced, lower(btrim(email) COLLATE "und-x-icu"), which
# folds case alone: ADDRESSES ASCII addresses (nearly every shop's, and each order's index entry
# computes one) and a fifth as many with a Unicode domain (keyed in its ASCII form now, through
# libidn2). Prints the best of 5 runs of each, server time per address, and the ratio.
#
#   bench/email_key.sh [ADDRESSES]      (default 1,000,000; needs PGHOST/PGPORT, e.g. from
#                                        scripts/pg-cluster.sh start DIR; . DIR/env; hold
#                                        /tmp/cartwatch-install.lock around it)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
addresses=${1:-1000000}
db=cw_bench_email_key

bench_database "$db"
psql_flags=(-At)

psql -v addresses="$addresses" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
CREATE TABLE public.ascii_addresses AS
SELECT '  Customer' || n || '@Example' || (n % 100) || '.COM' AS email FROM generate_series(1, :addresses) AS n;
CREATE TABLE public.unicode_addresses AS
SELECT 'Klient' || n || '@Müller' || (n % 100) || '.de' AS email FROM generate_series(1, :addresses / 5) AS n;
VACUUM ANALYZE public.ascii_addresses, public.unicode_addresses;
SQL

best_ms() { # expression table -> the best of 5 server times, in ms
    for _ in 1 2 3 4 5; do
        psql -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) SELECT sum(length($1)) FROM public.$2" |
            sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p'
    done | sort -n | head -1
}
for table in ascii_addresses unicode_addresses; do
    rows=$(psql -c "SELECT count(*) FROM public.$table")
    key=$(best_ms "cartwatch.email_key(email)" "$table")
    fold=$(best_ms "lower(btrim(email) COLLATE \"und-x-icu\")" "$table")
    awk -v t="$table" -v n="$rows" -v k="$key" -v f="$fold" 'BEGIN {
        printf "%s (%d): email_key %.0f ms (%.2f us each), case fold alone %.0f ms (%.2f us each), ratio %.2f\n",
               t, n, k, k * 1000 / n, f, f * 1000 / n, k / f }'
done
