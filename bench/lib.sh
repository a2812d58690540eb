# shellcheck shell=bash
# The set-up the benchmark scripts share, sourced by each of them after `set -euo pipefail`
# (and after the script's own `cd`, if it has one: nothing here depends on the folder):
#
#   bench_root                      the checkout's top folder (absolute)
#   bench_on_exit COMMAND [ARG...]  COMMAND runs when the script ends, however it ends, the
#                                   last registered first; INT, TERM, HUP and PIPE end it as a
#                                   failure (exit 1), so that the cleanup runs then too
#   bench_work PREFIX [KEPT]        $work: the folder KEPT (a script's BENCH_DIR), left in place
#                                   at the end, or else a new /tmp/PREFIX.XXXXXX, removed then
#   bench_cluster_start [postgresql.conf line ...]
#                                   a private cluster in $cluster ($work/cluster, from
#                                   scripts/pg-cluster.sh), its env sourced, stopped at the end
#   bench_cluster_reuse SIZE        resumes the cluster that a run loaded with SIZE and kept in
#                                   $work, with its env; else clears $work of any cluster and
#                                   fails, so that the caller starts and loads one, then says
#   bench_cluster_loaded SIZE       that it is loaded with SIZE, for the next run to reuse
#   bench_database NAME [KEEP]      a new database NAME in the cluster of PGHOST/PGPORT (any
#                                   leftover dropped first), dropped at the end unless KEEP is 1
#   psql ARG...                     psql -X -q -v ON_ERROR_STOP=1 on $db, with ${psql_flags[@]}
#   psql_in DB ARG...               the same on DB
#   bench_lock [CHECKOUT]           takes /tmp/cartwatch-install.lock and installs CHECKOUT's
#                                   build (default $bench_build, this checkout unless the script
#                                   names another); held until bench_unlock, or the end
#   bench_unlock
#   bench_locked COMMAND [ARG...]   COMMAND between bench_lock and bench_unlock
#   bench_with_build CHECKOUT COMMAND [ARG...]
#                                   with the lock held: COMMAND on CHECKOUT's build, then
#                                   $bench_build installed again
#
# The install lock: the engineers of a machine share one PostgreSQL installation, and a backend
# loads whichever cartwatch.so is installed when it first calls into it. A script holds the lock
# whenever cartwatch.so can be in use, and never while it only loads plain SQL.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_build=$bench_root
bench_lock_file=/tmp/cartwatch-install.lock
psql_flags=()

bench_exit_hooks=()
bench_on_exit() { bench_exit_hooks+=("$(printf '%q ' "$@")"); }
bench_exit() {
    # A second Ctrl-C must not cut the cleanup short and leave a server running.
    trap '' INT TERM HUP PIPE
    local i
    for ((i = ${#bench_exit_hooks[@]} - 1; i >= 0; i--)); do
        eval "${bench_exit_hooks[i]}" || true
    done
}
trap bench_exit EXIT
trap 'exit 1' INT TERM HUP PIPE

bench_work() { # PREFIX [KEPT]
    if [ -n "${2:-}" ]; then
        work=$2
        mkdir -p "$work"
    else
        work=$(mktemp -d "/tmp/$1.XXXXXX")
        bench_on_exit rm -rf "$work"
    fi
    # Under root the cluster runs as the postgres OS user, which must reach $work/cluster.
    chmod 755 "$work"
}

# pg-cluster.sh without the lock's descriptor: a server started while the script holds the lock
# would otherwise keep it, the postmaster and every backend, until the server stops.
bench_pg_cluster() { "$bench_root/scripts/pg-cluster.sh" "$@" 9>&-; }
bench_cluster_stops_at_exit() {
    cluster=$work/cluster
    if [ -z "${bench_cluster_stop_registered:-}" ]; then
        bench_on_exit bench_pg_cluster stop "$cluster"
        bench_cluster_stop_registered=1
    fi
}
bench_cluster_start() { # [postgresql.conf line ...]
    bench_cluster_stops_at_exit
    bench_pg_cluster start "$cluster" "$@" >/dev/null
    # shellcheck source=/dev/null
    . "$cluster/env"
}
bench_cluster_reuse() { # SIZE
    bench_cluster_stops_at_exit
    if [ -f "$work/loaded" ] && [ "$(cat "$work/loaded")" = "$1" ]; then
        bench_pg_cluster resume "$cluster"
        # shellcheck source=/dev/null
        . "$cluster/env"
        echo "reusing the cluster in $work: $1"
        return 0
    fi
    rm -rf "$cluster" "$work/loaded"
    return 1
}
bench_cluster_loaded() { echo "$1" >"$work/loaded"; }

bench_database() { # NAME [KEEP]
    dropdb --if-exists "$1" >/dev/null 2>&1 || true
    createdb "$1"
    [ "${2:-}" = 1 ] || bench_on_exit bench_dropdb "$1"
}
bench_dropdb() { dropdb --if-exists "$1" >/dev/null 2>&1; }

psql() { command psql -X -q -v ON_ERROR_STOP=1 -d "$db" "${psql_flags[@]}" "$@"; }
psql_in() {
    local db=$1
    shift
    psql "$@"
}

bench_install() { make -s -C "$1" install >/dev/null; }
bench_lock() { # [CHECKOUT]
    exec 9>"$bench_lock_file"
    flock 9
    bench_install "${1:-$bench_build}"
}
bench_unlock() {
    flock -u 9
    exec 9>&-
}
# At the end the lock goes with the script, even where a child (a writer, a sink) that inherited
# its descriptor is still exiting; registered first, it is released last, once the server stopped.
bench_release_lock() { flock -u 9 2>/dev/null; }
bench_on_exit bench_release_lock
bench_locked() { # COMMAND [ARG...]
    bench_lock "$bench_build"
    "$@"
    bench_unlock
}
bench_with_build() { # CHECKOUT COMMAND [ARG...]
    local checkout=$1
    shift
    bench_install "$checkout" || return
    "$@"
    bench_install "$bench_build"
}
