#!/usr/bin/env bash
# `make demo`: the whole flow from carts to reminders in the inbox, on embedded defaults.
#
# Installs what is missing, builds the extension and cartwatchd, starts a private PostgreSQL and
# a local SMTP capture server on loopback, creates the extension, loads a demo shop, runs
# cartwatchd until the due reminders are sent, prints what happened, and stops everything it
# started, on success and on failure. The captured messages stay in demo-out/mail/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${DEMO_OUT:-$root/demo-out}
seed=${DEMO_SEED:-42}
customers=${DEMO_CUSTOMERS:-300}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Installing what is missing"
scripts/install-deps.sh demo

say "Building the extension and cartwatchd"
# tests/integration/make_demo.sh runs the demo inside `make test`, which has built and installed
# everything and holds the install lock: CARTWATCH_DEMO_DAEMON names its cartwatchd, and the
# build and install steps are skipped.
daemon=${CARTWATCH_DEMO_DAEMON:-}
if [ -z "$daemon" ]; then
    # Only what the demo runs, so that a fresh machine gets there in minutes: no LLVM bitcode
    # for PostgreSQL's JIT (with_llvm=no: it would compile every file a second time with
    # clang); and cartwatchd alone, in a tree of its own without the test suites, optimised as
    # the tested build (-O2) but without debug information, which costs a third of the
    # daemon's compile time.
    pgxs=(with_llvm=no)
    make -s -j2 "${pgxs[@]}"
    cmake -S . -B build-demo -DCARTWATCH_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" >/dev/null
    echo "compiling cartwatchd (a minute or two on 2 cores)"
    cmake --build build-demo --target cartwatchd -j2 >build-demo/cartwatchd-build.log 2>&1 ||
        { grep -v '^\[' build-demo/cartwatchd-build.log >&2; echo "cartwatchd did not build" >&2; exit 1; }
    daemon=$root/build-demo/cartwatchd
    # One install of the extension at a time on this machine, held until the demo ends: another
    # checkout must not swap cartwatch.so under the demo's server.
    exec 9>/tmp/cartwatch-install.lock
    flock 9
    if [ -w "$(pg_config --pkglibdir)" ]; then
        make -s install "${pgxs[@]}" >/dev/null
    else
        sudo -n make -s install "${pgxs[@]}" >/dev/null
    fi
else
    echo "using $daemon and the installed extension"
fi

run_dir=$(mktemp -d /tmp/cartwatch-demo.XXXXXX)
chmod 755 "$run_dir"
smtp_pid=
daemon_pid=
cleanup() {
    local status=$?
    # Every step runs whatever failed before it: under errexit, one `kill` of a server that had
    # already gone would end the cleanup there and leave PostgreSQL running.
    set +e
    trap - EXIT INT TERM
    # A TERM'd child makes `wait` return 143: that is the expected end, not the demo's status.
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    [ -n "$smtp_pid" ] && kill "$smtp_pid" 2>/dev/null && wait "$smtp_pid" 2>/dev/null
    scripts/pg-cluster.sh stop "$run_dir/pg" >/dev/null 2>&1
    rm -rf "$run_dir"
    exit "$status"
}
trap cleanup EXIT
# INT and TERM end the demo through the same cleanup: Ctrl-C must not leave its servers behind.
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    "$root/scripts/free-port.sh"
}

say "Starting a private PostgreSQL and an SMTP capture server on loopback"
# 9>&-: the servers must not inherit the install lock, or one left behind would hold it.
scripts/pg-cluster.sh start "$run_dir/pg" 9>&-
# shellcheck source=/dev/null
. "$run_dir/pg/env"
rm -rf "$out"
mkdir -p "$out/mail"
smtp_port=$(free_port)
PYTHONPATH=$root/tests/smtp /usr/bin/aiosmtpd -n -l "127.0.0.1:$smtp_port" \
    -c cartwatch_test_smtp.Handler "$out/mail" >"$run_dir/smtp.log" 2>&1 9>&- &
smtp_pid=$!
echo "SMTP capture server on 127.0.0.1:$smtp_port, messages in $out/mail"

