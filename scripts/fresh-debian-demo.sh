#!/usr/bin/env bash
# Runs `make demo` (or other make targets) from a clean clone on a freshly bootstrapped Debian 12,
# to show what a newcomer's machine does: which packages it installs, how long each step takes,
# and that nothing is left running afterwards.
#
#   sudo scripts/fresh-debian-demo.sh [options] [target ...]      (targets: default "demo")
#
#   --branch NAME     branch to clone (default: the checked-out one); commits only, as a clone
#   --base DIR        copy a root made earlier with --save-base instead of running debootstrap
#   --save-base DIR   after debootstrap, keep a pristine copy of the root in DIR for --base
#   --mirror URL      Debian mirror (default http://deb.debian.org/debian)
#   --keep            leave the root (unmounted) in place for a look inside
#
# The root is debootstrap's minbase variant plus git and ca-certificates. Inside it, /proc, /sys,
# /dev, /dev/pts and /dev/shm come from the host and /tmp is a private tmpfs. Each target runs as
# root in a CI-like environment (CI=true, no terminal); its output is time-stamped, and the time
# between the `== ` headings of `make demo` gives the breakdown printed at the end, with the load
# average of the machine over the run. Needs root and network access to the mirror; takes a few
# minutes. On exit, whatever happened, every process whose root is the chroot is killed, every
# mount is undone, and the root is removed (unless --keep).
set -euo pipefail

source_repo=$(git -C "$(dirname "$0")/.." rev-parse --path-format=absolute --git-common-dir)
branch=$(git -C "$(dirname "$0")/.." rev-parse --abbrev-ref HEAD)
base=
save_base=
mirror=http://deb.debian.org/debian
keep=0
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
    --branch) branch=${2:?--branch needs a name}; shift 2 ;;
    --base) base=${2:?--base needs a folder}; shift 2 ;;
    --save-base) save_base=${2:?--save-base needs a folder}; shift 2 ;;
    --mirror) mirror=${2:?--mirror needs a URL}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fresh-debian-demo.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(demo)
if [ "$(id -u)" != 0 ]; then
    echo "fresh-debian-demo.sh: needs root (debootstrap, mount, chroot)" >&2
    exit 1
fi
if [ -n "$base" ] && [ ! -x "$base/bin/bash" ]; then
    echo "fresh-debian-demo.sh: $base is not a root made with --save-base" >&2
    exit 1
fi
command -v debootstrap >/dev/null || [ -n "$base" ] || {
    echo "fresh-debian-demo.sh: install debootstrap first (apt-get install debootstrap)" >&2
    exit 1
}

root=$(mktemp -d /var/tmp/cartwatch-fresh.XXXXXX)
log_dir=$(mktemp -d /tmp/cartwatch-fresh-log.XXXXXX)
sampler_pid=
mounted=()

