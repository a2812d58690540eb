#!/usr/bin/env bash
# The README's command for writing the customer CSV from export_customers_csv_lines() writes
# exactly the bytes of export_customers_csv(): CRLF after every line, the last one too, line
# breaks, backslashes and tabs inside quoted values as they are, UTF-8 from a LATIN2 database,
# and the same at every FETCH_COUNT (psql's page boundaries). When the export fails, psql exits
# non-zero and the file is empty. The command is taken from README.md itself, so the two cannot
# drift apart.
. "$(dirname "$0")/lib/readme_export.sh" customers_csv_file
grep -q 'export_customers_csv_lines' "$work/commands.sh" || fail "no export command found in README.md"
grep -q -- '-d shop' "$work/commands.sh" || fail "the README's command names no database (-d shop)"

# The hostile values of the regress test and then some, a guest, several currencies, 2,500 plain
# customers so that FETCH_COUNT=10000 and =7 both cross pages.
load() {
    PGCLIENTENCODING=UTF8 psql -X -q -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
INSERT INTO cartwatch.customers (customer_id, email, title, first_name, last_name, company, registered_at)
VALUES (1, 'anna@example.pl', ' Pani ', 'Łucja', 'Żółć', E'Kowalska; "Sklep"\r\nS.A.', '2025-03-01 10:00+00'),
       (2, 'back@example.pl', 'Pan', E'Back\\slash', E'Tab\there', E'LF\nonly', NULL),
       (3, 'formula@example.pl', NULL, '=1+2', '-', '', '2024-10-27 00:30+00');
INSERT INTO cartwatch.customers (customer_id, email, first_name, last_name, registered_at)
SELECT n, 'c' || n || '@example.pl', 'Jan' || n, 'Nowak', '2024-01-01'
  FROM generate_series(10, 2509) AS n;
INSERT INTO cartwatch.orders (customer_id, status, total, currency)
VALUES (1, 'paid', 191.20, 'PLN'), (2, 'paid', 10, 'EUR'), (2, 'paid', 20, 'CHF');
SQL
}

# Runs the README's command against database $1 in $work, FETCH_COUNT $2; the file's path.
run_command() {
    sed -e "s/-d shop/-d $1/" -e "s/FETCH_COUNT=10000/FETCH_COUNT=$2/" "$work/commands.sh" \
        >"$work/run.sh"
    (cd "$work" && rm -f customers.csv && bash -euo pipefail run.sh)
}

# export_customers_csv() as UTF-8 bytes, through hex so that no client formatting touches it.
text_form() {
    PGTZ=Europe/Warsaw psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" \
        -c "SELECT encode(convert_to(cartwatch.export_customers_csv(), 'UTF8'), 'hex')" |
        xxd -r -p >"$work/text.csv"
}

check_database() {
    text_form "$1"
    [ "$(head -c 3 "$work/text.csv")" = "ID;" ] || fail "$1: the text form does not start with the header"
    [ "$(tail -c 2 "$work/text.csv" | xxd -p)" = 0d0a ] || fail "$1: the text form does not end in CRLF"
    for fetch_count in 10000 7 0; do
        run_command "$1" "$fetch_count"
        cmp "$work/customers.csv" "$work/text.csv" ||
            fail "$1, FETCH_COUNT=$fetch_count: the file differs from export_customers_csv()"
    done
    echo "ok: $1, $(wc -c <"$work/text.csv") bytes, the same at FETCH_COUNT 10000, 7 and 0"
}

createdb "$db"
load "$db"
check_database "$db"
grep -q 'Kowalska; ""Sklep""' "$work/customers.csv" || fail "the hostile company is not in the file"

createdb -T template0 -E LATIN2 --lc-collate=C --lc-ctype=C "${db}_latin2"
load "${db}_latin2"
cp "$work/text.csv" "$work/utf8_database.csv"
check_database "${db}_latin2"
cmp "$work/text.csv" "$work/utf8_database.csv" || fail "the LATIN2 database writes another file"

# A failing export: psql exits non-zero, and no line reaches the file.
psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
    -c "UPDATE cartwatch.customers SET registered_at = 'infinity' WHERE customer_id = 2000"
if run_command "$db" 10000 2>"$work/error"; then
    fail "the README's command succeeded on an export that fails"
fi
grep -q 'customer 2000 has a registration date' "$work/error" || fail "unexpected error: $(cat "$work/error")"
[ ! -s "$work/customers.csv" ] || fail "a failed export left $(wc -c <"$work/customers.csv") bytes in the file"
echo "ok: a failed export exits non-zero and leaves an empty file"
