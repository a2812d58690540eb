# Shared by the cartwatchd integration tests (sourced, not run): a database of its own with a
# small shop, the test SMTP server (aiosmtpd with tests/smtp/cartwatch_test_smtp.py), config
# files, daemons in the background, waiting for a condition, and cleanup of all of it on exit.
#
# Needs PGHOST/PGPORT/PGUSER (the `make test` cluster) and CARTWATCH_BUILD_DIR (cartwatchd).
set -euo pipefail

CW_SOURCE=${CARTWATCH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
CW_BUILD=${CARTWATCH_BUILD_DIR:-$CW_SOURCE/build}
CW_DAEMON=$CW_BUILD/cartwatchd
CW_NAME=$(basename "$0" .sh)
CW_DB=cw_${CW_NAME}_$$
CW_WORK=$(mktemp -d "/tmp/cartwatchd-$CW_NAME.XXXXXX")
chmod 755 "$CW_WORK" # a cluster of the test's own runs as postgres when the test runs as root
CW_PIDS=()
CW_SMTP_PID=

cw_log() { echo "[$CW_NAME] $*"; }

cw_fail() {
    echo "FAIL [$CW_NAME]: $*" >&2
    for log in "$CW_WORK"/*.log; do
        [ -f "$log" ] || continue
        echo "---- $(basename "$log") (last 40 lines)" >&2
        tail -n 40 "$log" >&2
    done
    exit 1
}

cw_cleanup() {
    local status=$?
    for pid in "${CW_PIDS[@]}"; do
        kill -9 "$pid" 2>/dev/null || true
    done
    [ -n "$CW_SMTP_PID" ] && kill "$CW_SMTP_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ -n "${CW_CLUSTER_DIR:-}" ]; then
        "$CW_SOURCE/scripts/pg-cluster.sh" stop "$CW_CLUSTER_DIR" >/dev/null 2>&1 || true
        rm -rf "$CW_CLUSTER_DIR"
    else
        dropdb --if-exists "$CW_DB" 2>/dev/null || true
    fi
    if [ -n "${CW_ROLE:-}" ] && [ -z "${CW_CLUSTER_DIR:-}" ]; then
        psql -X -q -d postgres -c "DROP ROLE IF EXISTS $CW_ROLE" 2>/dev/null || true
    fi
    if [ "$status" = 0 ] || [ -z "${KEEP_TEST_FILES:-}" ]; then
        rm -rf "$CW_WORK"
    fi
    exit "$status"
}
trap cw_cleanup EXIT

[ -x "$CW_DAEMON" ] || cw_fail "no cartwatchd at $CW_DAEMON: build the CMake tree first"

cw_free_port() {
    "$CW_SOURCE/scripts/free-port.sh" || cw_fail "no free port"
}

# The raw bytes of the answer to METHOD PATH on 127.0.0.1:PORT (status line, headers and all
# that follows them, until the server closes): cw_http_raw PORT METHOD PATH. curl -I would hide
# a body sent after the headers of a HEAD answer.
cw_http_raw() {
    python3 - "$@" <<'PY'
import socket, sys
port, method, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
    s.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while chunk := s.recv(65536):
        data += chunk
sys.stdout.buffer.write(data)
PY
}

cw_sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$CW_DB" "$@"; }

# A cluster of this test's own (for tests that restart PostgreSQL, or need settings of their
# own: cw_own_cluster "shared_preload_libraries = 'cartwatch'" ...); sets PGHOST/PGPORT.
cw_own_cluster() {
    CW_CLUSTER_DIR=$CW_WORK/cluster
    "$CW_SOURCE/scripts/pg-cluster.sh" start "$CW_CLUSTER_DIR" "$@" >/dev/null
    # shellcheck source=/dev/null
    . "$CW_CLUSTER_DIR/env"
}

# Restarts the test's own cluster (fast shutdown: connections are cut, as in a crash).
cw_restart_cluster() {
    local pg_ctl
    pg_ctl="$(pg_config --bindir)/pg_ctl"
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$pg_ctl" -D "$CW_CLUSTER_DIR/data" -m fast -w stop >/dev/null
        sleep "${1:-0}"
        runuser -u postgres -- "$pg_ctl" -D "$CW_CLUSTER_DIR/data" -l "$CW_CLUSTER_DIR/postgres.log" -w start >/dev/null
    else
        "$pg_ctl" -D "$CW_CLUSTER_DIR/data" -m fast -w stop >/dev/null
        sleep "${1:-0}"
        "$pg_ctl" -D "$CW_CLUSTER_DIR/data" -l "$CW_CLUSTER_DIR/postgres.log" -w start >/dev/null
    fi
}

# A login role that may do what cartwatchd does and nothing else (cartwatch.grant_daemon).
cw_daemon_role() {
    CW_ROLE=cw_daemon_$$
    psql -X -q -d postgres -c "CREATE ROLE $CW_ROLE LOGIN" >/dev/null
    cw_sql -c "SELECT cartwatch.grant_daemon('$CW_ROLE')" >/dev/null
}

# A database with cartwatch, reminder settings a test can work with, and one product.
cw_create_database() {
    createdb "$CW_DB"
    cw_sql -c "SET client_min_messages = warning" -c "CREATE EXTENSION cartwatch CASCADE"
    cw_sql <<'SQL' >/dev/null
SELECT cartwatch.set_setting('first_after', '1 hour');
SELECT cartwatch.set_setting('retry_base_delay', '1 second');
SELECT cartwatch.set_setting('retry_max_delay', '1 second');
INSERT INTO cartwatch.products (product_id, reference, name, price)
VALUES (1, 'MUG-1', 'Kubek ceramiczny 350 ml', 39.90), (2, 'TEE-1', 'T-shirt „Żółw”', 59.00);
SQL
}

# Guest carts idle for two hours, with consent, one per address given ("anna@example.com:pl").
cw_add_carts() {
    local values="" address locale
    for spec in "$@"; do
        address=${spec%%:*}
        locale=${spec#*:}
        [ "$locale" = "$spec" ] && locale=en
        values+="${values:+,}('$address', '$locale')"
    done
    cw_sql <<SQL >/dev/null
WITH new_carts AS (
    INSERT INTO cartwatch.carts (guest_email, guest_reminder_consent, locale, currency,
                                 created_at, last_activity_at)
    SELECT v.address, true, v.locale, CASE v.locale WHEN 'pl' THEN 'PLN' ELSE 'EUR' END,
           now() - interval '3 hours', now() - interval '2 hours'
      FROM (VALUES $values) AS v(address, locale)
    RETURNING cart_id, created_at)
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
SELECT cart_id, p.product_id, p.product_id, now() - interval '2 hours'
  FROM new_carts CROSS JOIN (VALUES (1), (2)) AS p(product_id);
SQL
}

# Adds COUNT more lines (variants of product 1) to the cart of an address, for a big message:
# cw_add_cart_lines ADDRESS COUNT
cw_add_cart_lines() {
    local address=$1 count=$2
    cw_sql <<SQL >/dev/null
INSERT INTO cartwatch.cart_items (cart_id, product_id, variant, quantity, added_at)
SELECT c.cart_id, 1, 'wariant ' || g, 1, now() - interval '2 hours'
  FROM cartwatch.carts AS c CROSS JOIN generate_series(1, $count) AS g
 WHERE c.guest_email = '$address';
SQL
}

# N guest carts for addresses <prefix>1@example.com ... <prefix>N@example.com.
cw_add_many_carts() {
    local prefix=$1 count=$2 locale=${3:-en}
    cw_sql <<SQL >/dev/null
WITH new_carts AS (
    INSERT INTO cartwatch.carts (guest_email, guest_reminder_consent, locale, currency,
                                 created_at, last_activity_at)
    SELECT '$prefix' || g || '@example.com', true, '$locale', 'EUR',
           now() - interval '3 hours', now() - interval '2 hours'
      FROM generate_series(1, $count) AS g
    RETURNING cart_id)
INSERT INTO cartwatch.cart_items (cart_id, product_id, quantity, added_at)
SELECT cart_id, 1, 1, now() - interval '2 hours' FROM new_carts;
SQL
}

# Waits until process PID listens on 127.0.0.1:PORT: cw_wait_listening PID PORT WHAT. A port
# that merely answers is not enough: a test running beside this one may have drawn the same
# "free" port a moment earlier, and then this server died on bind while the other one answers.
cw_wait_listening() {
    local pid=$1 port=$2 what=$3
    for _ in $(seq 1 200); do
        kill -0 "$pid" 2>/dev/null || cw_fail "$what exited at start (port $port taken?)"
        ss -Hltnp "sport = :$port" 2>/dev/null | grep -q "pid=$pid," && return 0
        sleep 0.05
    done
    cw_fail "$what did not start listening on port $port"
}

# Starts the test SMTP server on a free port (CW_SMTP_PORT); messages land in $CW_WORK/smtp.
cw_start_smtp() {
    CW_SMTP_PORT=${1:-${CW_SMTP_PORT:-$(cw_free_port)}}
    mkdir -p "$CW_WORK/smtp"
    # CW_SMTP_UTF8 set: the server offers SMTPUTF8 (aiosmtpd's --smtputf8).
    PYTHONPATH="$CW_SOURCE/tests/smtp" /usr/bin/aiosmtpd -n -l "127.0.0.1:$CW_SMTP_PORT" \
        ${CW_SMTP_UTF8:+--smtputf8} \
        -c cartwatch_test_smtp.Handler "$CW_WORK/smtp" >>"$CW_WORK/smtp.log" 2>&1 &
    CW_SMTP_PID=$!
    cw_wait_listening "$CW_SMTP_PID" "$CW_SMTP_PORT" "the test SMTP server"
}

# The test SMTP server again on the same port (CW_SMTP_PORT), with these settings of
# cartwatch_test_smtp.py and cw_start_smtp only: cw_restart_smtp CW_SMTP_UTF8=1 NO_PIPELINING=1.
# A relay whose configuration changed under the running daemon.
cw_restart_smtp() {
    cw_stop_smtp
    unset CW_SMTP_UTF8 NO_PIPELINING MULTILINE DROP_KEPT MAX_MESSAGE_SIZE
    local setting
    for setting in "$@"; do
        export "${setting?}"
    done
    cw_start_smtp "$CW_SMTP_PORT"
}

# A throwaway certificate authority and, signed by it, a server certificate for 127.0.0.1 and
# localhost, in $CW_WORK/tls: ca.pem, server.pem, server.key. cw_make_certs NAME [SAN] makes
# another server certificate (NAME.pem, NAME.key) from the same CA with other names.
cw_make_certs() {
    local name=${1:-server} san=${2:-IP:127.0.0.1,DNS:localhost} dir=$CW_WORK/tls
    mkdir -p "$dir"
    if [ ! -f "$dir/ca.pem" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cartwatch test CA $$" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null || cw_fail "openssl: no CA"
    fi
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        "$san" >"$dir/$name.ext"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=cartwatch test server" \
        -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null &&
        openssl x509 -req -days 2 -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
            -CAcreateserial -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>/dev/null ||
        cw_fail "openssl: no certificate $name"
}

# Starts the TLS and AUTH test server (tests/smtp/cartwatch_secure_smtp.py) on a free port
# (CW_SMTP_PORT), with the options given: cw_start_secure_smtp --cert F --key F [--smtps] ...
# It runs on Debian's Python, the one with the aiosmtpd module.
cw_start_secure_smtp() {
    CW_SMTP_PORT=$(cw_free_port)
    mkdir -p "$CW_WORK/smtp"
    /usr/bin/python3 "$CW_SOURCE/tests/smtp/cartwatch_secure_smtp.py" \
        --listen "127.0.0.1:$CW_SMTP_PORT" "$@" "$CW_WORK/smtp" >>"$CW_WORK/smtp.log" 2>&1 &
    CW_SMTP_PID=$!
    cw_wait_listening "$CW_SMTP_PID" "$CW_SMTP_PORT" "the TLS test SMTP server"
}

cw_stop_smtp() {
    [ -n "$CW_SMTP_PID" ] && kill "$CW_SMTP_PID" 2>/dev/null || true
    wait "$CW_SMTP_PID" 2>/dev/null || true
    CW_SMTP_PID=
}

# Writes $CW_WORK/cartwatchd.toml; extra lines (TOML) are appended to [daemon]. CW_SMTP_URL
# and CW_SMTP_STARTTLS replace the plain smtp:// defaults, CW_SMTP_EXTRA adds lines to [smtp],
# CW_SMTP_CONCURRENCY sets the number of senders (2; 1 puts every message on one connection).
cw_write_config() {
    local smtp_port=${CW_SMTP_PORT:-25}
    cat >"$CW_WORK/cartwatchd.toml" <<TOML
[database]
url = "host=$PGHOST port=$PGPORT user=${CW_ROLE:-${PGUSER:-postgres}} dbname=$CW_DB"
lease = "1m"

[smtp]
url = "${CW_SMTP_URL:-smtp://127.0.0.1:$smtp_port}"
from = "Sklep Żółw <sklep@shop.example>"
starttls = "${CW_SMTP_STARTTLS:-off}"
${CW_SMTP_EXTRA:-}
concurrency = ${CW_SMTP_CONCURRENCY:-2}
rate_per_second = 0
helo_name = "cartwatchd.test"
connect_timeout = "2s"
response_timeout = "5s"

[shop]
name = "Sklep Żółw"
address = "ul. Długa 1, 00-001 Warszawa"
recovery_url = "https://shop.example/cart/{token}"
unsubscribe_url = "https://shop.example/unsubscribe/{token}"

[templates]
dir = "$CW_SOURCE/mail_templates"

[daemon]
poll_interval = "1s"
batch_size = 20
$*
TOML
}

# cw_write_config with the metrics and the unsubscribe endpoint on free loopback ports
# (CW_METRICS_PORT, CW_UNSUBSCRIBE_PORT).
cw_write_endpoints_config() {
    CW_METRICS_PORT=$(cw_free_port)
    CW_UNSUBSCRIBE_PORT=$(cw_free_port)
    cw_write_config "metrics_listen = \"127.0.0.1:$CW_METRICS_PORT\"

[unsubscribe]
listen = \"127.0.0.1:$CW_UNSUBSCRIBE_PORT\""
}

# The path of the unsubscribe link exactly as the (one) message sent carries it, the path the
# reverse proxy forwards: /unsubscribe/<token>.
cw_unsubscribe_path() {
    local path
    path=$(grep -o '^List-Unsubscribe: <https://shop.example/unsubscribe/[^>]*>' "$CW_WORK"/smtp/*.eml |
        sed 's/.*<https:\/\/shop.example\(.*\)>/\1/')
    [ -n "$path" ] || cw_fail "no unsubscribe link in the message"
    echo "$path"
}

# Starts a daemon in the background: cw_start_daemon NAME [cartwatchd arguments...]
# Its pid lands in CW_PID_<NAME>, its log in $CW_WORK/<NAME>.log. With CW_NOFILE set, the
# daemon may open that many descriptors (ulimit -n).
cw_start_daemon() {
    local name=$1
    shift
    (
        if [ -n "${CW_NOFILE:-}" ]; then
            ulimit -n "$CW_NOFILE"
        fi
        exec "$CW_DAEMON" --config "$CW_WORK/cartwatchd.toml" "$@" run
    ) >>"$CW_WORK/$name.log" 2>&1 &
    local pid=$!
    CW_PIDS+=("$pid")
    printf -v "CW_PID_$name" '%s' "$pid"
}

# Runs cartwatchd in the foreground with the test's config: cw_daemon_command ARGS...
cw_daemon_command() { "$CW_DAEMON" --config "$CW_WORK/cartwatchd.toml" "$@"; }

# Waits until a query returns the expected text: cw_wait_for SECONDS EXPECTED SQL
cw_wait_for() {
    local seconds=$1 expected=$2 query=$3 got=""
    local deadline=$((SECONDS + seconds))
    while [ $SECONDS -lt $deadline ]; do
        got=$(cw_sql -c "$query" 2>/dev/null || true)
        [ "$got" = "$expected" ] && return 0
        sleep 0.2
    done
    cw_fail "waited ${seconds}s for [$query] to be [$expected], last [$got]"
}

# Waits (bounded) until a log of the test says something: cw_wait_for_log SECONDS LOG PATTERN.
# Returns 1 on time-out, so that the caller's own check fails with its own message.
cw_wait_for_log() {
    local deadline=$((SECONDS + $1))
    while [ $SECONDS -lt $deadline ]; do
        grep -q -- "$3" "$CW_WORK/$2" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# The reminders by state: "sent=3 unknown=1"; the query too, for cw_wait_for.
CW_STATES_SQL="SELECT string_agg(state || '=' || n, ' ' ORDER BY state)
                 FROM (SELECT state, count(*) AS n FROM cartwatch.reminders
                        WHERE NOT skipped GROUP BY state) AS s"
cw_states() { cw_sql -c "$CW_STATES_SQL"; }

# How many messages the SMTP server accepted in all, and how many addresses got two or more.
cw_accepted_count() { [ -f "$CW_WORK/smtp/accepted.log" ] && wc -l <"$CW_WORK/smtp/accepted.log" | tr -d ' ' || echo 0; }
cw_duplicate_count() {
    [ -f "$CW_WORK/smtp/accepted.log" ] || { echo 0; return; }
    awk '{print $1}' "$CW_WORK/smtp/accepted.log" | sort | uniq -d | wc -l | tr -d ' '
}

# Sends a signal to a daemon and waits (bounded) for it to exit; its exit status lands in
# CW_EXIT. (Not in a $(...) subshell: only this shell can wait for its children.)
cw_stop_daemon() {
    local pid=$1 signal=${2:-TERM} seconds=${3:-20}
    kill -s "$signal" "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + seconds))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && cw_fail "daemon $pid did not stop within ${seconds}s"
    CW_EXIT=0
    wait "$pid" || CW_EXIT=$?
}