# The processes running inside the chroot: those whose root directory is $root.
chroot_pids() {
    local link pid
    for link in /proc/[0-9]*/root; do
        pid=${link#/proc/}
        pid=${pid%/root}
        [ "$(readlink "$link" 2>/dev/null)" = "$root" ] && echo "$pid"
    done
    return 0
}

mounts_under_root() {
    awk -v root="$root" '$5 == root || index($5, root "/") == 1 { print $5 }' /proc/self/mountinfo
}

cleanup() {
    local status=$? pids
    trap - EXIT INT TERM
    [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
    pids=$(chroot_pids)
    if [ -n "$pids" ]; then
        echo "still running in the chroot, stopped now:" >&2
        # shellcheck disable=SC2086
        ps -o pid,args -p "$(echo $pids | tr ' ' ,)" >&2 || true
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null || true
        sleep 2
        pids=$(chroot_pids)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
        sleep 1
    fi
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" || true
    done
    # Never delete through a mount: a /dev or /tmp still bound here would be the host's.
    if [ -n "$(mounts_under_root)" ]; then
        echo "fresh-debian-demo.sh: mounts remain under $root; not removing it:" >&2
        mounts_under_root >&2
        status=1
    elif [ "$keep" = 1 ]; then
        echo "the root stays in $root (nothing mounted, nothing running)"
    else
        rm -rf "$root"
    fi
    rm -rf "$log_dir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { local t=${EPOCHREALTIME/./}; printf '%s' "${t:0:13}"; } # milliseconds since 1970
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

started=$(now)
if [ -n "$base" ]; then
    echo "== copying the pristine Debian 12 root from $base"
    cp -a "$base/." "$root/"
else
    echo "== debootstrap: Debian 12 (bookworm), minbase + git, ca-certificates, into $root"
    debootstrap --variant=minbase --include=git,ca-certificates bookworm "$root" "$mirror" \
        >"$log_dir/debootstrap.log" 2>&1 || { tail -20 "$log_dir/debootstrap.log" >&2; exit 1; }
    if [ -n "$save_base" ]; then
        rm -rf "$save_base"
        mkdir -p "$save_base"
        cp -a "$root/." "$save_base/"
        echo "   pristine copy kept in $save_base (use --base $save_base next time)"
    fi
fi
# It becomes /: mktemp's 0700 (or a copy of it) would lock out _apt, postgres and every other user.
chmod 755 "$root"
echo "   root ready in $(seconds_since "$started") s"
# A chroot has no init system: without this, installing postgresql-15 would start Debian's own
# "main" cluster on the host's network, where nothing would ever stop it. (On a real machine
# systemd runs it as the machine's service; the demo never uses it.)
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"

mount_in_root() { # mount_in_root TARGET mount-arguments...
    local target=$root$1
    shift
    mount "$@" "$target"
    mounted+=("$target")
}
mount_in_root /proc -t proc proc
mount_in_root /sys -t sysfs -o ro sysfs
mount_in_root /dev --bind /dev
mount_in_root /dev/pts --bind /dev/pts
mount_in_root /dev/shm -t tmpfs -o mode=1777 tmpfs
mount_in_root /tmp -t tmpfs -o mode=1777 tmpfs

echo "== git clone --branch $branch $source_repo"
git clone -q --no-hardlinks --branch "$branch" "$source_repo" "$root/root/cartwatch"
echo "   at $(git -C "$root/root/cartwatch" log -1 --format='%h %s')"

# The machine's load average every 5 s while the targets run (the box may be shared).
(while :; do cut -d' ' -f1 /proc/loadavg; sleep 5; done) >"$log_dir/load" &
sampler_pid=$!

in_chroot() {
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 CI=true TERM=dumb chroot "$root" /bin/bash -c "$1"
}

# Prefixes every line with the time it arrived, in milliseconds.
stamp() {
    local line
    while IFS= read -r line; do
        printf '%s %s\n' "$(now)" "$line"
    done
}

failed=0
summary=()
# A fresh Debian has no make: the README's Quick start installs it first, as timed here.
echo "== apt-get install make (the README's first step)"
t0=$(now)
in_chroot "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make >/dev/null" </dev/null
summary+=("apt-get install make: $(seconds_since "$t0") s")
for target in "${targets[@]}"; do
    echo "== make $target (inside the chroot, as root, CI=true)"
    : >"$log_dir/$target.out"
    t0=$(now)
    set +e
    in_chroot "cd /root/cartwatch && make $target" </dev/null 2>&1 | stamp >>"$log_dir/$target.out"
    status=${PIPESTATUS[0]}
    set -e
    total=$(seconds_since "$t0")
    cut -d' ' -f2- "$log_dir/$target.out"
    # Per-heading durations: each "== heading" lasts until the next one (or the end).
    breakdown=$(awk -v t0="$t0" -v end="$(now)" '
        { line = $0; sub(/^[0-9]+ /, "", line); gsub(/\033\[[0-9;]*m/, "", line) }
        line ~ /^== / { if (name != "") printf "    %6.1f s  %s\n", ($1 - start) / 1000, name
                        else if ($1 - t0 > 1000) printf "    %6.1f s  %s\n", ($1 - t0) / 1000, "(before the first step)"
                        name = substr(line, 4); start = $1 }
        END { if (name != "") printf "    %6.1f s  %s\n", (end - start) / 1000, name }
    ' "$log_dir/$target.out")
    leftover=$(chroot_pids)
    listening=
    if [ -n "$leftover" ]; then
        listening=$(ss -ltnpH 2>/dev/null | grep -E "pid=($(echo "$leftover" | paste -sd'|'))," || true)
    fi
    load=$(awk '{ n++; s += $1; if ($1 > max) max = $1 } END { if (n) printf "mean %.2f, max %.2f over %d samples", s / n, max, n }' "$log_dir/load")
    tail -n 1 "$log_dir/load" >"$log_dir/load.last" && mv "$log_dir/load.last" "$log_dir/load"
    summary+=("make $target: exit $status, ${total} s (load average $load)")
    summary+=("$breakdown")
    if [ -n "$leftover" ]; then
        summary+=("    LEFT RUNNING: $(ps -o pid=,args= -p "$(echo "$leftover" | paste -sd,)" | tr '\n' ';')")
        [ -z "$listening" ] || summary+=("    LISTENING: $listening")
        failed=1
    else
        summary+=("    nothing left running in the chroot")
    fi
    if [ "$target" = demo ] && [ "$status" = 0 ]; then
        summary+=("    languages of the captured messages: $(in_chroot 'ls /root/cartwatch/demo-out/mail' |
            awk -F- '/\.eml$/ { print $2 }' | sort | uniq -c | awk '{ printf "%s%s %s", sep, $2, $1; sep = ", " }')")
    fi
    [ "$status" = 0 ] || failed=1
done

echo
echo "== summary (debian 12 minbase, $(nproc) cores, $(git -C "$root/root/cartwatch" log -1 --format=%h))"
printf '%s\n' "${summary[@]}"
exit "$failed"
