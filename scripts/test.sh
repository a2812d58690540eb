#!/usr/bin/env bash
# `make test`: from a clean Debian machine to every test.
#   1. install missing packages;  2. build and install the extension, build the daemon tree;
#   3. start a private PostgreSQL cluster;  4. run every test through CTest (pg_regress,
#   isolation, GoogleTest, integration);  5. stop the cluster, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh test

# One install of the extension at a time on this machine: two checkouts testing at once must not
# swap each other's cartwatch.so mid-run, so the lock is held until the tests end.
exec 9>/tmp/cartwatch-install.lock
flock 9

make -s -j2
if [ -w "$(pg_config --pkglibdir)" ]; then
    make -s install >/dev/null
else
    sudo -n make -s install >/dev/null || {
        echo "cannot install the extension into $(pg_config --pkglibdir): run as root or with sudo" >&2
        exit 1
    }
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2

run_dir=$(mktemp -d /tmp/cartwatch-test.XXXXXX)
cleanup() {
    scripts/pg-cluster.sh stop "$run_dir"
    [ "${KEEP_TEST_CLUSTER:-}" = 1 ] || rm -rf "$run_dir"
}
trap cleanup EXIT
# 9>&-: nothing started from here may inherit the install lock, or a server left behind by a
# killed run would hold it for good.
scripts/pg-cluster.sh start "$run_dir" 9>&-
# shellcheck source=/dev/null
. "$run_dir/env"

ctest --test-dir build --output-on-failure -j2 ${CTEST_ARGS:-} 9>&-
