#!/usr/bin/env bash
# bench-cli.sh: checks that pykv-cli bench is never the bottleneck, by running it side by
# side with the reference load generators against the same servers, and prints a markdown
# table with the ratios:
#   RESP  pykv-cli bench vs redis-benchmark against Debian's redis-server, same parameters
#         (-c CONNECTIONS -n REQUESTS -t set,get -d 3), at -P 1 and at -P PIPELINE
#   HTTP  pykv-cli bench --http vs wrk -t1 against pykv-server's /kv API (GET of one
#         existing key, -c CONNECTIONS, DURATION seconds each)
#   INFO  pykv-cli bench --threads 2 at -P 1 and -P PIPELINE (gains only when the server
#         has a CPU of headroom: with 2 CPUs the client's two threads share one)
# It is a report: it exits 0 when a goal is missed and non-zero only when something failed
# to run (a server did not start or died, a run errored, timed out or gave no figure).
#
# Figures, per row:
#   req/s          as each tool reports it (redis-benchmark -q: per test; SET and GET are
#                  averaged; wrk: Requests/sec; pykv-cli: --csv ops_per_sec)  higher is better
#   client us/req  user+sys CPU time of the load generator / requests        lower is better
#   busy           that CPU time / wall time (near 100%: the client is the limit)
# Goals: pykv-cli req/s >= redis-benchmark's (ratio >= 1.0) at -P 1 and -P PIPELINE, and its
# CPU per request below redis-benchmark's; --http req/s >= 0.8 x wrk's. Values are
# medians over the rounds; a ratio is the median of the rounds' ratios. The order of the
# two tools alternates from round to round.
#
# Set-up: servers bind 127.0.0.1 on random free ports, persistence off (redis-server
# --save '' --appendonly no; pykv-server --appendonly no --save ''); with 2+ CPUs servers are
# pinned to one CPU and the load generators to another (taskset, tools/bench-common.sh).
#
# Environment (all optional):
#   PYKV_SERVER, PYKV_CLI   binaries            (default: <repo>/build/pykv-server, pykv-cli)
#   REDIS_SERVER            (default: /usr/bin/redis-server)
#   REDIS_BENCHMARK, WRK    (default: from PATH)
#   ROUNDS                  rounds (default 3; QUICK: 1)
#   REQUESTS                -n per RESP run (default 200000; QUICK: 50000)
#   PIPELINE_MULT           -P PIPELINE runs use REQUESTS x this (default 20), so they last
#                           long enough to measure (about a second per test)
#   PIPELINE                the pipelined rows' -P (default 32)
#   CONNECTIONS             -c (default 50)
#   DURATION                seconds per HTTP run (default 10; QUICK: 2)
#   QUICK=1                 smoke run with the smaller defaults above
#   SERVER_CPU, CLIENT_CPU  CPUs to pin to (default: the first two allowed CPUs)
#   BENCH_KEEP=1            keep the work directory (server logs, every tool's output)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }
while (($# > 0)); do
  case $1 in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS=${2:?--rounds needs a value}; shift ;;
    --keep) BENCH_KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench-cli: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  ROUNDS=${ROUNDS:-1} REQUESTS=${REQUESTS:-50000} DURATION=${DURATION:-2}
fi
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
PIPELINE=${PIPELINE:-32}
PIPELINE_MULT=${PIPELINE_MULT:-20}
CONNECTIONS=${CONNECTIONS:-50}
DURATION=${DURATION:-10}
PYKV_SERVER=${PYKV_SERVER:-$ROOT/build/pykv-server}
PYKV_CLI=${PYKV_CLI:-$ROOT/build/pykv-cli}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-redis-benchmark}
WRK=${WRK:-wrk}
BENCH_KEEP=${BENCH_KEEP:-0}
RESP_GOAL=1.0 HTTP_GOAL=0.8
RUN_TIMEOUT=300

log() { printf 'bench-cli: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for v in ROUNDS REQUESTS PIPELINE PIPELINE_MULT CONNECTIONS DURATION; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for t in "$REDIS_BENCHMARK" "$WRK" curl timeout awk; do
  command -v "$t" >/dev/null 2>&1 || die "'$t' not found (tools/install-deps.sh installs redis-tools, wrk, curl)"
done
[[ -x $PYKV_SERVER ]] || die "no pykv-server at $PYKV_SERVER (make build)"
[[ -x $PYKV_CLI ]] || die "no pykv-cli at $PYKV_CLI (make build)"
[[ -x $REDIS_SERVER ]] || die "no redis-server at $REDIS_SERVER (Debian redis-server)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pykv-bench-cli.XXXXXX")
declare -A PID=() RES=()
declare -a FAILURES=() NOTES=() CMDS=()
FAILED=0
BENCH_CLIENTS="the load generators"
# shellcheck source=tools/bench-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"


