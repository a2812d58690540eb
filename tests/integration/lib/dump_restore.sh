# Shared by the dump-and-restore integration tests (sourced, not run): a source and a target
# database named after the test ($1, a short name), a work folder, and their removal on exit.
# The caller fills the source, dumps it into $work and restores into the target.
set -euo pipefail
cd "${CARTWATCH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"

source_db=cw_${1}_source_$$
target_db=cw_${1}_target_$$
work=$(mktemp -d)
cleanup() {
    dropdb --if-exists "$source_db" 2>/dev/null || true
    dropdb --if-exists "$target_db" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

createdb "$source_db"
