#!/usr/bin/env bash
# docs/SQL.md is true and its examples work:
#   1. regenerating the reference from the installed extension gives docs/SQL.md exactly;
#   2. every function, view, table and domain of the schema has an example, and every example
#      names an object that exists;
#   3. every example runs against the demo shop (scripts/demo-shop.sql, seed 42, 300 customers,
#      as of now), each in a transaction of its own that is rolled back.
set -euo pipefail
cd "${CARTWATCH_SOURCE_DIR:-$(dirname "$0")/../..}"

database=cw_sql_reference_demo_$$
work=$(mktemp -d)
cleanup() {
    dropdb --if-exists "$database" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
failed=0

# 1. The reference is current.
scripts/sql-reference.sh "$work/SQL.md"
if ! diff -u docs/SQL.md "$work/SQL.md" >"$work/reference.diff"; then
    head -80 "$work/reference.diff"
    echo "FAIL: docs/SQL.md is stale: run scripts/sql-reference.sh (after make install) and commit it" >&2
    failed=1
fi

# 2. Examples and objects match, both ways.
createdb "$database"
psql -X -q -v ON_ERROR_STOP=1 -d "$database" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cartwatch CASCADE;
SQL
psql -X -q -v ON_ERROR_STOP=1 -d "$database" -v seed=42 -v customers=300 \
    -f scripts/demo-shop.sql >/dev/null

scripts/sql-reference.sh examples >"$work/examples.tsv"
cut -f1 "$work/examples.tsv" | sort >"$work/examples.txt"
if sort "$work/examples.txt" | uniq -d | grep .; then
    echo "FAIL: the objects above have more than one example block" >&2
    failed=1
fi
# Every object of the schema, with whether docs/SQL.md documents it (and so needs an example):
# functions, tables, views and domains do; indexes, sequences and row types do not.
psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 -d "$database" >"$work/objects.tsv" <<'SQL'
SELECT 'cartwatch.' || p.proname, true FROM pg_proc AS p WHERE p.pronamespace = 'cartwatch'::regnamespace
UNION
SELECT 'cartwatch.' || c.relname, c.relkind IN ('r', 'v') FROM pg_class AS c
 WHERE c.relnamespace = 'cartwatch'::regnamespace
UNION
SELECT 'cartwatch.' || t.typname, t.typtype = 'd' FROM pg_type AS t
 WHERE t.typnamespace = 'cartwatch'::regnamespace;
SQL
missing=$(comm -23 <(awk -F'\t' '$2 == "t" {print $1}' "$work/objects.tsv" | sort -u) \
               <(sort -u "$work/examples.txt"))
if [ -n "$missing" ]; then
    echo "FAIL: objects without an example in docs/sql-examples.sql:" >&2
    echo "$missing" >&2
    failed=1
fi
unknown=$(comm -13 <(cut -f1 "$work/objects.tsv" | sort -u) <(sort -u "$work/examples.txt"))
if [ -n "$unknown" ]; then
    echo "FAIL: examples for objects that do not exist:" >&2
    echo "$unknown" >&2
    failed=1
fi

# 3. Every example runs. Files an example writes (\copy ... TO) land in the work folder.
count=0
while IFS=$'\t' read -r object code; do
    count=$((count + 1))
    script="$work/example_$count.sql"
    { echo 'BEGIN;'; printf '%s' "$code" | base64 -d; printf '\nROLLBACK;\n'; } >"$script"
    if ! (cd "$work" && psql -X -q -v ON_ERROR_STOP=1 -d "$database" -f "$script" \
              >"$work/example_$count.out" 2>&1); then
        echo "FAIL: the example of $object failed:" >&2
        sed 's/^/    /' "$work/example_$count.out" >&2
        failed=1
    fi
done <"$work/examples.tsv"

[ "$failed" = 0 ] || exit 1
echo "docs/SQL.md is current; $count examples ran against the demo shop"