wait_port() {  # wait_port PID PORT: up to 10 s for the server to accept
  local i
  for ((i = 0; i < 100; i++)); do
    proc_alive "$1" || return 1
    port_in_use "$2" && return 0
    sleep 0.1
  done
  return 1
}

REDIS_PORT=$(free_port)
"${SERVER_PIN[@]}" "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
  --appendonly no --daemonize no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PID[redis]=$!
wait_port "${PID[redis]}" "$REDIS_PORT" || die "redis-server did not start: $(tail -n 3 "$WORK/redis.log")"
HTTP_PORT=$(free_port)
mkdir -p "$WORK/pykv"
"${SERVER_PIN[@]}" "$PYKV_SERVER" --port 0 --appendonly no --save '' --http-port "$HTTP_PORT" \
  --http-bind 127.0.0.1 --dir "$WORK/pykv" --logfile "$WORK/pykv/server.log" >"$WORK/pykv.out" 2>&1 &
PID[pykv]=$!
wait_port "${PID[pykv]}" "$HTTP_PORT" || die "pykv-server did not start: $(tail -n 3 "$WORK/pykv/server.log")"
HTTP_URL=http://127.0.0.1:$HTTP_PORT
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data-binary '{"key":"key","value":"xxx"}' "$HTTP_URL/kv/") || true
[[ $code == 201 || $code == 409 ]] || die "POST /kv/ of the wrk key answered $code"
log "redis-server port $REDIS_PORT, pykv-server HTTP port $HTTP_PORT; work dir $WORK"

# run NAME OUT CMD...: runs the pinned command bounded, records its CPU and wall time in
# CPU[NAME] and WALL[NAME]; false (and a failure) when it failed or timed out.
declare -A CPU=() WALL=()
run() {
  local name=$1 out=$2 rc=0 t
  shift 2
  t=$( { TIMEFORMAT='%U %S %R'; time timeout -k 5 "$RUN_TIMEOUT" "${CLIENT_PIN[@]}" "$@" >"$out" 2>"$out.err"; } 2>&1 ) || rc=$?
  if ((rc != 0)); then
    fail "$name: exit $rc: $(tail -c 300 "$out.err" | tr '\n\r' '  '); reproduce: $(printf '%q ' "$@")"
    return 1
  fi
  CPU[$name]=$(awk -v t="$t" 'BEGIN { split(t, f, " "); printf "%.6f", f[1] + f[2] }')
  WALL[$name]=$(awk -v t="$t" 'BEGIN { split(t, f, " "); printf "%.6f", f[3] }')
}

record() {  # record ROW TOOL ROUND RPS REQUESTS NAME
  local k=$1:$2:$3
  RES[$k:rps]=$4
  RES[$k:us]=$(awk -v c="${CPU[$6]}" -v n="$5" 'BEGIN { printf "%.3f", c * 1e6 / n }')
  RES[$k:busy]=$(awk -v c="${CPU[$6]}" -v w="${WALL[$6]}" 'BEGIN { if (w > 0) printf "%.0f", c * 100 / w }')
  log "$1 $2 round $3: $4 req/s, ${RES[$k:us]} us/req client CPU, busy ${RES[$k:busy]}%"
}

# The mean of pykv-cli's --csv ops_per_sec over the rows (tests); empty on errors.
cli_rps() {
  awk -F, 'NR > 1 { if ($3 != 0) bad = 1; s += $5; n++ } END { if (!bad && n > 0) printf "%.2f", s / n }' "$1"
}
cli_requests() { awk -F, 'NR > 1 { s += $2 } END { print s + 0 }' "$1"; }

resp_redis_benchmark() {  # ROW P ROUND
  local row=$1 p=$2 round=$3 n=$4 out=$WORK/rb.$1.$3 rps
  local -a cmd=("$REDIS_BENCHMARK" -p "$REDIS_PORT" -c "$CONNECTIONS" -n "$n" -t "set,get" -P "$p" -q)
  ((round == 1)) && CMDS+=("redis-benchmark: $(printf '%q ' "${cmd[@]}")")
  run "$out" "$out" "${cmd[@]}" || return 0
  rps=$(tr '\r' '\n' <"$out" | awk '/requests per second/ { sub(/:$/, "", $1); v[$1] = $2 } END { if (("SET" in v) && ("GET" in v)) printf "%.2f", (v["SET"] + v["GET"]) / 2 }')
  [[ -n $rps ]] || { fail "$row redis-benchmark round $round: no figure in $(tr '\r\n' '  ' <"$out" | tail -c 200)"; return 0; }
  record "$row" rb "$round" "$rps" $((2 * n)) "$out"
}

