#!/usr/bin/env bash
# The speed model's raw (uncalibrated) decode prediction against
# llama-bench on this machine's CPU, for the calibration models' sparse
# stand-ins (zero-filled files of the exact shapes): one line a model with
# both figures and the error. Nothing is calibrated: `tune` is not involved,
# and the CPU's bandwidth is measured afresh for each model.
#
#   GGPLACE_LLAMA_DIR=$(bash scripts/build-llama.sh) bash bench/speed_vs_bench.sh [MODEL...]
set -euo pipefail
cd "$(dirname "$0")/.."
llama_dir=${GGPLACE_LLAMA_DIR:?set GGPLACE_LLAMA_DIR to the bin directory that bash scripts/build-llama.sh prints}
calib=../shared/calib/models
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(llama-tiny lfm2-1.2b gemma-3-4b llama-3.1-8b qwen3-8b deepseek-v2-lite qwen3-30b-a3b)
threads=$(build/ggplace devices --json 2>/dev/null | sed -n 's/.*"cores":[[:space:]]*\([0-9]*\).*/\1/p' | head -1)
threads=${threads:-$(nproc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n_gen=32
for name in "${models[@]}"; do
  header=$calib/$name.gguf
  [ -f "$header" ] || { echo "$name: no $header; skipped"; continue; }
  build/ggplace sparse "$header" "$tmp/m.gguf" >/dev/null
  measured=$("$llama_dir/llama-bench" -m "$tmp/m.gguf" -p 0 -n "$n_gen" -r 2 -t "$threads" -o csv 2>/dev/null |
             awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /avg_ts/) c = i } NR == 2 { gsub(/"/, "", $c); print $c }')
  # llama-bench's generation starts from an empty cache: half the tokens
  # generated is the average depth, which -c 2*n_gen/2 per sequence gives.
  # the CPU's bandwidth measured now, beside the run it predicts (the
  # machine may be shared): an empty cache makes detection measure it
  predicted=$(XDG_CACHE_HOME=$tmp/cache build/ggplace mem "$header" -c 256 -np 1 -t "$threads" --app cli --json 2>/dev/null |
              sed -n "s/.*\"decode_tps\":[[:space:]]*\([0-9.]*\).*/\1/p" | head -1)
  awk -v n="$name" -v p="$predicted" -v m="$measured" -v t="$threads" \
    'BEGIN { printf "%-18s predicted %8.1f t/s  llama-bench tg%d %8.1f t/s (%d threads)  error %+6.1f %%\n", n, p, '"$n_gen"', m, t, 100 * (p - m) / m }'
  rm -f "$tmp/m.gguf"
done
