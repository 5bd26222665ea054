#!/usr/bin/env bash
# Installs the Debian packages PyKV needs to build, test and benchmark, only those missing,
# and the npm packages of the browser test.
# Uses apt-get (through sudo when not root) and npm; downloads nothing else.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libuv1-dev libspdlog-dev libfmt-dev libcli11-dev libjemalloc-dev zlib1g-dev
  doctest-dev libhiredis-dev
  redis-server redis-tools redis-sentinel nutcracker
  clang libclang-rt-14-dev
  procps strace util-linux
  chromium
  wrk nginx curl python3-fastapi python3-uvicorn
  libhttp-parser-dev rapidjson-dev prometheus
  libcurl4-openssl-dev libedit-dev
)
# Node.js and npm drive the browser test (tests/e2e). NodeSource's nodejs package bundles npm
# and conflicts with Debian's npm package, so each is asked for only when its command is missing.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Debian starts redis-server (and enables nutcracker) as a service on install; the tests
  # run their own.
  if command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl stop redis-server 2>/dev/null || true
    $SUDO systemctl stop nutcracker 2>/dev/null || true
  fi
fi

# The browser test's npm packages (playwright-core only: it drives Debian's chromium and
# downloads no browser), from the npm registry at the versions package-lock.json pins.
e2e_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/e2e"
if [ -f "$e2e_dir/package-lock.json" ] && [ ! -d "$e2e_dir/node_modules" ]; then
  echo "install-deps: npm ci in tests/e2e"
  (cd "$e2e_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
