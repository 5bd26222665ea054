#!/usr/bin/env bash
# bench-replication.sh: what a replica costs its primary, how far behind it runs, and how
# long a full synchronisation takes, for PyKV and Debian's redis-server side by side in one
# run, reported as a markdown table with the ratios:
#   SET -P 1 / -P PIPELINE   primary throughput with one replica attached over the same
#                            figure with none (redis-benchmark -t set -c CONNECTIONS); goal:
#                            PyKV's ratio >= 0.9, Redis's beside it; with the primary's
#                            CPU per request, also at equal load (-P PIPELINE alone while a
#                            busy loop slows the load generator as a replica does)
#   lag                      while the -P PIPELINE load runs with the replica attached: the
#                            replica's offset behind the primary's (bytes, sampled every
#                            100 ms) and the time a marker SET takes to be readable on the
#                            replica (ms, every 250 ms); median and max
#   full sync                seconds from REPLICAOF to master_link_status:up for a fresh
#                            replica of a primary holding SYNC_KEYS keys; goal: PyKV <= 0.5
#                            x Redis's fastest (Redis is run with repl-diskless-sync yes and
#                            delay 0, and with repl-diskless-sync no; the faster one counts)
# The failover time (kill -9 of the primary to the first write accepted by the promoted
# replica, with three redis-sentinels) is measured by the sentinel scenario test
# (tests/integration/sentinel_it.cc), which runs it for both servers and prints both.
# It is a report: it exits 0 when a goal is missed and non-zero only when something failed
# to run.
#
# Set-up: every server binds 127.0.0.1 on a random free port with persistence off; with 2+
# CPUs the primaries are pinned to one CPU and the replicas and load generators to another
# (tools/bench-common.sh), so a replica competes with the load generator, not the primary.
#
# Environment (all optional):
#   PYKV_SERVER      (default: <repo>/build/pykv-server)
#   REDIS_SERVER     (default: /usr/bin/redis-server)
#   ROUNDS           rounds of the throughput rows (default 3; QUICK: 1)
#   REQUESTS         -n of the -P 1 runs (default 200000; QUICK: 50000); the -P PIPELINE
#                    runs use 20 x that
#   PIPELINE         (default 32)
#   CONNECTIONS      (default 50)
#   SYNC_KEYS        keys in the full-sync row (default 1000000; QUICK: 200000)
#   QUICK=1          smoke run
#   BENCH_KEEP=1     keep the work directory (logs, tool output)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }
while (($# > 0)); do
  case $1 in
    --quick) QUICK=1 ;;
    --keep) BENCH_KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench-replication: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  ROUNDS=${ROUNDS:-1} REQUESTS=${REQUESTS:-50000} SYNC_KEYS=${SYNC_KEYS:-200000}
