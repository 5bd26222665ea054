#!/usr/bin/env bash
# Runs the browser end-to-end test against a fresh pykv-server:
#   tests/e2e/run.sh [path/to/pykv-server] [screenshot.png]
# Starts the server on free loopback ports (data in a temporary folder, no AOF), waits at
# most 20 s for its HTTP port, runs gui_e2e.mjs, then stops the server it started.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
server="$(realpath "${1:-$here/../../build/pykv-server}")"
shot="$(realpath -m "${2:-$here/../../build/gui_e2e.png}")"
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "run.sh: tests/e2e/node_modules is missing; run tools/install-deps.sh" >&2
  exit 2
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$work" && exec "$server" --port 0 --port-file "$work/port" --http-port 0 \
  --http-port-file "$work/http-port" --appendonly no >"$work/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 200); do
  [ -s "$work/http-port" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: the server exited:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ ! -s "$work/http-port" ]; then
  echo "run.sh: the server wrote no HTTP port within 20 s" >&2
  exit 1
fi

mkdir -p "$(dirname "$shot")"
status=0
node "$here/gui_e2e.mjs" --base "http://127.0.0.1:$(tr -d '[:space:]' <"$work/http-port")" \
  --screenshot "$shot" || status=$?
exit "$status"
