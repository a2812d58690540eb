# Shared by the tests that run the README's file-export commands (sourced, not run): a UTF-8
# database and a LATIN2 one named after the test ($1, a short name), a work folder, their
# removal on exit, fail(), and $work/commands.sh: the sh block that follows the README's
# "not run" marker naming the calling test.
set -euo pipefail
cd "${CARTWATCH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"

db=cw_${1}_$$
work=$(mktemp -d)
cleanup() {
    dropdb --if-exists "$db" 2>/dev/null || true
    dropdb --if-exists "${db}_latin2" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

caller=$(basename "$0")
awk -v marker="tests/integration/$caller" \
    'index($0, marker) { found = 1; next }
     found && /^```sh/ { inside = 1; next }
     inside && /^```/ { exit }
     inside { print }' README.md >"$work/commands.sh"
[ -s "$work/commands.sh" ] || fail "no sh block after a README marker naming $caller"