fi
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
PIPELINE=${PIPELINE:-32}
CONNECTIONS=${CONNECTIONS:-50}
SYNC_KEYS=${SYNC_KEYS:-1000000}
PYKV_SERVER=${PYKV_SERVER:-$ROOT/build/pykv-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
BENCH_KEEP=${BENCH_KEEP:-0}
PROBE="$ROOT/tools/bench/repl_probe.py"
RUN_TIMEOUT=600

log() { printf 'bench-replication: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
for v in ROUNDS REQUESTS PIPELINE CONNECTIONS SYNC_KEYS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for t in redis-benchmark redis-cli python3 timeout awk; do
  command -v "$t" >/dev/null 2>&1 || die "'$t' not found (tools/install-deps.sh installs it)"
done
[[ -x $PYKV_SERVER ]] || die "no pykv-server at $PYKV_SERVER (make build)"
[[ -x $REDIS_SERVER ]] || die "no redis-server at $REDIS_SERVER"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pykv-bench-repl.XXXXXX")
declare -A PID=() PORT=() RES=()
declare -a FAILURES=() NOTES=()
FAILED=0
BENCH_CLIENTS="the replicas and load generators"
# shellcheck source=tools/bench-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"


# start NAME KIND(pykv|redis) ROLE(primary|replica) [extra args]: a server, pinned by role.
start() {
  local name=$1 kind=$2 role=$3 port i
  shift 3
  port=$(free_port)
  mkdir -p "$WORK/$name"
  local -a pin=("${SERVER_PIN[@]}")
  [[ $role == replica ]] && pin=("${CLIENT_PIN[@]}")
  if [[ $kind == pykv ]]; then
    "${pin[@]}" "$PYKV_SERVER" --port "$port" --bind 127.0.0.1 --appendonly no --save '' \
      --dir "$WORK/$name" --logfile "$WORK/$name/server.log" "$@" >"$WORK/$name.out" 2>&1 &
  else
    "${pin[@]}" "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --appendonly no --save '' \
      --dir "$WORK/$name" --logfile "$WORK/$name/server.log" --daemonize no "$@" \
      >"$WORK/$name.out" 2>&1 &
  fi
  PID[$name]=$!
  PORT[$name]=$port
  for ((i = 0; i < 100; i++)); do
    proc_alive "${PID[$name]}" || die "$name did not start: $(tail -n 3 "$WORK/$name/server.log")"
    port_in_use "$port" && return 0
    sleep 0.1
  done
  die "$name did not listen on $port"
}
stop() { stop_pid "${PID[$1]}"; PID[$1]=""; }

cli() { timeout 30 redis-cli -p "$1" "${@:2}"; }
link_up() { cli "$1" info replication | tr -d '\r' | grep -q '^master_link_status:up$'; }
wait_link() {
  local i
  for ((i = 0; i < 6000; i++)); do link_up "$1" && return 0; sleep 0.05; done
  return 1
}

cpu_ticks() { awk '{ sub(/^.*\) /, ""); split($0, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }

# set_rps PORT P N OUT PID: redis-benchmark SET req/s (empty on failure); the server's CPU
# per request (user+system, us) goes to OUT.us.
set_rps() {
  local before after
  before=$(cpu_ticks "$5")
  timeout -k 5 "$RUN_TIMEOUT" "${CLIENT_PIN[@]}" redis-benchmark -p "$1" -c "$CONNECTIONS" \
    -n "$3" -t set -P "$2" -q >"$4" 2>"$4.err" || { fail "redis-benchmark -p $1 -P $2: $(tail -c 200 "$4.err")"; return 0; }
  after=$(cpu_ticks "$5")
  awk -v a="$after" -v b="$before" -v n="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", (a - b) * 1e6 / hz / n }' >"$4.us"
  tr '\r' '\n' <"$4" | awk '/^SET: / { print $2 }' | tail -n 1
}

NP=$((REQUESTS * 20))
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for kind in pykv redis; do
  for ((round = 1; round <= ROUNDS; round++)); do
    start "$kind-p" "$kind" primary
    start "$kind-r" "$kind" replica
    p=${PORT[$kind-p]} r=${PORT[$kind-r]}
    pp=${PID[$kind-p]}
    RES[$kind:$round:p1:alone]=$(set_rps "$p" 1 "$REQUESTS" "$WORK/$kind.$round.p1.alone" "$pp")
    RES[$kind:$round:pN:alone]=$(set_rps "$p" "$PIPELINE" "$NP" "$WORK/$kind.$round.pN.alone" "$pp")
    # The same load slowed down as a replica slows it, by a busy loop sharing the load
    # generator's CPU (niced to take about the share a replica takes): the primary's CPU
    # per request at about the rate it serves with a replica attached, so the replica's
    # own cost is what the two figures differ by.
    "${CLIENT_PIN[@]}" nice -n 5 sh -c 'while :; do :; done' &
    busy=$!
    RES[$kind:$round:pN:busy]=$(set_rps "$p" "$PIPELINE" "$NP" "$WORK/$kind.$round.pN.busy" "$pp")
    kill "$busy"
    wait "$busy" 2>/dev/null || true
    cli "$r" replicaof 127.0.0.1 "$p" >/dev/null
    wait_link "$r" || fail "$kind round $round: the replica did not come up"
    RES[$kind:$round:p1:repl]=$(set_rps "$p" 1 "$REQUESTS" "$WORK/$kind.$round.p1.repl" "$pp")
    # The lag probe runs beside the pipelined load (it is a load generator of its own).
    "${CLIENT_PIN[@]}" python3 "$PROBE" lag "$p" "$r" 3 >"$WORK/$kind.$round.lag" 2>&1 &
    probe=$!
    RES[$kind:$round:pN:repl]=$(set_rps "$p" "$PIPELINE" "$NP" "$WORK/$kind.$round.pN.repl" "$pp")
    for p_ in p1 pN; do
      for m in alone busy repl; do
        RES[$kind:$round:$p_:us$m]=$(cat "$WORK/$kind.$round.$p_.$m.us" 2>/dev/null || true)
      done
    done
    wait "$probe" || fail "$kind round $round: lag probe: $(tail -c 200 "$WORK/$kind.$round.lag")"
    for f in bytes_median bytes_max ms_median ms_max; do
      RES[$kind:$round:lag:$f]=$(python3 -c "import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print('' if v is None else v)" "$WORK/$kind.$round.lag" "$f" 2>/dev/null || true)
    done
    log "$kind round $round: SET -P 1 ${RES[$kind:$round:p1:alone]} -> ${RES[$kind:$round:p1:repl]}; -P $PIPELINE ${RES[$kind:$round:pN:alone]} -> ${RES[$kind:$round:pN:repl]}; lag $(cat "$WORK/$kind.$round.lag")"
    stop "$kind-r"
    stop "$kind-p"
  done
done

# Full synchronisation of SYNC_KEYS keys: PyKV, then Redis diskless (delay 0) and to disk.
full_sync() {  # full_sync LABEL KIND [primary args]
  local label=$1 kind=$2 out=$WORK/sync.$1
  shift 2
  start "$label-p" "$kind" primary "$@"
  start "$label-r" "$kind" replica
  timeout "$RUN_TIMEOUT" python3 "$PROBE" fill "${PORT[$label-p]}" "$SYNC_KEYS" >"$out.fill" || fail "$label: fill failed"
  timeout "$RUN_TIMEOUT" python3 "$PROBE" synctime "${PORT[$label-p]}" "${PORT[$label-r]}" >"$out" 2>&1 || fail "$label: sync failed: $(tail -c 200 "$out")"
  RES[sync:$label]=$(python3 -c "import json,sys; print('%.3f' % json.load(open(sys.argv[1]))['seconds'])" "$out" 2>/dev/null || true)
  RES[syncdb:$label]=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['dbsize'])" "$out" 2>/dev/null || true)
  log "full sync $label: ${RES[sync:$label]} s, replica DBSIZE ${RES[syncdb:$label]}"
  [[ ${RES[syncdb:$label]} == "$SYNC_KEYS" ]] || fail "$label: the replica holds ${RES[syncdb:$label]} keys, not $SYNC_KEYS"
  stop "$label-r"
  stop "$label-p"
}
full_sync pykv pykv
full_sync redis-diskless redis --repl-diskless-sync yes --repl-diskless-sync-delay 0
full_sync redis-disk redis --repl-diskless-sync no

# ---------------------------------------------------------------------------------------
median() { sort -g | awk 'NF { v[++n] = $1 } END { if (n == 0) exit; m = int((n + 1) / 2); if (n % 2) printf "%.6f\n", v[m]; else printf "%.6f\n", (v[m] + v[m + 1]) / 2 }'; }
med() {  # med KIND KEY DECIMALS
  local r v=()
  for ((r = 1; r <= ROUNDS; r++)); do [[ -n ${RES[$1:$r:$2]:-} ]] && v+=("${RES[$1:$r:$2]}"); done
  r=$(printf '%s\n' "${v[@]}" | median)
  if [[ -n $r ]]; then printf '%.*f' "$3" "$r"; else echo ERR; fi
}
ratio() {  # ratio KIND P [us [BASE]]: median over rounds of repl/BASE (alone; req/s, or CPU us/req)
  local r v=() a b
  for ((r = 1; r <= ROUNDS; r++)); do
    a=${RES[$1:$r:$2:${3:-}repl]:-} b=${RES[$1:$r:$2:${3:-}${4:-alone}]:-}
    [[ -n $a && -n $b ]] && v+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.6f", a / b }')")
  done
  r=$(printf '%s\n' "${v[@]}" | median)
  if [[ -n $r ]]; then printf '%.2f' "$r"; else echo -; fi
}
verdict() { [[ $1 == - || $1 == ERR ]] && { echo ERR; return; }; awk -v x="$1" -v g="$2" -v lt="${3:-}" 'BEGIN { ok = lt ? x <= g : x >= g; print ok ? "PASS" : "MISS" }'; }

