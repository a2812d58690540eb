#!/usr/bin/env bash
# Two checkouts of cartwatch against each other, end to end, on one cluster: in each pair, one
# checkout's extension is installed and its cartwatchd runs bench/daemon.sh, then the other's;
# the pairs alternate which goes first, so that a drift in the machine's load weighs on both.
# Prints every run's figures and, at the end, each side's median ratio to smtp-source.
#
#   bench/daemon-ab.sh DIR_A DIR_B [PAIRS] [MESSAGES] [CONCURRENCY]     (default 3 20000 2)
#
# Each DIR is a checkout built with `make` (the extension) and CMake in DIR/build (cartwatchd).
# Needs PGHOST/PGPORT of a cluster (scripts/pg-cluster.sh), and installs into the PostgreSQL
# that pg_config names: hold /tmp/cartwatch-install.lock while it runs when others share the
# machine. The last install is DIR_A's or DIR_B's, whichever ran last.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }
a=$(cd "$1" && pwd)
b=$(cd "$2" && pwd)
pairs=${3:-3}
messages=${4:-20000}
concurrency=${5:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
for dir in "$a" "$b"; do
    [ -x "$dir/build/cartwatchd" ] || { echo "no $dir/build/cartwatchd: build it first" >&2; exit 1; }
done
declare -A ratios=([A]="" [B]="")
run() { # LABEL DIR
    make -s -C "$2" install >/dev/null
    local out
    out=$(CARTWATCH_BUILD_DIR="$2/build" ROUNDS=1 "$root/bench/daemon.sh" "$messages" "$concurrency")
    while IFS= read -r line; do echo "$1 ($2): $line"; done <<<"$out"
    ratios[$1]+=" $(sed -n 's/^ratio cartwatchd\/smtp-source: \([0-9]*\)%$/\1/p' <<<"$out")"
}
for pair in $(seq 1 "$pairs"); do
    if [ $((pair % 2)) = 1 ]; then run A "$a"; run B "$b"; else run B "$b"; run A "$a"; fi
done
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "A ($a): ratios${ratios[A]}, median $(median "${ratios[A]}")%"
echo "B ($b): ratios${ratios[B]}, median $(median "${ratios[B]}")%"
