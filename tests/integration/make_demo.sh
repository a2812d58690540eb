#!/usr/bin/env bash
# `make demo` works and cleans up after itself: the demo script (with the daemon and the
# extension `make test` built and installed) loads the shop, sends the due reminders, follows a
# recovery link to an order that is credited to its reminder, prints the KPIs, and leaves no
# server and no working folder behind.
set -euo pipefail
source_dir=${CARTWATCH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build_dir=${CARTWATCH_BUILD_DIR:-$source_dir/build}
work=$(mktemp -d /tmp/cartwatch-make-demo-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL [make_demo]: $*" >&2; exit 1; }

before=$(ls -d /tmp/cartwatch-demo.* 2>/dev/null | sort || true)
status=0
DEMO_OUT=$work/out CARTWATCH_DEMO_DAEMON=$build_dir/cartwatchd \
    "$source_dir/scripts/demo.sh" >"$work/demo.log" 2>&1 9>&- || status=$?
# No colours in the log: the section titles are matched as text.
sed -i 's/\x1b\[[0-9;]*m//g' "$work/demo.log"
[ "$status" = 0 ] || { tail -40 "$work/demo.log"; fail "the demo exited with $status"; }

grep -q '^== The shopper comes back through the link and orders' "$work/demo.log" ||
    fail "no comeback section: $(tail -20 "$work/demo.log")"
# The reminder the link came from is credited with the order (its recovered_by_order column).
awk '/^Its reminders after the order/ {on = 1; next} on && /\| sent +\| .*\| t +\| +[0-9]+ \|/ {found = 1} END {exit !found}' \
    "$work/demo.log" || fail "the order was not credited to the clicked reminder: $(sed -n '/comes back/,/Shop KPIs/p' "$work/demo.log")"
rate=$(sed -n 's/^reminder_recovery_rate_pct *| *\([0-9.]*\)$/\1/p' "$work/demo.log")
awk -v rate="$rate" 'BEGIN {exit !(rate > 0)}' || fail "the KPIs show no recovery: '$rate'"
messages=$(ls "$work/out/mail"/*.eml 2>/dev/null | wc -l)
[ "$messages" -ge 10 ] || fail "only $messages messages were captured"
for language in de en fr pl; do
    ls "$work/out/mail"/*-"$language"-*.eml >/dev/null 2>&1 || fail "no message in $language"
done

# Nothing left running, no working folder left over.
sleep 0.5
if pgrep -f '/tmp/cartwatch-demo\.' >/dev/null; then
    fail "the demo left processes running: $(pgrep -af '/tmp/cartwatch-demo\.')"
fi
after=$(ls -d /tmp/cartwatch-demo.* 2>/dev/null | sort || true)
[ "$before" = "$after" ] || fail "the demo left a working folder: $(comm -13 <(echo "$before") <(echo "$after"))"
echo "make demo: $messages messages captured, the recovered order credited, nothing left running"