echo
echo "## Replication: PyKV vs Redis — $(date -u '+%Y-%m-%d %H:%M:%SZ'), $(uname -r)"
echo
echo "$("$REDIS_SERVER" --version | awk '{ print $1, $2, $3 }'); rounds: $ROUNDS; redis-benchmark -t set -c $CONNECTIONS, -n $REQUESTS at -P 1 and $NP at -P $PIPELINE"
echo "load average (1/5/15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg) ($NCPU CPUs)"
for line in "${NOTES[@]}"; do echo "note: $line"; done
echo
echo "| row | PyKV alone | PyKV with replica | PyKV ratio | Redis alone | Redis with replica | Redis ratio | goal | result |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
for p in p1 pN; do
  label="SET -P 1"; [[ $p == pN ]] && label="SET -P $PIPELINE"
  pr=$(ratio pykv $p)
  printf '| %s req/s | %s | %s | %s | %s | %s | %s | PyKV >= 0.90 | %s |\n' "$label" \
    "$(med pykv $p:alone 0)" "$(med pykv $p:repl 0)" "$pr" "$(med redis $p:alone 0)" \
    "$(med redis $p:repl 0)" "$(ratio redis $p)" "$(verdict "$pr" 0.9)"
  printf '| %s primary CPU us/req | %s | %s | %s | %s | %s | %s | - | INFO |\n' "$label" \
    "$(med pykv $p:usalone 3)" "$(med pykv $p:usrepl 3)" "$(ratio pykv $p us)" \
    "$(med redis $p:usalone 3)" "$(med redis $p:usrepl 3)" "$(ratio redis $p us)"
