#!/usr/bin/env bash
# What ggplace costs before it does anything: the shared objects
# `ggplace --version` loads, and the median wall time of RUNS runs each of
# `ggplace --version`, `ggplace inspect HEADER` and `cat HEADER` (process
# start included in all three).
#
#   bash bench/startup.sh [RUNS] [HEADER]   (needs build/ggplace; GGPLACE=PATH times another binary)
# HEADER defaults to the calibration set's gemma-3-4b header (5.9 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-51}
header=${2:-../shared/calib/models/gemma-3-4b.gguf}
bin=${GGPLACE:-build/ggplace}
[ -f "$header" ] || { echo "no header $header: give one as the second argument" >&2; exit 1; }
. bench/median.sh
libs=$(LD_DEBUG=libs "$bin" --version 2>&1 >/dev/null | grep -c 'calling init:')
linked=$(ldd "$bin" | grep -c '=>\|ld-linux')
echo "$bin --version loads $libs shared objects (ldd lists $linked)"
version_ms=$(median_ms "$bin" --version)
inspect_ms=$(median_ms "$bin" inspect "$header")
cat_ms=$(median_ms cat "$header")
awk -v v="$version_ms" -v i="$inspect_ms" -v c="$cat_ms" -v h="$(basename "$header")" -v b="$(stat -c %s "$header")" -v n="$runs" \
  'BEGIN { printf "median of %d runs: --version %.2f ms, inspect %s (%.1f MB) %.2f ms, cat %.2f ms (inspect/cat %.1fx)\n",
           n, v, h, b / 1e6, i, c, i / c }'
