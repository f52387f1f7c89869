#!/usr/bin/env bash
# The referee: llama.cpp itself measures every zoo model, on the CPU and
# with two ggml-rpc-server on loopback as GPUs, and ggplace's memory model
# is compared with it device by device, one line per family.
#
#   GGPLACE_LLAMA_DIR=$(bash scripts/build-llama.sh) bash bench/referee.sh [MODEL...]
#
# With MODEL names (make_zoo --list) only those are measured, and their
# figures go to build/referee instead of the recorded ones.
#
# Needs a built tree in build/ (cmake -B build && cmake --build build). It
# builds ../shared/tools/llama-oracle against that llama.cpp (once), writes
# the zoo's headers to build/zoo, records llama.cpp's figures in
# bench/referee/ (the files the offline suite checks: regenerate them with
# this script, never by hand) and exits non-zero when a family misses the
# exact families' targets. The oracle's answers are cached by header, grid
# and llama.cpp version, so a rerun measures only what changed. Families
# marked checked in src/model/arch.c are held exact (tier 1); the others'
# figures are an upper bound, held never under and within 30 % over on 95 %
# of their rows (tier 2).
set -euo pipefail
cd "$(dirname "$0")/.."
llama_dir=${GGPLACE_LLAMA_DIR:?set GGPLACE_LLAMA_DIR to the bin directory that bash scripts/build-llama.sh prints}
llama_root=$(cd "$llama_dir/../.." && pwd)
llama_src=$llama_root/src
[ -f "$llama_src/include/llama.h" ] || { echo "referee: no llama.cpp source at $llama_src" >&2; exit 1; }
oracle_src=../shared/tools/llama-oracle
[ -f "$oracle_src/oracle.cpp" ] || { echo "referee: no $oracle_src beside the repository" >&2; exit 1; }

cache=${XDG_CACHE_HOME:-$HOME/.cache}/ggplace
mkdir -p "$cache"
key=$( (cat "$oracle_src/oracle.cpp"; "$llama_dir/llama-server" --version 2>&1 | grep -m1 version) | sha256sum | cut -c1-16)
oracle=$cache/llama-oracle-$key
if [ ! -x "$oracle" ]; then
  LLSRC=$llama_src LLBIN=$llama_dir OUT=$oracle.tmp sh "$oracle_src/build.sh" >/dev/null
  mv "$oracle.tmp" "$oracle"
fi

cmake --build build --target make_zoo referee accuracy >/dev/null
rm -rf build/zoo
build/tests/make_zoo build/zoo
# The recorded figures are always the whole zoo's: a run naming models
# measures just those, into build/referee, for a quick look.
out=bench/referee
if [ $# -gt 0 ]; then
  out=build/referee
  mkdir -p "$out"
fi
build/bench/referee build/zoo "$out" --oracle "$oracle" --llama-dir "$llama_dir" "$@"
report=$(build/bench/accuracy --tier1 --pending bench/referee/pending.txt --models build/zoo "$out") && rc=0 || rc=$?
printf '%s\n' "$report"
families=$(printf '%s\n' "$report" | sed -n '/^by family/,$p' | grep -c ' rows ' || true)
missed=$(printf '%s\n' "$report" | grep -c 'MISSES' || true)
pending=$(printf '%s\n' "$report" | grep -c '  pending$' || true)
bound=$(printf '%s\n' "$report" | grep -c '  bound (tier 2)$' || true)
echo "referee: $pending pending (bench/referee/pending.txt)"
echo "referee: $((families - missed - pending)) passed ($bound of them as a tier-2 bound), $missed failed"
exit "$rc"
