#!/usr/bin/env bash
# How long `ggplace plan` takes on a DeepSeek-V3-shaped header against
# reading the same header with cat, process start included in both: the
# median of RUNS wall times each, and their ratio, for 2 and 4 GPUs.
#
#   bash bench/plan_vs_cat.sh [RUNS]      (needs build/ggplace)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-21}
model=examples/deepseek-v3-671b.gguf
. bench/median.sh
cat_ms=$(median_ms cat "$model")
for gpus in 2 4; do
  plan_ms=$(median_ms build/ggplace plan "$model" --gpu "${gpus}x24GiB" --ram 512GiB --no-detect)
  awk -v g="$gpus" -v p="$plan_ms" -v c="$cat_ms" \
    'BEGIN { printf "plan on %d x 24 GiB: %.2f ms, cat: %.2f ms, ratio %.1fx\n", g, p, c, p / c }'
done
