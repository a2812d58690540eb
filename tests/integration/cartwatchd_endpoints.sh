#!/usr/bin/env bash
# The loopback endpoints: the one-click unsubscribe link cartwatchd serves itself (GET asks in
# the customer's language and changes nothing; POST List-Unsubscribe=One-Click unsubscribes,
# RFC 8058), Prometheus metrics and the health check.
. "$(dirname "$0")/lib/cartwatchd.sh"

# A HEAD answer (a file from cw_http_raw) has STATUS, Content-Length LENGTH (the GET body's,
# or an ERE when any will do) and nothing after its headers: check_head FILE STATUS LENGTH WHAT.
check_head() {
    local file=$1 status=$2 length=$3 what=$4 status_line header_bytes
    status_line=$(head -n 1 "$file")
    [[ $status_line == "HTTP/1.1 $status "* ]] || cw_fail "HEAD $what: $status_line"
    grep -Eqi "^Content-Length: $length"$'\r'"\$" "$file" ||
        cw_fail "HEAD $what: not Content-Length $length: $(grep -i '^Content-Length' "$file")"
    header_bytes=$(sed -n '1,/^\r$/p' "$file" | wc -c)
    [ "$(wc -c <"$file")" = "$header_bytes" ] ||
        cw_fail "HEAD $what: $(($(wc -c <"$file") - header_bytes)) bytes of body after the headers"
}

cw_create_database
cw_add_carts anna@example.com:pl
cw_start_smtp
cw_write_endpoints_config
metrics_port=$CW_METRICS_PORT
unsubscribe_port=$CW_UNSUBSCRIBE_PORT
cw_start_daemon main
cw_wait_for 20 "sent" "SELECT state FROM cartwatch.reminders"

link=$(cw_unsubscribe_path)
base=http://127.0.0.1:$unsubscribe_port

page=$(curl -s -H 'Accept-Language: pl-PL,pl;q=0.9' "$base$link")
grep -q '<html lang="pl">' <<<"$page" || cw_fail "the page is not in Polish: $page"
grep -q 'value="One-Click"' <<<"$page" || cw_fail "the page has no one-click form"
[ "$(cw_sql -c "SELECT cartwatch.is_suppressed('anna@example.com')")" = f ] ||
    cw_fail "a GET unsubscribed"

# HEAD: the headers GET would send, its Content-Length, and no body; nobody is unsubscribed.
get_bytes=$(curl -s "$base$link" | wc -c)
cw_http_raw "$unsubscribe_port" HEAD "$link" >"$CW_WORK/head-unsubscribe.http"
check_head "$CW_WORK/head-unsubscribe.http" 200 "$get_bytes" "the unsubscribe link"
grep -qi '^X-Frame-Options: DENY' "$CW_WORK/head-unsubscribe.http" ||
    cw_fail "HEAD lacks the page's headers"
[ "$(cw_sql -c "SELECT cartwatch.is_suppressed('anna@example.com')")" = f ] ||
    cw_fail "a HEAD unsubscribed"

status=$(curl -s -o /dev/null -w '%{http_code}' -d 'List-Unsubscribe=One-Click' "$base$link")
[ "$status" = 200 ] || cw_fail "one-click POST answered $status"
[ "$(cw_sql -c "SELECT reason FROM cartwatch.suppressions WHERE email = 'anna@example.com'")" = unsubscribed ] ||
    cw_fail "the one-click POST did not unsubscribe"
status=$(curl -s -o /dev/null -w '%{http_code}' -d 'List-Unsubscribe=One-Click' "$base/unsubscribe/AAAAAAAAAAAAAAAAAAAAAAAA")
[ "$status" = 404 ] || cw_fail "a forged token answered $status"

metrics=$(curl -s "http://127.0.0.1:$metrics_port/metrics")
grep -q '^cartwatchd_reminders_sent_total 1$' <<<"$metrics" || cw_fail "metrics: $metrics"
grep -q '^cartwatchd_unsubscribes_total 1$' <<<"$metrics" || cw_fail "no unsubscribe counted"
grep -q '^cartwatch_reminders_due 0$' <<<"$metrics" || cw_fail "no queue metrics: $(grep cartwatch_reminders <<<"$metrics")"
grep -q '^cartwatchd_database_up 1$' <<<"$metrics" || cw_fail "database_up missing"
health=$(curl -s -w ' %{http_code}' "http://127.0.0.1:$metrics_port/health" | tr -d '\n')
grep -q '"status":"ok".* 200$' <<<"$health" || cw_fail "health: $health"
# Their bodies change from one request to the next: any Content-Length, but no body.
for path in /metrics /health; do
    cw_http_raw "$metrics_port" HEAD "$path" >"$CW_WORK/head-metrics.http"
    check_head "$CW_WORK/head-metrics.http" 200 '[1-9][0-9]*' "$path"
done
# Read-only: a POST is refused and says which methods serve.
for path in /metrics /health; do
    answer=$(curl -s -i -d 'x=1' "http://127.0.0.1:$metrics_port$path" | tr -d '\r')
    grep -q '^HTTP/1.1 405' <<<"$answer" || cw_fail "POST $path: $answer"
    grep -qi '^Allow: GET, HEAD$' <<<"$answer" || cw_fail "POST $path without Allow: $answer"
done
grep -q '^cartwatchd_http_connections_refused_total{endpoint="metrics"} 0$' <<<"$metrics" ||
    cw_fail "no refused-connections counter: $(grep http_ <<<"$metrics")"

cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_log "unsubscribe GET asks, HEAD sends headers only, POST unsubscribes, forged token refused; metrics and health served, HEAD without a body, POST refused"
