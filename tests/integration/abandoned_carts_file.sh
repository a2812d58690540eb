#!/usr/bin/env bash
# The README's commands for writing the abandoned carts as CSV and XML write exactly the bytes
# of export_abandoned_carts(): CRLF line ends in the CSV, a line break and a backslash inside a
# product name as they are, UTF-8 from a LATIN2 database. The commands are taken from README.md
# itself, so the two cannot drift apart.
. "$(dirname "$0")/lib/readme_export.sh" abandoned_carts_file
grep -q "export_abandoned_carts('csv')" "$work/commands.sh" || fail "no CSV command found in README.md"
grep -q "export_abandoned_carts('xml')" "$work/commands.sh" || fail "no XML command found in README.md"

# Two abandoned carts, one of them with a product name that needs quoting and escaping.
load() {
    PGCLIENTENCODING=UTF8 psql -X -q -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
INSERT INTO cartwatch.customers (customer_id, email, first_name, last_name, registered_at)
VALUES (1, 'anna@example.pl', 'Łucja', 'Żółć', '2025-03-01 10:00+00');
INSERT INTO cartwatch.products (product_id, name, price)
VALUES (1, E'Kubek "Zima"; 0,3 l\r\nbiały \\ czarny', 30.00), (2, 'Koszulka <L> & więcej', 59.90);
INSERT INTO cartwatch.carts (cart_id, customer_id, guest_email, currency, created_at, last_activity_at)
VALUES (1, 1, NULL, 'PLN', now() - interval '5 hours', now() - interval '5 hours'),
       (2, NULL, 'gosc@example.pl', 'PLN', now() - interval '4 hours', now() - interval '4 hours');
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, unit_price, added_at)
VALUES (1, 1, 2, 30.00, now() - interval '5 hours'), (1, 2, 1, 59.90, now() - interval '5 hours'),
       (2, 2, 3, 59.90, now() - interval '4 hours');
UPDATE cartwatch.carts SET last_activity_at = created_at;
SQL
}

# Both sides export as of one moment (the XML names it), an hour after the carts' activity.
as_of=$(date -u -d '+1 hour' '+%Y-%m-%d %H:%M:%S+00')

# export_abandoned_carts(format) as UTF-8 bytes, through hex so that no client formatting
# touches it.
function_bytes() { # database format file
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" \
        -c "SELECT encode(convert_to(cartwatch.export_abandoned_carts('$2', '$as_of'), 'UTF8'), 'hex')" |
        xxd -r -p >"$3"
}

check_database() {
    sed -e "s/-d shop/-d $1/" -e "s/export_abandoned_carts('\\(csv\\|xml\\)')/export_abandoned_carts('\\1', '$as_of')/" \
        "$work/commands.sh" >"$work/run.sh"
    grep -q "$as_of" "$work/run.sh" || fail "the README's commands could not be given a fixed as_of"
    (cd "$work" && rm -f abandoned.csv abandoned.xml && bash -euo pipefail run.sh)
    for format in csv xml; do
        function_bytes "$1" "$format" "$work/function.$format"
        cmp "$work/abandoned.$format" "$work/function.$format" ||
            fail "$1: abandoned.$format differs from export_abandoned_carts('$format')"
    done
    [ "$(tail -c 2 "$work/abandoned.csv" | xxd -p)" = 0d0a ] || fail "$1: the CSV does not end in CRLF"
    grep -q 'Kubek ""Zima""; 0,3 l' "$work/abandoned.csv" || fail "$1: the quoted product is not in the CSV"
    grep -q 'biały \\ czarny' "$work/abandoned.csv" || fail "$1: the backslash did not reach the CSV as it is"
    grep -q 'Koszulka &lt;L&gt; &amp; więcej' "$work/abandoned.xml" || fail "$1: the XML does not escape the name"
    echo "ok: $1, CSV $(wc -c <"$work/abandoned.csv") bytes, XML $(wc -c <"$work/abandoned.xml") bytes"
}

createdb "$db"
load "$db"
check_database "$db"
cp "$work/abandoned.csv" "$work/utf8_database.csv"

createdb -T template0 -E LATIN2 --lc-collate=C --lc-ctype=C "${db}_latin2"
load "${db}_latin2"
check_database "${db}_latin2"