resp_cli() {  # ROW P ROUND N THREADS
  local row=$1 p=$2 round=$3 n=$4 threads=$5 out=$WORK/cli.$1.$3 rps
  local -a cmd=("$PYKV_CLI" -p "$REDIS_PORT" bench -c "$CONNECTIONS" -n "$n" -t "set,get" -P "$p" --threads "$threads" --csv)
  ((round == 1)) && CMDS+=("pykv-cli ($row): $(printf '%q ' "${cmd[@]}")")
  run "$out" "$out" "${cmd[@]}" || return 0
  rps=$(cli_rps "$out")
  [[ -n $rps ]] || { fail "$row pykv-cli round $round: errors or no figure: $(head -c 300 "$out")"; return 0; }
  record "$row" cli "$round" "$rps" "$(cli_requests "$out")" "$out"
}

http_wrk() {  # ROUND
  local round=$1 out=$WORK/wrk.$1 rps n
  local -a cmd=("$WRK" -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$HTTP_URL/kv/key")
  ((round == 1)) && CMDS+=("wrk: $(printf '%q ' "${cmd[@]}")")
  run "$out" "$out" "${cmd[@]}" || return 0
  if grep -q 'Non-2xx\|Socket errors' "$out"; then
    fail "wrk round $round: $(grep 'Non-2xx\|Socket errors' "$out" | tr '\n' ' ')"
    return 0
  fi
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  n=$(awk '/requests in/ { print $1 }' "$out")
  [[ -n $rps && -n $n ]] || { fail "wrk round $round: no figure"; return 0; }
  record http wrk "$round" "$rps" "$n" "$out"
}

http_cli() {  # ROUND
  local round=$1 out=$WORK/clihttp.$1 rps
  local -a cmd=("$PYKV_CLI" bench --http "$HTTP_URL" -c "$CONNECTIONS" --duration "$DURATION" -t get --csv)
  ((round == 1)) && CMDS+=("pykv-cli (http): $(printf '%q ' "${cmd[@]}")")
  run "$out" "$out" "${cmd[@]}" || return 0
  rps=$(cli_rps "$out")
  [[ -n $rps ]] || { fail "http pykv-cli round $round: errors or no figure: $(head -c 300 "$out")"; return 0; }
  record http cli "$round" "$rps" "$(cli_requests "$out")" "$out"
}

servers_ok() {
  local s
  for s in redis pykv; do
    proc_alive "${PID[$s]}" || { fail "$s died; log: $(tail -q -n 3 "$WORK"/*.log "$WORK/pykv/server.log" 2>/dev/null | tr '\n' '|')"; return 1; }
  done
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
NP=$((REQUESTS * PIPELINE_MULT))
# Warm-up: both tools once, short.
run warm1 "$WORK/warm1" "$REDIS_BENCHMARK" -p "$REDIS_PORT" -n 20000 -t set,get -q || true
run warm2 "$WORK/warm2" "$PYKV_CLI" -p "$REDIS_PORT" bench -n 20000 -t set,get --csv || true
for ((round = 1; round <= ROUNDS; round++)); do
  servers_ok || break
  if ((round % 2)); then
    resp_redis_benchmark p1 1 "$round" "$REQUESTS"; resp_cli p1 1 "$round" "$REQUESTS" 1
    resp_redis_benchmark pN "$PIPELINE" "$round" "$NP"; resp_cli pN "$PIPELINE" "$round" "$NP" 1
    http_wrk "$round"; http_cli "$round"
  else
    resp_cli p1 1 "$round" "$REQUESTS" 1; resp_redis_benchmark p1 1 "$round" "$REQUESTS"
    resp_cli pN "$PIPELINE" "$round" "$NP" 1; resp_redis_benchmark pN "$PIPELINE" "$round" "$NP"
    http_cli "$round"; http_wrk "$round"
  fi
  resp_cli t2p1 1 "$round" "$REQUESTS" 2
  resp_cli t2pN "$PIPELINE" "$round" "$NP" 2
done
servers_ok || true

# ---------------------------------------------------------------------------------------
# Report.

median() { sort -g | awk 'NF { v[++n] = $1 } END { if (n == 0) exit; m = int((n + 1) / 2); if (n % 2) printf "%.6f\n", v[m]; else printf "%.6f\n", (v[m] + v[m + 1]) / 2 }'; }
med() {  # med ROW TOOL METRIC DECIMALS
  local r v=()
  for ((r = 1; r <= ROUNDS; r++)); do [[ -n ${RES[$1:$2:$r:$3]:-} ]] && v+=("${RES[$1:$2:$r:$3]}"); done
  r=$(printf '%s\n' "${v[@]}" | median)
  if [[ -n $r ]]; then printf '%.*f' "$4" "$r"; else echo ERR; fi
}
ratio() {  # ratio ROW_A TOOL_A ROW_B TOOL_B METRIC: median of the rounds' A/B
  local r p q v=()
  for ((r = 1; r <= ROUNDS; r++)); do
    p=${RES[$1:$2:$r:$5]:-} q=${RES[$3:$4:$r:$5]:-}
    if [[ -n $p && -n $q ]] && awk -v q="$q" 'BEGIN { exit !(q > 0) }'; then
      v+=("$(awk -v p="$p" -v q="$q" 'BEGIN { printf "%.6f", p / q }')")
    fi
  done
  r=$(printf '%s\n' "${v[@]}" | median)
  if [[ -n $r ]]; then printf '%.2f' "$r"; else echo -; fi
}
verdict() {  # verdict VALUE GOAL [lt]
  [[ $1 == - ]] && { echo ERR; return; }
  if [[ ${3:-} == lt ]]; then
    awk -v x="$1" -v g="$2" 'BEGIN { print (x < g) ? "PASS" : "MISS" }'
  else
    awk -v x="$1" -v g="$2" 'BEGIN { print (x >= g) ? "PASS" : "MISS" }'
  fi
}

echo
echo "## pykv-cli bench vs redis-benchmark and wrk — $(date -u '+%Y-%m-%d %H:%M:%SZ'), $(uname -r)"
echo
echo "$("$REDIS_SERVER" --version | awk '{ print $1, $2, $3 }'); $("$REDIS_BENCHMARK" --version 2>/dev/null | head -n 1 || echo redis-benchmark); wrk $("$WRK" -v 2>&1 | head -n 1 | awk '{ print $2 }')"
echo "rounds: $ROUNDS; RESP: -c $CONNECTIONS -t set,get, -n $REQUESTS at -P 1 and $NP at -P $PIPELINE (req/s = mean of SET and GET); HTTP: ${DURATION}s GET /kv/{key}, -c $CONNECTIONS"
echo "load average (1/5/15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg) ($NCPU CPUs)"
for line in "${NOTES[@]}"; do echo "note: $line"; done
echo
echo "Commands (ports are random per run):"
for line in "${CMDS[@]}"; do echo "  $line"; done
echo
echo "| row | reference | reference req/s | pykv-cli req/s | ratio | goal | result | reference us/req | pykv-cli us/req | CPU ratio | goal | result | reference busy % | pykv-cli busy % |"
echo "| --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: |"
row() {  # row LABEL ROW REFTOOL REFLABEL GOAL
  local rr cr
  rr=$(ratio "$2" cli "$2" "$3" rps) cr=$(ratio "$2" cli "$2" "$3" us)
  if [[ $3 == rb ]]; then
    printf '| %s | %s | %s | %s | %s | >= %s | %s | %s | %s | %s | < 1.00 | %s | %s | %s |\n' "$1" "$4" \
      "$(med "$2" "$3" rps 0)" "$(med "$2" cli rps 0)" "$rr" "$5" "$(verdict "$rr" "$5")" \
      "$(med "$2" "$3" us 3)" "$(med "$2" cli us 3)" "$cr" "$(verdict "$cr" 1.0 lt)" \
      "$(med "$2" "$3" busy 0)" "$(med "$2" cli busy 0)"
  else
    printf '| %s | %s | %s | %s | %s | >= %s | %s | %s | %s | %s | - | INFO | %s | %s |\n' "$1" "$4" \
      "$(med "$2" "$3" rps 0)" "$(med "$2" cli rps 0)" "$rr" "$5" "$(verdict "$rr" "$5")" \
      "$(med "$2" "$3" us 3)" "$(med "$2" cli us 3)" "$cr" \
      "$(med "$2" "$3" busy 0)" "$(med "$2" cli busy 0)"
  fi
}
row "RESP set,get -P 1" p1 rb redis-benchmark "$RESP_GOAL"
row "RESP set,get -P $PIPELINE" pN rb redis-benchmark "$RESP_GOAL"
row "HTTP GET /kv/{key}" http wrk "wrk -t1" "$HTTP_GOAL"
echo
echo "--threads 2 (INFO; the same redis-server; gains need a free CPU for the second thread):"
echo
echo "| row | 1 thread req/s | 2 threads req/s | 2 threads / 1 thread | 2 threads busy % |"
echo "| --- | ---: | ---: | ---: | ---: |"
for pair in "p1:t2p1:-P 1" "pN:t2pN:-P $PIPELINE"; do
  IFS=: read -r one two label <<<"$pair"
  printf '| RESP set,get %s | %s | %s | %s | %s |\n' "$label" "$(med "$one" cli rps 0)" \
    "$(med "$two" cli rps 0)" "$(ratio "$two" cli "$one" cli rps)" "$(med "$two" cli busy 0)"
done
if ((${#FAILURES[@]})); then
  echo
  echo "FAILURES (something did not run; exit status 1):"
  for line in "${FAILURES[@]}"; do echo "  - $line"; done
fi
exit "$FAILED"