say "Creating the extension and loading a demo shop ($customers customers, seed $seed)"
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
createdb shop
psql -d shop -c "SET client_min_messages = warning" -c "CREATE EXTENSION cartwatch CASCADE"
psql -d shop -v seed="$seed" -v customers="$customers" -v as_of="now()" -f scripts/demo-shop.sql >/dev/null
psql -d shop -At <<'SQL'
-- The daemon logs in as a role of its own that can run the outbox and nothing else.
CREATE ROLE cartwatchd LOGIN;
SELECT FROM cartwatch.grant_daemon('cartwatchd');
-- A shop that has run cartwatch before: the first reminders for carts abandoned two days ago
-- went out yesterday, so their second reminders are due now (these are not sent again).
SELECT FROM cartwatch.schedule_reminders(now() - interval '30 hours');
SELECT count(*) || ' first reminders went out yesterday (recorded as sent, not sent again)'
  FROM cartwatch.claim_reminders('yesterday', 10000, '5 minutes', now() - interval '30 hours') AS c,
       LATERAL cartwatch.complete_reminder(c.reminder_id, 'yesterday', '<demo-' || c.reminder_id || '@demo.example>',
                                           '250 2.0.0 OK', 'yesterday', 'first_reminder', now() - interval '30 hours');
SQL
psql -d shop -At -c "SELECT count(*) || ' customers, ' || (SELECT count(*) FROM cartwatch.carts) || ' carts, '
                            || (SELECT count(*) FROM cartwatch.orders) || ' orders loaded'
                       FROM cartwatch.customers"

metrics_port=$(free_port)
unsubscribe_port=$(free_port)
cat >"$run_dir/cartwatchd.toml" <<TOML
[database]
url = "postgresql://cartwatchd@127.0.0.1:$PGPORT/shop"

[smtp]
url = "smtp://127.0.0.1:$smtp_port"
from = "Sklep Żółta Półka <sklep@zoltapolka.example>"
starttls = "off"
concurrency = 2
rate_per_second = 50

[shop]
name = "Żółta Półka"
address = "ul. Długa 12/3, 80-827 Gdańsk"
recovery_url = "https://zoltapolka.example/cart/recover/{token}"
# The shop's reverse proxy forwards this to the [unsubscribe] listener below.
unsubscribe_url = "https://zoltapolka.example/unsubscribe/{token}"

[templates]
dir = "$root/mail_templates"

[daemon]
poll_interval = "2s"
batch_size = 50
metrics_listen = "127.0.0.1:$metrics_port"

[unsubscribe]
listen = "127.0.0.1:$unsubscribe_port"
TOML

say "Running cartwatchd until the due reminders are sent"
"$daemon" --config "$run_dir/cartwatchd.toml" check-config >"$run_dir/check-config.log" 2>&1 ||
    { cat "$run_dir/check-config.log"; exit 1; }
