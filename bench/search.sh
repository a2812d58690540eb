#!/usr/bin/env bash
# search_customers() on a large shop: CUSTOMERS customers with names, companies and e-mail
# addresses drawn from Polish, German and French lists (diacritics included), a third of them
# with a visit from a known IP address. For each kind of query the admin search gets (name,
# name with diacritics in another case, e-mail, part of an e-mail, company word, IP, network,
# customer id) it prints the rows found and the median server time of 7 calls, against a
# baseline in the same run on the same data: the same call with the trigram index dropped (in a
# rolled-back transaction), i.e. what a scan of every customer costs.
#
#   bench/search.sh [CUSTOMERS]        (default 1,000,000; needs PGHOST/PGPORT, e.g. from
#                                       scripts/pg-cluster.sh start DIR; . DIR/env)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
customers=${1:-1000000}
db=cw_bench_search

bench_database "$db" "${KEEP_DB:-}"

load_start=$(date +%s.%N)
psql -v customers="$customers" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
CREATE TEMPORARY TABLE first_names (n integer, name text);
INSERT INTO first_names
SELECT row_number() OVER () - 1, x FROM unnest(ARRAY[
    'Anna', 'Zofia', 'Łucja', 'Małgorzata', 'Jan', 'Łukasz', 'Paweł', 'Krzysztof', 'Jürgen',
    'Jörg', 'Günther', 'Käthe', 'Renée', 'Hélène', 'Éloïse', 'François', 'Zoë', 'Noël',
    'Agnieszka', 'Michał', 'Stefan', 'Maria', 'Piotr', 'Élodie']) AS x;
CREATE TEMPORARY TABLE last_names (n integer, name text);
INSERT INTO last_names
SELECT row_number() OVER () - 1, x FROM unnest(ARRAY[
    'Kowalska', 'Nowak', 'Wiśniewski', 'Wójcik', 'Kamińska', 'Lewandowski', 'Zieliński',
    'Szymańska', 'Woźniak', 'Dąbrowski', 'Kozłowska', 'Jankowski', 'Mazur', 'Krawczyk',
    'Żółtowska', 'Müller', 'Schröder', 'Weiß', 'Groß', 'Köhler', 'Bäcker', 'Lefèvre',
    'Girard', 'Dubois', 'Béranger', 'Mercier', 'Fontaine', 'Lemaître', 'Chevalier', 'Rousseau',
    'Błaszczyk', 'Górecki']) AS x;
CREATE TEMPORARY TABLE company_words (n integer, word text);
INSERT INTO company_words
SELECT row_number() OVER () - 1, x FROM unnest(ARRAY[
    'Handel', 'Usługi', 'Bau', 'Logistik', 'Conseil', 'Transport', 'Meble', 'Druk']) AS x;
-- Names repeat (a big shop has thousands of Anna Kowalskas); e-mail addresses are unique.
INSERT INTO cartwatch.customers (customer_id, email, first_name, last_name, company, registered_at)
SELECT g, 'client' || g || '@' || (ARRAY['example.com', 'example.pl', 'example.de', 'example.fr'])[1 + g % 4],
       f.name, l.name || CASE WHEN g % 3 = 0 THEN '' ELSE '-' || (g % 997) END,
       CASE WHEN g % 5 = 0 THEN w.word || ' ' || l.name || ' ' ||
                                (ARRAY['Sp. z o.o.', 'GmbH', 'SARL', 'S.A.'])[1 + g % 4] END,
       '2024-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, :customers) AS g
  JOIN first_names AS f ON f.n = g % 24
  JOIN last_names AS l ON l.n = (g / 24) % 32
  JOIN company_words AS w ON w.n = (g / 7) % 8;
SELECT setval(pg_get_serial_sequence('cartwatch.customers', 'customer_id'), :customers) \g /dev/null
INSERT INTO cartwatch.visits (customer_id, ip, started_at)
SELECT g, ('10.' || (g / 65536) % 256 || '.' || (g / 256) % 256 || '.' || g % 256)::inet,
       '2026-11-01'::timestamptz + g * interval '1 second'
  FROM generate_series(3, :customers, 3) AS g;
VACUUM ANALYZE cartwatch.customers;
VACUUM ANALYZE cartwatch.visits;
SQL
load_end=$(date +%s.%N)

# The queries: label|query. The customers they name exist at any size from 1,000 up.
queries=$(cat <<'EOF'
a common name, any order and case|KOWALSKA anna
a name with diacritics, other case|ŻÓŁTOWSKA łucja
a surname and its number|Wiśniewski-50
an e-mail address|client778@example.de
part of an e-mail address|client7777
a company word|logistik
an IP address|10.0.3.231
a network|10.0.3.0/24
a customer id|999
EOF
)

# Median server time (ms) of 7 calls of each query, one line per query: rows|median. $1 runs
# first in the same transaction (the baseline drops the trigram index there).
measure() {
    {
        printf '%s\n' "SET client_min_messages = error;" "BEGIN;" "$1" \
            "CREATE TEMPORARY TABLE timings (query text, rows bigint, ms double precision);"
        while IFS='|' read -r _label query; do
            printf '%s\n' "DO \$\$
DECLARE started timestamptz; found bigint; round integer;
BEGIN
    PERFORM count(*) FROM cartwatch.search_customers('$query');  -- plans made, pages cached
    FOR round IN 1..7 LOOP
        started := clock_timestamp();
        SELECT count(*) INTO found FROM cartwatch.search_customers('$query');
        INSERT INTO timings VALUES ('$query', found,
            extract(epoch FROM clock_timestamp() - started) * 1000);
    END LOOP;
END
\$\$;"
        done <<<"$queries"
        printf '%s\n' "SELECT query, max(rows), percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)" \
            "  FROM timings GROUP BY query;" "ROLLBACK;"
    } | psql -At -F '|'
}

with_index=$(measure "")
without_index=$(measure "DROP INDEX cartwatch.customers_search_idx;")

printf 'search_customers() on %s customers (loaded in %.0f s)\n' "$customers" \
    "$(echo "$load_end - $load_start" | bc)"
printf '%-36s %6s %12s %14s %8s  %s\n' "query" "rows" "indexed ms" "no index ms" "ratio" "text"
while IFS='|' read -r label query; do
    indexed=$(grep -F "$query|" <<<"$with_index" | head -1)
    plain=$(grep -F "$query|" <<<"$without_index" | head -1)
    rows=$(cut -d'|' -f2 <<<"$indexed")
    fast=$(cut -d'|' -f3 <<<"$indexed")
    slow=$(cut -d'|' -f3 <<<"$plain")
    [ "$rows" = "$(cut -d'|' -f2 <<<"$plain")" ] || {
        echo "the baseline found other rows for [$query]: $rows against $(cut -d'|' -f2 <<<"$plain")" >&2
        exit 1
    }
    printf '%-36s %6s %12.2f %14.2f %7.1fx  %s\n' "$label" "$rows" "$fast" "$slow" \
        "$(echo "$slow / $fast" | bc -l)" "$query"
done <<<"$queries"
