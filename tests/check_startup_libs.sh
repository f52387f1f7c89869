#!/usr/bin/env bash
# Local work loads no network library: neither ggplace nor libggplace links
# libcurl, `ggplace inspect --json` of a local header loads none (LD_DEBUG),
# and without libcurl a local header still works while a URL fails with
# one line. Where libcurl.so.4 is installed, reading a URL does load it.
#   check_startup_libs.sh GGPLACE LIBGGPLACE_SO HEADER.gguf
set -uo pipefail
bin=$1 lib=$2 header=$3
net='libcurl|libssl|libgssapi|libkrb5|libldap|liblber|libnghttp|libssh|librtmp|libpsl|libidn2'
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "$bin" "$lib"; do
  linked=$(ldd "$f" | grep -E "$net" | awk '{printf "%s ", $1}' || true)
  [ -z "$linked" ] && ok || bad "$(basename "$f") links a network library: $linked"
done

LD_DEBUG=libs "$bin" inspect --json "$header" >"$tmp/out" 2>"$tmp/trace"
rc=$?
[ "$rc" -eq 0 ] && ok || bad "inspect --json $header exited $rc"
loaded=$(grep -oE 'calling init: [^ ]+' "$tmp/trace" | grep -E "$net" | awk '{printf "%s ", $3}' || true)
[ -z "$loaded" ] && ok || bad "inspect --json of a local header loaded: $loaded"
n=$(grep -c 'calling init:' "$tmp/trace")
echo "inspect --json of a local header: $n shared objects initialized"

GGPLACE_CURL_LIB=off "$bin" inspect --json "$header" >"$tmp/off" 2>&1 && cmp -s "$tmp/out" "$tmp/off" && ok ||
  bad "inspect --json of a local header differs without libcurl"
GGPLACE_CURL_LIB=off "$bin" inspect http://127.0.0.1:9/model.gguf >/dev/null 2>"$tmp/err"
rc=$?
lines=$(wc -l <"$tmp/err")
[ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -q 'needs libcurl (libcurl4) to read URLs' "$tmp/err" && ok ||
  bad "a URL without libcurl: exit $rc, $lines line(s): $(cat "$tmp/err")"

if ldconfig -p 2>/dev/null | grep -q 'libcurl\.so\.4 '; then
  # A closed port: the request fails, but only after libcurl was loaded.
  LD_DEBUG=libs "$bin" inspect http://127.0.0.1:9/model.gguf >/dev/null 2>"$tmp/trace"
  grep -qE 'calling init: [^ ]*libcurl\.so' "$tmp/trace" && ok || bad "reading a URL did not load libcurl"
  grep -q 'cannot connect' "$tmp/trace" && ok || bad "reading a URL on a closed port: $(grep ggplace: "$tmp/trace")"
else
  echo "libcurl.so.4 is not installed: its loading is not checked"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
