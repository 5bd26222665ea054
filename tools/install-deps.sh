#!/usr/bin/env bash
# Installs the Debian packages PyKV needs to build, test and benchmark, only those missing.
# Uses apt-get (through sudo when not root). Downloads nothing else.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libuv1-dev libspdlog-dev libfmt-dev libcli11-dev libjemalloc-dev zlib1g-dev
  doctest-dev libhiredis-dev
  redis-server redis-tools redis-sentinel
  clang libclang-rt-14-dev
  procps strace util-linux
  wrk nginx curl python3-fastapi python3-uvicorn
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts redis-server as a service on install; the tests run their own.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop redis-server 2>/dev/null || true; fi
