#!/usr/bin/env bash
# More idle connections to the unsubscribe port than cartwatchd serves at once, with few
# descriptors to spare (ulimit -n 48: where an accept loop retrying at once wrote a million
# "Too many open files" lines in seconds). The daemon closes the connections past its cap at
# once and the idle ones it took at their deadline, logs a line or two and stays idle; mail
# still goes out, /health still answers, and the link works again once the clients are gone.
. "$(dirname "$0")/lib/cartwatchd.sh"

idle_clients=60

cw_create_database
cw_add_carts anna@example.com
cw_start_smtp
cw_write_endpoints_config
metrics_port=$CW_METRICS_PORT
unsubscribe_port=$CW_UNSUBSCRIBE_PORT
CW_NOFILE=48 cw_start_daemon main
cw_wait_for 20 "sent" "SELECT state FROM cartwatch.reminders"
link=$(cw_unsubscribe_path)

# The daemon's CPU time in clock ticks (utime + stime, proc(5)).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$CW_PID_main/stat"; }

# The clients connect, send nothing and note when the daemon closes each connection (seconds
# after they all connected): "at_once=N closed=M last=S" once all are closed or after 60 s.
python3 - "$unsubscribe_port" "$idle_clients" "$CW_WORK/idle.ready" >"$CW_WORK/idle.result" <<'PY' &
import select, socket, sys, time
port, count, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
start = time.monotonic()
open(ready, "w").close()
closed = {}
while len(closed) < count and time.monotonic() - start < 60:
    waiting = [c for c in clients if c not in closed]
    for client in select.select(waiting, [], [], 0.5)[0]:
        try:
            data = client.recv(1)
        except ConnectionResetError:
            data = b""
        if not data:
            closed[client] = time.monotonic() - start
at_once = sum(1 for seconds in closed.values() if seconds < 5)  # the deadline is 10 s
print(f"at_once={at_once} closed={len(closed)} last={max(closed.values(), default=0):.1f}")
PY
idle_pid=$!
CW_PIDS+=("$idle_pid")

for _ in $(seq 1 200); do
    [ -f "$CW_WORK/idle.ready" ] && break
    sleep 0.1
done
[ -f "$CW_WORK/idle.ready" ] || cw_fail "the idle clients did not connect"
log_before=$(wc -l <"$CW_WORK/main.log")
ticks_before=$(cpu_ticks)
started=$(date +%s.%N)
sleep 3
ticks_after=$(cpu_ticks)
seconds=$(echo "$(date +%s.%N) - $started" | bc)

# A few lines at most (a warning a minute), and no busy loop: the daemon idles, well under a
# fifth of a core, while the connections are open.
new_lines() { tail -n +$((log_before + 1)) "$CW_WORK/main.log"; }
endpoint_lines=$(new_lines | grep -c 'endpoint' || true)
[ "$endpoint_lines" -le 5 ] ||
    cw_fail "$endpoint_lines endpoint lines logged in ${seconds}s: $(new_lines | sort | uniq -c | sort -rn | head -3)"
ticks=$((ticks_after - ticks_before))
[ "$(echo "$ticks < 0.2 * $(getconf CLK_TCK) * $seconds" | bc)" = 1 ] ||
    cw_fail "$ticks CPU ticks in ${seconds}s: a busy loop"

# Still while they are open: health answers, and a new reminder goes out (database and SMTP
# connections need descriptors of their own).
health=$(curl -s -m 10 -w ' %{http_code}' "http://127.0.0.1:$metrics_port/health" | tr -d '\n')
grep -q ' 200$' <<<"$health" || cw_fail "health during the idle connections: $health"
cw_add_carts bruno@example.com
cw_wait_for 30 "2" "SELECT count(*) FROM cartwatch.reminders WHERE state = 'sent'"

wait "$idle_pid" || cw_fail "the idle clients failed"
read -r result <"$CW_WORK/idle.result"
cw_log "idle clients: $result; $ticks CPU ticks in ${seconds}s"
at_once=$(sed 's/.*at_once=\([0-9]*\).*/\1/' <<<"$result")
closed=$(sed 's/.*closed=\([0-9]*\).*/\1/' <<<"$result")
# ulimit -n 48 leaves no room for 60 sessions: most connections past the cap closed at once.
[ "$at_once" -ge $((idle_clients / 2)) ] ||
    cw_fail "only $at_once of $idle_clients idle connections closed at once ($result)"
[ "$closed" = "$idle_clients" ] || cw_fail "idle connections left open past the deadline ($result)"

# The clients are gone: the link and the health check answer again.
status=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$unsubscribe_port$link")
[ "$status" = 200 ] || cw_fail "the unsubscribe link answered $status after the idle clients"
status=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$metrics_port/health")
[ "$status" = 200 ] || cw_fail "health answered $status after the idle clients"

cw_stop_daemon "$CW_PID_main" TERM
[ "$CW_EXIT" = 0 ] || cw_fail "exit status $CW_EXIT"
cw_log "$idle_clients idle connections under ulimit -n 48: closed past the cap, no log flood, mail and health unaffected"
