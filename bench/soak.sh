#!/usr/bin/env bash
# What llama-server grows into after load, measured: `ggplace verify --soak`
# drives it until its slots, context checkpoints and prompt cache reach their
# bounds and samples its resident memory (anonymous + the model file's
# resident pages); each line puts the peak beside `mem`'s in-use figure.
# Sparse stand-ins of three kinds, from ../shared/calib's headers: a plain
# llama (llama-tiny), a sliding-window gemma3 (Gemma 3 4B) and a hybrid
# recurrent lfm2 (LFM2 1.2B), at -c 2048, CPU only and with two
# ggml-rpc-server on loopback holding the last layers.
#
#   GGPLACE_LLAMA_DIR=$(bash scripts/build-llama.sh) bash bench/soak.sh [llama|gemma3|lfm2...]
#
# SOAK_ONLY=REGEX runs only the cells whose "MODEL WHERE FLAGS" matches it
# (e.g. 'gemma3 rpc -np 4'); SOAK_SECONDS bounds each cell (default 900).
set -euo pipefail
cd "$(dirname "$0")/.."
llama_dir=${GGPLACE_LLAMA_DIR:?set GGPLACE_LLAMA_DIR to the bin directory that bash scripts/build-llama.sh prints}
tmp=$(mktemp -d)
rpc_pids=()
stop() {
  for p in "${rpc_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${rpc_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap stop EXIT INT TERM

cmake --build build --target ggplace >/dev/null
calib=../shared/calib/models
build/ggplace sparse $calib/llama-tiny.gguf "$tmp/llama.gguf" >/dev/null
build/ggplace sparse $calib/gemma-3-4b.gguf "$tmp/gemma3.gguf" >/dev/null
build/ggplace sparse $calib/lfm2-1.2b.gguf "$tmp/lfm2.gguf" >/dev/null

# two RPC servers on free loopback ports, stopped on every path
ports=()
for i in 0 1; do
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$llama_dir/ggml-rpc-server" -H 127.0.0.1 -p "$port" >"$tmp/rpc$i.log" 2>&1 &
  rpc_pids+=($!)
  ports+=("$port")
done
for port in "${ports[@]}"; do
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.2
  done
done
rpc="127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}"

flag_sets=("--cache-ram 0" "--cache-ram 512" "-np 4 --cache-ram 0" "--ctx-checkpoints 4 --cache-ram 0")
printf '%-7s %-4s %-34s %9s %12s %12s %9s\n' model on flags requests "peak MiB" "in use MiB" error
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(llama gemma3 lfm2)
for model in "${models[@]}"; do
  for where in cpu rpc; do
    for f in "${flag_sets[@]}"; do
      [[ "$model $where $f" =~ ${SOAK_ONLY:-.} ]] || continue
      extra=()
      [ "$where" = rpc ] && extra=(--rpc "$rpc" -ngl 5)
      # shellcheck disable=SC2086
      out=$(build/ggplace verify "$tmp/$model.gguf" -c 2048 $f "${extra[@]}" --soak 200 --soak-seconds "${SOAK_SECONDS:-900}" \
              --llama-dir "$llama_dir" --json 2>"$tmp/err") || { echo "$model $where $f: failed"; cat "$tmp/err"; continue; }
      printf '%s' "$out" | python3 -c '
import json, sys
s = json.load(sys.stdin)["soak"]
peak, want = s["peak"] / 2**20, s["predicted_in_use"] / 2**20
print("%-7s %-4s %-34s %9d %12.2f %12.2f %+8.1f%%" % (sys.argv[1], sys.argv[2], sys.argv[3], s["requests"], peak, want,
      100 * (peak - want) / want))' "$model" "$where" "$f"
    done
  done
done
