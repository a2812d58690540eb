#!/usr/bin/env bash
# docs/SQL.md, generated: creates cartwatch in a scratch database of the server in PGHOST/PGPORT
# (the extension must be installed there: `make install`), reads the catalog and writes the
# reference with the examples of docs/sql-examples.sql merged in (scripts/sql-reference.sql
# does the work).
#
#   scripts/sql-reference.sh [OUTPUT]   write the reference to OUTPUT (default docs/SQL.md)
#   CARTWATCH_REFERENCE_DB=db scripts/sql-reference.sh [OUTPUT]
#                                       read the catalog of db, where cartwatch exists already
#   scripts/sql-reference.sh examples   print the examples, one a line: object TAB base64(code)
set -euo pipefail
cd "$(dirname "$0")/.."

psql_run() {
    psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

if [ "${1:-}" = examples ]; then
    # Parsing needs no extension; any database of the server will do.
    exec psql -X -q -At -v ON_ERROR_STOP=1 -d "${PGDATABASE:-postgres}" -v mode=examples \
        -f scripts/sql-reference.sql
fi

output=${1:-docs/SQL.md}
database=${CARTWATCH_REFERENCE_DB:-}
if [ -z "$database" ]; then
    database=cw_sql_reference_$$
    trap 'dropdb --if-exists "$database" 2>/dev/null || true' EXIT
    createdb "$database"
    psql_run -d "$database" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION cartwatch CASCADE'
fi
psql_run -d "$database" -v mode=reference -f scripts/sql-reference.sql >"$output.tmp"
mv "$output.tmp" "$output"
