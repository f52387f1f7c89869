#!/usr/bin/env bash
# Runs the browser test of the HTML report, or skips it (exit 77) with the
# reason when node, playwright-core or chromium is missing.
#   run.sh GGPLACE_BINARY SOURCE_DIR OUT_DIR
# playwright-core is looked for under $GGPLACE_NPM_PREFIX (default
# ~/.cache/ggplace/npm, where .ci/run installs it), chromium at
# $GGPLACE_CHROMIUM (default /usr/bin/chromium).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${GGPLACE_NPM_PREFIX:-$HOME/.cache/ggplace/npm}
chromium=${GGPLACE_CHROMIUM:-/usr/bin/chromium}
skip() { echo "SKIP: $*"; exit 77; }
command -v node >/dev/null || skip "node is not installed (apt-get install nodejs)"
[ -x "$chromium" ] || skip "no chromium at $chromium (apt-get install chromium)"
pw=$prefix/node_modules/playwright-core
[ -f "$pw/package.json" ] ||
  skip "playwright-core not found in $prefix (npm install --no-save --prefix \"$prefix\" playwright-core)"
export GGPLACE_PLAYWRIGHT=$pw GGPLACE_CHROMIUM=$chromium
exec node "$here/report_test.mjs" "$@"
