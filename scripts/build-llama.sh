#!/usr/bin/env bash
# Builds the llama.cpp that ggplace is measured against (v0.5.0, the copy
# shipped inside the npm package node-llama-cpp@3.22.1), CPU only with RPC,
# once, in a cache outside the repository. Prints the directory holding
# llama-server, llama-bench, llama-cli and ggml-rpc-server; point
# GGPLACE_LLAMA_DIR at it to run the tests that need a real llama.cpp.
set -euo pipefail
cache=${GGPLACE_LLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ggplace/llama.cpp-v0.5.0}
bin=$cache/build/bin
targets=(llama-server ggml-rpc-server llama-bench llama-cli)

have_all() {
  for t in "${targets[@]}"; do [ -x "$bin/$t" ] || return 1; done
}
if have_all; then
  echo "$bin"
  exit 0
fi
command -v npm >/dev/null || { echo "build-llama: npm is needed to fetch llama.cpp" >&2; exit 1; }
mkdir -p "$cache"
cd "$cache"
if [ ! -d src/.git ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent node-llama-cpp@3.22.1 >/dev/null &&
     tar xzf node-llama-cpp-3.22.1.tgz package/llama/gitRelease.bundle)
  git clone -q "$tmp/package/llama/gitRelease.bundle" src
  rm -rf "$tmp"
fi
cmake -S src -B build -DCMAKE_BUILD_TYPE=Release -DGGML_RPC=ON -DLLAMA_BUILD_TESTS=OFF >&2
cmake --build build -j"$(nproc)" --target "${targets[@]}" >&2
have_all || { echo "build-llama: the build did not produce every tool" >&2; exit 1; }
echo "$bin"
