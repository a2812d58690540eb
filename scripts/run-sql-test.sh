#!/usr/bin/env bash
# Runs one pg_regress or isolation test against the cluster in $PGHOST/$PGPORT, in a database of
# its own, so that CTest can run them one by one and side by side.
#
#   scripts/run-sql-test.sh regress|isolation NAME OUTPUT_DIR
set -euo pipefail

kind=$1 name=$2 out=$3
root=$(cd "$(dirname "$0")/.." && pwd)
pgxs=$(dirname "$(pg_config --pgxs)")/..

if [ -z "${PGPORT:-}" ] || ! pg_isready -q; then
    echo "no PostgreSQL test cluster: run 'make test', or start one with" >&2
    echo "  scripts/pg-cluster.sh start DIR && . DIR/env" >&2
    exit 1
fi

case "$kind" in
regress) runner=$pgxs/test/regress/pg_regress ;;
isolation) runner=$pgxs/test/isolation/pg_isolation_regress ;;
*) echo "unknown test kind $kind" >&2; exit 2 ;;
esac

mkdir -p "$out/$name"
# Tests include shared files by paths relative to the repository root.
cd "$root"
if ! "$runner" --inputdir="$root/tests/$kind" --outputdir="$out/$name" \
    --bindir="$(pg_config --bindir)" --dbname="cw_${kind}_$name" "$name"; then
    cat "$out/$name/regression.diffs" 2>/dev/null | head -200
    exit 1
fi
