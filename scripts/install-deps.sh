#!/usr/bin/env bash
# Installs the Debian packages cartwatch builds, tests and demos with, when they are missing.
# As root it runs apt-get; otherwise it prints the command to run and fails.
set -euo pipefail

packages=(
    make g++ cmake pkg-config clang
    postgresql-15 postgresql-server-dev-15
    libpqxx-dev libboost-dev libcurl4-openssl-dev libspdlog-dev
    libgtest-dev libgmock-dev
    libkainjow-mustache-dev libtomlplusplus-dev libcli11-dev libsystemd-dev nlohmann-json3-dev
    libopendkim-dev libssl-dev openssl libclang-rt-14-dev
    python3-aiosmtpd postfix
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "cartwatch needs these Debian packages: ${missing[*]}" >&2
    echo "install them with:" >&2
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "installing: ${missing[*]}"
# postfix is wanted for its smtp-sink and smtp-source tools only: no local mail system.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
