#!/usr/bin/env bash
# Prints a TCP port that nothing listens on at 127.0.0.1, for a test or demo server to bind.
# The port comes from below the kernel's ephemeral range (net.ipv4.ip_local_port_range): a port
# in that range can become an outgoing connection's local port between this probe and the
# server's bind, and the bind then fails with "address already in use".
set -euo pipefail
low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
# A machine whose ephemeral range starts lower still gets 20000-29999, as good as it gets there.
[ "$low" -gt 21000 ] || low=30000
for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % (low - 20000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "$port"
        exit 0
    fi
done
echo "no free port below $low" >&2
exit 1
