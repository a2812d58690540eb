#!/usr/bin/env bash
# Every command in README.md works as written. The README's fenced ```sql and ```sh blocks run
# in order, against a private cluster of their own (the README creates databases and roles),
# except a block whose previous line is <!-- not run: reason -->:
#   sh    bash -euo pipefail, from the repository root
#   sql   psql -v ON_ERROR_STOP=1 -d shop, from a scratch folder (for \copy ... TO 'file'), or
#         -d NAME when the previous line is <!-- database: NAME -->
# The first failing block stops the run. Then the PrestaShop feed example is checked: cartwatch
# saw the customers, products, carts and order written to the ps_* tables, on the shop's clock,
# and the customer it first refused went in once the shop fixed the address.
set -euo pipefail
root=$(cd "${CARTWATCH_SOURCE_DIR:-$(dirname "$0")/../..}" && pwd)
cd "$root"

work=$(mktemp -d)
cluster=$(mktemp -d /tmp/cw-readme.XXXXXX)
cleanup() {
    scripts/pg-cluster.sh stop "$cluster"
    rm -rf "$work" "$cluster"
}
trap cleanup EXIT
scripts/pg-cluster.sh start "$cluster" >/dev/null
# shellcheck source=/dev/null
. "$cluster/env"
mkdir "$work/blocks" "$work/run"

# Split the README: blocks/NNN.sql or NNN.sh, and an index "NNN lang database skip-reason".
awk -v dir="$work/blocks" '
    # The value of <!-- name: value --> when line is that comment, "?" when it has no value.
    function marker(line, name,    prefix, value) {
        prefix = "<!-- " name ":"
        if (index(line, prefix) != 1 || line !~ /-->[[:space:]]*$/) return ""
        value = substr(line, length(prefix) + 1)
        sub(/[[:space:]]*-->[[:space:]]*$/, "", value)
        sub(/^[[:space:]]+/, "", value)
        return value == "" ? "?" : value
    }
    runnable && /^```[[:space:]]*$/ { runnable = 0; close(file); next }
    runnable { print > file; next }
    !other && /^```(sql|sh)[[:space:]]*$/ {
        n++
        lang = $0; sub(/^```/, "", lang); sub(/[[:space:]]+$/, "", lang)
        file = sprintf("%s/%03d.%s", dir, n, lang)
        printf "" > file
        database = marker(previous, "database")
        skip = marker(previous, "not run")
        gsub(/[[:space:]]/, "_", skip)
        printf "%03d %s %s %s\n", n, lang, (database == "" ? "shop" : database),
               (skip == "" ? "-" : skip) > (dir "/index")
        runnable = 1
        next
    }
    /^```/ { other = !other }    # a fence of another language: its lines are not commands
    $0 != "" { previous = $0 }
' README.md

ran=0
skipped=0
while read -r number lang database skip; do
    block="$work/blocks/$number.$lang"
    if [ "$skip" = "?" ]; then
        echo "FAIL: README block $number is marked not run without a reason" >&2
        exit 1
    fi
    if [ "$skip" != "-" ]; then
        skipped=$((skipped + 1))
        continue
    fi
    if [ "$lang" = sh ]; then
        status=0
        bash -euo pipefail "$block" >"$work/out" 2>&1 || status=$?
    else
        status=0
        (cd "$work/run" && psql -X -q -v ON_ERROR_STOP=1 -d "$database" -f "$block") \
            >"$work/out" 2>&1 || status=$?
    fi
    if [ "$status" != 0 ]; then
        echo "FAIL: README block $number ($lang) failed:" >&2
        sed 's/^/    | /' "$block" >&2
        echo "  output:" >&2
        sed 's/^/    /' "$work/out" | tail -40 >&2
        exit 1
    fi
    ran=$((ran + 1))
done <"$work/blocks/index"

# The feed example mirrored the shop's rows into cartwatch, and kept the refused one queued.
check() {
    local what=$1 query=$2 expected=$3 actual
    actual=$(psql -X -q -At -v ON_ERROR_STOP=1 -d prestashop -c "$query")
    if [ "$actual" != "$expected" ]; then
        echo "FAIL: $what: expected '$expected', got '$actual'" >&2
        exit 1
    fi
}
check "mirrored customers" \
    "SELECT string_agg(customer_id || ':' || email || ':' || locale || ':' || reminder_consent || ':' || (registered_at IS NOT NULL), ',' ORDER BY customer_id) FROM cartwatch.customers" \
    "1:anna.kowalska@poczta.example:pl:true:true,2:jan.nowak@mail.example:en:false:true,3:ewa.bak@poczta.example:pl:false:true"
check "mirrored products" \
    "SELECT string_agg(product_id || ':' || name || ':' || price || ':' || cost_price, ',' ORDER BY product_id) FROM cartwatch.products" \
    "1:Kubek ceramiczny 350 ml:39.90:16.00,2:Plecak turystyczny 30 l:249.00:120.00"
check "cart statuses" \
    "SELECT string_agg(cart_id || ':' || coalesce(customer_id, 0) || ':' || status || ':' || item_count || ':' || value || ':' || currency, ',' ORDER BY cart_id) FROM cartwatch.cart_overview" \
    "1:1:abandoned:3:328.80:PLN,2:2:ordered:1:249.00:PLN"
check "cart 1 counts from the shop's clock (3 hours idle)" \
    "SELECT round(extract(epoch FROM now() - last_activity_at) / 3600) FROM cartwatch.carts WHERE cart_id = 1" "3"
check "mirrored order" \
    "SELECT string_agg(order_id || ':' || cart_id || ':' || customer_id || ':' || status || ':' || total || ':' || email, ',') FROM cartwatch.orders" \
    "1:2:2:paid:249.00:jan.nowak@mail.example"
check "the refused customer, fixed in the shop, left the queue" \
    "SELECT count(*) FROM cartwatch_feed.events" "0"

echo "README: $ran blocks ran, $skipped marked not run"
