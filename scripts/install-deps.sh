#!/usr/bin/env bash
# Installs the Debian packages ggplace builds and tests with.
set -euo pipefail
packages=(
  build-essential cmake pkg-config clang
  libcjson-dev libcmocka-dev libyaml-dev libpcre2-dev libcurl4-openssl-dev libhwloc-dev
  libvulkan-dev libvulkan1 mesa-vulkan-drivers
)
run() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
run apt-get update -qq
run apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "ggplace dependencies installed"
