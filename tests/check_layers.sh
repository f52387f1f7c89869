#!/usr/bin/env bash
# The folders of src/ in pipeline order: a folder includes only itself and
# the folders before it (util/ comes first, so every folder may use it).
# Folders on one line are peers and include none of each other. Each
# src/FOLDER/README.md says the same in words. Also: only source/curl.h
# includes libcurl's header (libcurl is opened at run time, never linked);
# the CLI's files use the public API only.
#   check_layers.sh [REPOSITORY_ROOT]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root/src"

order=(
  "util"
  "gguf"
  "source"
  "model"
  "memory"
  "hw"
  "args"
  "plan"
  "emit swap verify"
  "api"
  "cli"
)
# Includes against the order that are allowed, as "FOLDER TARGET", each
# with its reason.
allowed=(
)

declare -A rank
for i in "${!order[@]}"; do
  for f in ${order[$i]}; do rank[$f]=$i; done
done
declare -A exception used
for a in "${allowed[@]}"; do exception[$a]=1; done
failed=0 checked=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

for dir in */; do
  dir=${dir%/}
  [ -n "${rank[$dir]+x}" ] || fail "src/$dir is not in the order of tests/check_layers.sh"
done

while IFS=: read -r file line text; do
  from=${file%%/*}
  [[ $text =~ \"([^\"]+)\" ]] && target=${BASH_REMATCH[1]}
  to=${target%%/*}
  checked=$((checked + 1))
  [ "$to" = "$from" ] && continue
  if [ -z "${rank[$to]+x}" ]; then
    fail "src/$file:$line includes $target: src/$to is not in the order"
  elif [ "${rank[$to]}" -lt "${rank[$from]}" ]; then
    continue
  elif [ -n "${exception["$from $target"]+x}" ]; then
    used["$from $target"]=1
  else
    fail "src/$file:$line: $from/ includes $target, but $to/ does not come before $from/"
  fi
done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[a-z_]+/' --include='*.c' --include='*.h' .  | sed 's#^\./##')

for a in "${allowed[@]}"; do
  [ -n "${used[$a]+x}" ] || fail "the exception '$a' is not used any more: remove it"
done

while IFS= read -r hit; do
  fail "src/$hit: libcurl's header outside source/curl.h"
done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]+<curl/' --include='*.c' --include='*.h' . |
         sed 's#^\./##' | grep -v '^source/curl\.h:' || true)

# The CLI is a client of the public API like any other program: every
# .c and .h file of cli/ includes ggplace.h, cli/ and util/ headers only.
cli_files=0
while IFS= read -r file; do
  cli_files=$((cli_files + 1))
  while IFS=: read -r line text; do
    [[ $text =~ \"([^\"]+)\" ]] && target=${BASH_REMATCH[1]}
    case $target in
      ggplace.h|cli/*|util/*) ;;
      *) fail "src/$file:$line includes $target: the CLI includes ggplace.h, cli/ and util/ only" ;;
    esac
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' "$file" || true)
done < <(find cli -name '*.[ch]' | sort)

joined=$(printf ' < %s' "${order[@]}")
echo "$checked includes checked against ${joined:3}; ${#allowed[@]} exception(s): ${allowed[*]}"
echo "$cli_files file(s) of the CLI checked to use the public API only"
[ "$failed" -eq 0 ]
