#!/usr/bin/env bash
# Installs a built tree into a scratch prefix, builds examples/plan.c against
# the installed ggplace.pc (shared, then static as Libs.private and
# Requires.private say), runs both on an example model and checks they plan
# what `ggplace plan --args` plans for the same machine. Skips (77) without
# pkg-config or a C compiler.
#   example_pkgconfig.sh BUILD_DIR SOURCE_DIR [CC [EXTRA_CFLAGS]]
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
cc=${3:-cc}
extra=${4:-}
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config is not installed"; exit 77; }
command -v "$cc" >/dev/null || { echo "SKIP: no C compiler ($cc)"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; echo "FAIL: cmake --install"; exit 1; }
pc=$(find "$prefix" -name ggplace.pc -path '*/pkgconfig/*' | head -n1)
[ -n "$pc" ] || { echo "FAIL: no ggplace.pc under $prefix"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
pkgconf() { pkg-config "$@" ggplace; }

# The .pc points into the prefix it was installed to, not where the build was configured for.
[ "$(realpath "$(pkgconf --variable=prefix)")" = "$(realpath "$prefix")" ] && ok ||
  bad "prefix is $(pkgconf --variable=prefix), not $prefix"
libdir=$(realpath "$(pkgconf --variable=libdir)")
[ -f "$(pkgconf --variable=includedir)/ggplace.h" ] && ok || bad "no ggplace.h in the .pc's includedir"
[ -e "$libdir/libggplace.so" ] && [ -f "$libdir/libggplace.a" ] && ok || bad "libggplace.so and .a are not in $libdir"

# The example is a client of the library alone: its only header of ggplace's is ggplace.h.
includes=$(grep -E '^[[:space:]]*#[[:space:]]*include' "$src/examples/plan.c" | tr -d ' ' | sort | tr '\n' ' ')
[ "$includes" = "#include<ggplace.h> #include<stdio.h> " ] && ok || bad "examples/plan.c includes $includes"

# shellcheck disable=SC2086
build_example() { # OUT LIBS...
  local out=$1
  shift
  "$cc" -std=c11 -Wall -Wextra -Werror $extra "$src/examples/plan.c" -o "$out" $(pkgconf --cflags) "$@" \
    >"$work/cc.log" 2>&1 || { cat "$work/cc.log"; return 1; }
}
# Shared, as a plain `cc $(pkg-config --cflags --libs ggplace)` links it.
# shellcheck disable=SC2046
build_example "$work/plan-shared" $(pkgconf --libs) && ok || bad "the example does not build against libggplace.so"
# Static: the archive with what the .pc says it needs, the libraries of
# Requires.private (shared, as installed) and Libs.private. Not `pkg-config
# --static`, which asks for a fully static link: Debian's hwloc.pc then
# names -ludev, which libhwloc-dev does not install.
# shellcheck disable=SC2046
static_libs="$libdir/libggplace.a $(pkg-config --libs $(pkgconf --print-requires-private | awk '{print $1}')) \
  $(sed -n 's/^Libs.private://p' "$pc")"
# shellcheck disable=SC2086
build_example "$work/plan-static" $static_libs && ok || bad "the example does not build against libggplace.a"

model=$src/examples/llama-3.1-8b.gguf
ggplace=$prefix/bin/ggplace
for kind in shared static; do
  exe=$work/plan-$kind
  [ -x "$exe" ] || continue
  # (Read whole: grep -q leaving a pipe early fails it under pipefail.)
  deps=$(LD_LIBRARY_PATH=$libdir ldd "$exe")
  if [ "$kind" = shared ]; then
    grep -q "$libdir/libggplace.so" <<<"$deps" && ok || bad "plan-shared does not load the installed libggplace.so"
  elif grep -q libggplace <<<"$deps"; then
    bad "plan-static loads a libggplace"
  else
    ok
  fi
  for flags in "" "-c 8192 -ctk q8_0 -ctv q8_0"; do
    # shellcheck disable=SC2086
    if ! out=$(LD_LIBRARY_PATH=$libdir "$exe" "$model" $flags 2>"$work/err"); then
      cat "$work/err"
      bad "$kind: plan $model $flags failed"
      continue
    fi
    # shellcheck disable=SC2086
    want=$("$ggplace" plan "$model" --no-detect --gpu 24GiB --ram 64GiB $flags --args)
    got=$(sed -n 's/^args     //p' <<<"$out")
    [ -n "$want" ] && [ "$got" = "$want" ] && ok || bad "$kind $flags: args '$got', ggplace plan --args '$want'"
    grep -qE '^decode   [0-9]+\.[0-9] t/s predicted' <<<"$out" && ok || bad "$kind $flags: no decode speed"
    grep -qE '^CPU +[0-9.]+ GiB' <<<"$out" && grep -qE '^CUDA0 +[0-9.]+ GiB' <<<"$out" && ok ||
      bad "$kind $flags: no memory for CPU and CUDA0"
    [ "$kind$flags" = shared ] && printf '%s\n' "$out"
  done
  # A model that fits nowhere: exit 1 and one line saying so.
  rc=0
  LD_LIBRARY_PATH=$libdir "$exe" "$src/examples/deepseek-v3-671b.gguf" >/dev/null 2>"$work/err" || rc=$?
  [ "$rc" = 1 ] && grep -q "does not fit" "$work/err" && ok || bad "$kind: deepseek-v3 exited $rc: $(cat "$work/err")"
  # An unknown flag is a usage error.
  rc=0
  LD_LIBRARY_PATH=$libdir "$exe" "$model" --no-such-flag >/dev/null 2>"$work/err" || rc=$?
  [ "$rc" = 2 ] && grep -q "no-such-flag" "$work/err" && ok || bad "$kind: --no-such-flag exited $rc: $(cat "$work/err")"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
