#!/usr/bin/env bash
# cartwatchd's rendering alone: RenderReminder of bench/daemon.sh's messages (a guest's first
# reminder, two cart lines, pl/de/fr/en in turn) MESSAGES times per round, the median round's
# microseconds per message, and the ratio to copying the same bytes, measured in the same run.
#
#   bench/render.sh [MESSAGES] [ROUNDS]          (needs the CMake build in build/, or
#                                                 CARTWATCH_BUILD_DIR)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench=${CARTWATCH_BUILD_DIR:-$root/build}/bench/cartwatch_render_bench
exec "$bench" "$root/mail_templates" "${1:-20000}" "${2:-7}"
