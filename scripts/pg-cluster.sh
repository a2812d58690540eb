#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for tests and the demo: data, socket and log in one folder,
# a free loopback port, never the machine's own server.
#
#   scripts/pg-cluster.sh start DIR [postgresql.conf line ...]   writes DIR/env (PGHOST, PGPORT, ...)
#   scripts/pg-cluster.sh resume DIR                            starts DIR's cluster again (same port)
#   scripts/pg-cluster.sh stop DIR
#
# PostgreSQL refuses to run as root, so under root the cluster runs as the postgres OS user.
set -euo pipefail

PG_BIN=$(pg_config --bindir)
command=${1:?usage: pg-cluster.sh start|resume|stop DIR}
dir=${2:?usage: pg-cluster.sh start|resume|stop DIR}

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        # From /: the caller's folder (root's home, say) may be closed to postgres.
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

start() {
    shift 2
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }

    local port
    for _ in $(seq 1 50); do
        port=$("$(dirname "$0")/free-port.sh")
        [ ! -e "$dir/.s.PGSQL.$port" ] && break
    done

    {
        echo "# cartwatch private test cluster"
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $port"
        echo "unix_socket_directories = '$dir'"
        echo "timezone = 'UTC'"
        echo "lc_messages = 'C'"
        echo "max_connections = 60"
        # A throwaway cluster: durability buys nothing here, speed does.
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
        echo "log_min_messages = warning"
        echo "log_line_prefix = '%m [%p] %d '"
        for line in "$@"; do echo "$line"; done
    } | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null

    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null ||
        { cat "$dir/postgres.log" >&2; exit 1; }
    cat >"$dir/env" <<ENV
export PGHOST='$dir'
export PGPORT='$port'
export PGUSER='postgres'
export PGDATABASE='postgres'
export CARTWATCH_TEST_DSN='postgresql://postgres@127.0.0.1:$port/postgres'
ENV
    echo "PostgreSQL $(as_owner "$PG_BIN/postgres" --version | awk '{print $3}') on port $port, data in $dir/data"
}

# A cluster that was stopped, with its data and DIR/env as start left them (e.g. a loaded
# benchmark database kept between runs).
resume() {
    [ -f "$dir/env" ] && [ -d "$dir/data" ] || { echo "no stopped cluster in $dir" >&2; exit 1; }
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null ||
        { cat "$dir/postgres.log" >&2; exit 1; }
}

stop() {
    if [ -f "$dir/data/postmaster.pid" ]; then
        dir=$(cd "$dir" && pwd)
        as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
    fi
}

case "$command" in
start) start "$@" ;;
resume) resume ;;
stop) stop ;;
*) echo "usage: pg-cluster.sh start|resume|stop DIR" >&2; exit 2 ;;
esac