"$daemon" --config "$run_dir/cartwatchd.toml" run >"$run_dir/cartwatchd.log" 2>&1 9>&- &
daemon_pid=$!
due() {
    psql -d shop -At -c "SELECT count(*) FROM cartwatch.reminders WHERE state IN ('pending', 'claimed', 'failed') AND due_at <= now()"
}
for _ in $(seq 1 120); do
    sleep 1
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$run_dir/cartwatchd.log"; echo "cartwatchd stopped early" >&2; exit 1; }
    [ "$(due)" = 0 ] && [ "$(psql -d shop -At -c "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent' AND scheduled_at > now() - interval '1 hour'")" != 0 ] && break
done
echo "cartwatchd's /metrics on 127.0.0.1:$metrics_port:"
curl -s "http://127.0.0.1:$metrics_port/metrics" | grep -E '^cartwatchd?_reminders_(sent|failed|unknown)|^cartwatch_reminders_due' | sed 's/^/  /' || true
kill -TERM "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=
echo "its log (in full: $out/cartwatchd.log):"
cp "$run_dir/cartwatchd.log" "$out/cartwatchd.log"
{ grep -m 1 ' sent: ' "$out/cartwatchd.log"; tail -n 1 "$out/cartwatchd.log"; } | cut -c1-150 | sed 's/^/  /'

say "The 12 most recently abandoned carts (cartwatch.cart_overview)"
psql -d shop -c "SELECT cart_id, customer_name, email, item_count, value, currency,
                        date_trunc('minute', idle_for) AS idle
                   FROM cartwatch.cart_overview WHERE status = 'abandoned'
                  ORDER BY idle_for LIMIT 12" | sed '$d'
psql -d shop -At -c "SELECT count(*) || ' abandoned carts in all (cartwatch.abandoned_carts())' FROM cartwatch.abandoned_carts()"

say "Reminders sent by this run, per step and language"
# The language is the template's each message was rendered from (cart's, else customer's, else en).
psql -d shop -c "SELECT step, split_part(template, '/', 1) AS language, count(*) AS sent
                   FROM cartwatch.reminders
                  WHERE state = 'sent' AND claimed_by IS DISTINCT FROM 'yesterday'
                  GROUP BY 1, 2 ORDER BY 1, 2" | sed '$d'

# Name the captured files by language and step so that `ls` tells them apart.
/usr/bin/python3 - "$out/mail" <<'PY'
import email, email.policy, os, sys
folder = sys.argv[1]
for name in sorted(os.listdir(folder)):
    if not name.endswith(".eml"):
        continue
    path = os.path.join(folder, name)
    with open(path, "rb") as f:
        message = email.message_from_bytes(f.read(), policy=email.policy.default)
    language = message.get("Content-Language", "xx")
    number, rest = name.split("-", 1)
    os.rename(path, os.path.join(folder, f"{number}-{language}-{rest}"))
PY

say "One of the captured e-mails, as the customer reads it"
sample=$(ls "$out/mail"/*-pl-*.eml 2>/dev/null | head -1)
[ -n "$sample" ] || sample=$(ls "$out/mail"/*.eml | head -1)
/usr/bin/python3 - "$sample" <<'PY'
import email, email.policy, sys
with open(sys.argv[1], "rb") as f:
    m = email.message_from_bytes(f.read(), policy=email.policy.default)
for h in ("From", "To", "Subject", "Date", "List-Unsubscribe"):
    print(f"{h}: {m[h]}")
print()
print(m.get_body(("plain",)).get_content())
PY

say "The shopper comes back through the link and orders"
# What the shop's cart page does with the recovery link of the e-mail above: cartwatch checks
# the token, records the click and says which cart to restore; the order that follows names the
# cart, and cartwatch credits it to the reminder (last touch within attribution_window).
token=$(/usr/bin/python3 - "$sample" <<'PY'
import email, email.policy, re, sys
with open(sys.argv[1], "rb") as f:
    m = email.message_from_bytes(f.read(), policy=email.policy.default)
link = re.search(r"/cart/recover/([A-Za-z0-9_-]+)", m.get_body(("plain",)).get_content())
print(link.group(1) if link else "")
PY
)
[ -n "$token" ] || { echo "no recovery link in $sample" >&2; exit 1; }
psql -d shop -v token="$token" <<'SQL'
\echo 'The cart behind the link (cartwatch.cart_from_recovery_token()):'
CREATE TEMPORARY TABLE link AS
SELECT cart_id, customer_id, status, jsonb_array_length(items) AS lines, total, currency
  FROM cartwatch.cart_from_recovery_token(:'token');
SELECT cart_id, status, lines, total, currency FROM link;
INSERT INTO cartwatch.orders (customer_id, cart_id, email, status, total, currency)
SELECT link.customer_id, link.cart_id, c.email, 'paid', link.total, link.currency
  FROM link LEFT JOIN cartwatch.customers AS c ON c.customer_id = link.customer_id;
\echo 'Its reminders after the order (cartwatch.reminders):'
SELECT r.step, r.state, to_char(r.sent_at, 'YYYY-MM-DD HH24:MI') AS sent,
       r.clicked_at IS NOT NULL AS clicked, r.recovered_order_id AS recovered_by_order,
       r.recovered_value
  FROM cartwatch.reminders AS r
 WHERE r.cart_id = (SELECT cart_id FROM link)
 ORDER BY r.step;
SQL

say "Shop KPIs (cartwatch.shop_kpis())"
psql -d shop -x -c "SELECT * FROM cartwatch.shop_kpis()"

say "All captured messages"
shopt -s nullglob
messages=("$out"/mail/*.eml)
echo "${#messages[@]} messages in $out/mail, named <number>-<language>-<recipient>.eml:"
for language in de en fr pl; do
    of_language=("$out"/mail/*-"$language"-*.eml)
    [ ${#of_language[@]} -gt 0 ] || continue
    printf '  %s  %3d   e.g. %s\n' "$language" ${#of_language[@]} "$(basename "${of_language[0]}")"
done
echo
echo "Everything the demo started is stopped; the messages stay: ls $out/mail"
