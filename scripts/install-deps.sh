#!/usr/bin/env bash
# Installs the Debian packages cartwatch needs, when they are missing.
#
#   scripts/install-deps.sh [demo|test]     (default: test, everything)
#
#   demo   what `make demo` needs: the compilers, PostgreSQL 15 with its server headers, the
#          daemon's libraries and the SMTP capture server;
#   test   all of that, plus what only `make test` uses: GoogleTest, clang's fuzzing runtime
#          and postfix's smtp-sink and smtp-source.
#
# As root it runs apt-get; otherwise it prints the command to run and fails.
set -euo pipefail

profile=${1:-test}

demo_packages=(
    make g++ cmake pkg-config
    # The server headers also bring clang-14 and llvm-14-dev: PGXS compiles LLVM bitcode with
    # them for PostgreSQL's JIT. The demo skips that step (with_llvm=no in scripts/demo.sh).
    postgresql-15 postgresql-server-dev-15
    libpqxx-dev libboost-dev libcurl4-openssl-dev libspdlog-dev libssl-dev
    libkainjow-mustache-dev libtomlplusplus-dev libcli11-dev libsystemd-dev nlohmann-json3-dev
    # cartwatchd signs messages with DKIM in-process; the demo runs without a key, but the mail
    # library always links it.
    libopendkim-dev
    # IDNA2008 for addresses with a Unicode domain: cartwatchd sends them in their ASCII form, and
    # the extension's email_key() keys them in it (libcurl's own IDN library).
    libidn2-dev
    # The SMTP capture server, and curl for the daemon's /metrics.
    python3-aiosmtpd curl
)
test_packages=(
    "${demo_packages[@]}"
    libgtest-dev libgmock-dev
    # clang++ and its libFuzzer/sanitizer runtime build the fuzz targets (tests/fuzz).
    clang libclang-rt-14-dev
    # postfix is wanted for its smtp-sink and smtp-source tools only: no local mail system.
    postfix
    # The integration tests make throwaway TLS certificates (openssl) and check which process
    # listens on a port (ss, from iproute2).
    openssl iproute2
)

case "$profile" in
demo) packages=("${demo_packages[@]}") ;;
test) packages=("${test_packages[@]}") ;;
*)
    echo "usage: install-deps.sh [demo|test]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "cartwatch ($profile) needs these Debian packages: ${missing[*]}" >&2
    echo "install them with:" >&2
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "installing ${#missing[@]} Debian packages: ${missing[*]}"
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