done
printf '| SET -P %s primary CPU us/req, equal load: alone beside a busy loop (%s, %s req/s) vs with replica | %s | %s | %s | %s | %s | %s | - | INFO |\n' \
  "$PIPELINE" "PyKV $(med pykv pN:busy 0)" "Redis $(med redis pN:busy 0)" \
  "$(med pykv pN:usbusy 3)" "$(med pykv pN:usrepl 3)" "$(ratio pykv pN us busy)" \
  "$(med redis pN:usbusy 3)" "$(med redis pN:usrepl 3)" "$(ratio redis pN us busy)"
echo
echo "With 2 CPUs the replica shares the load generator's CPU, so req/s with a replica also"
echo "measures the load generator slowed down, and a primary that is no longer saturated"
echo "serves smaller batches, at more CPU per request. The equal-load row takes that out:"
echo "there the primary alone serves a load generator slowed by a busy loop on its CPU, and"
echo "the ratio is what the replica itself costs the primary per request."
echo
echo "| replica lag during SET -P $PIPELINE | PyKV | Redis |"
echo "| --- | ---: | ---: |"
for f in bytes_median bytes_max ms_median ms_max; do
  printf '| %s | %s | %s |\n' "$f" "$(med pykv lag:$f 1)" "$(med redis lag:$f 1)"
done
fast=${RES[sync:redis-diskless]:-}
if [[ -n ${RES[sync:redis-disk]:-} ]] && { [[ -z $fast ]] || awk -v a="${RES[sync:redis-disk]}" -v b="$fast" 'BEGIN { exit !(a < b) }'; }; then fast=${RES[sync:redis-disk]}; fi
sr=-
[[ -n ${RES[sync:pykv]:-} && -n $fast ]] && sr=$(awk -v a="${RES[sync:pykv]}" -v b="$fast" 'BEGIN { printf "%.2f", a / b }')
echo
echo "| full sync of $SYNC_KEYS keys | PyKV s | Redis diskless s | Redis disk s | PyKV / Redis's faster | goal | result |"
echo "| --- | ---: | ---: | ---: | ---: | --- | --- |"
printf '| REPLICAOF to link up | %s | %s | %s | %s | <= 0.50 | %s |\n' "${RES[sync:pykv]:-ERR}" \
  "${RES[sync:redis-diskless]:-ERR}" "${RES[sync:redis-disk]:-ERR}" "$sr" "$(verdict "$sr" 0.5 lt)"
if ((${#FAILURES[@]})); then
  echo
  echo "FAILURES (something did not run; exit status 1):"
  for line in "${FAILURES[@]}"; do echo "  - $line"; done
fi
exit "$FAILED"
