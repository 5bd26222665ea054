#!/usr/bin/env bash
# bench-http.sh: benchmarks the HTTP API of pykv-server against two references, side by
# side in one run, and prints the results as markdown tables:
#   nginx    one worker answering every path with a fixed item (return 200 '...'): the
#            ceiling one core reaches for a small keep-alive HTTP/1.1 exchange
#   fastapi  FastAPI + uvicorn, one worker, a dict-backed app (tools/bench/fastapi_kv.py)
#            implementing the same contract: the stack of the original design
# It is a report: it exits 0 when the goal is missed and non-zero only when something
# failed to run (a server did not start or died, a run saw a non-2xx answer or a socket
# error, wrk failed or timed out, output could not be parsed). A server that does not
# start is skipped (its cells are ERR) and the others still run.
#
# What it measures, per request type and server:
#   GET /kv/{key}  of a key created before (POST /kv/), wrk -t1 -c CONNECTIONS -d DURATION
#                  --latency, keep-alive (wrk's default)
#   PUT /kv/{key}  {"value": "<VALUE_SIZE x 'x'>"} with Content-Type: application/json (the
#                  same value every time, so the key never changes); nginx answers it with
#                  the same fixed 200, for reference only
#   req/s          requests / duration as wrk reports them                  higher is better
#   p99            99th percentile latency (wrk's histogram, in ms)         lower is better
#   server CPU     utime+stime of the server's processes over the run / requests, in us
#                  (INFO: less sensitive than req/s to other load on the machine)
#   server busy    that CPU time / wall time: near 100% the server is the limit (INFO)
#   wrk busy       CPU time of wrk / wall time: near 100% the load generator is (INFO)
# Answers are checked: a run with any answer of status >= 400 (wrk's own count) or any
# wrk socket error fails loudly and gives no figure, and after every run curl checks GET
# and PUT (200 and, for pykv and fastapi, the item with the expected key and value), as
# it does before the first. BENCH_STRICT_STATUS=1 makes tools/bench/wrk_kv.lua count
# every status outside 200..299 during the runs as well, at some CPU cost to wrk.
# Goal: GET req/s pykv / nginx >= 0.6 (PASS/MISS). pykv / fastapi is reported (INFO).
# Values are medians over the rounds; a ratio is the median over the rounds of the ratio
# of that round's two runs.
#
# Set-up: every server binds 127.0.0.1 on a free port; with 2+ CPUs the servers are
# pinned to one CPU and wrk and curl to another (taskset). All servers are started first,
# checked and warmed up; then ROUNDS rounds, in each every request type runs against every
# server, the order of the servers rotating from round to round. nginx runs as its own
# instance (conf, pid, logs and temp paths in the work directory, from
# tools/bench/nginx.conf.in), never the system's.
#
# Environment (all optional):
#   PYKV_SERVER     pykv binary                  (default: <repo>/build/pykv-server)
#   NGINX           nginx binary                 (default: nginx from PATH or /usr/sbin)
#   PYTHON          python with fastapi and uvicorn (default: /usr/bin/python3, Debian's)
#   WRK, CURL       load generator and checker   (default: from PATH)
#   ROUNDS          rounds                       (default 3; QUICK: 1)
#   DURATION        seconds per wrk run          (default 10; QUICK: 2)
#   WARMUP          seconds of GET per server before the rounds (default 3; QUICK: 1)
#   CONNECTIONS     wrk -c                       (default 50)
#   VALUE_SIZE      bytes of the stored and PUT value (default 32)
#   BENCH_SERVERS   the servers to run, space-separated (default "pykv nginx fastapi")
#   BENCH_STRICT_STATUS=1   check every response's status in wrk (see above); also --strict-status
#   QUICK=1         smoke run with the smaller defaults above
#   SERVER_CPU, CLIENT_CPU   CPUs to pin to (default: the first two allowed CPUs)
#   BENCH_RAW       write every measurement as CSV to this file
#   BENCH_KEEP=1    keep the work directory (server logs, nginx conf, wrk output)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=$ROOT/tools/bench

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  echo "Flags: --quick --rounds N --duration S --servers 'LIST' --raw FILE --keep --strict-status"
}

while (($# > 0)); do
  case $1 in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS=${2:?--rounds needs a value}; shift ;;
    --duration) DURATION=${2:?--duration needs a value}; shift ;;
    --servers) BENCH_SERVERS=${2:?--servers needs a list}; shift ;;
    --raw) BENCH_RAW=${2:?--raw needs a file}; shift ;;
    --keep) BENCH_KEEP=1 ;;
    --strict-status) BENCH_STRICT_STATUS=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench-http: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  ROUNDS=${ROUNDS:-1} DURATION=${DURATION:-2} WARMUP=${WARMUP:-1}
fi
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-50}
VALUE_SIZE=${VALUE_SIZE:-32}
PYKV_SERVER=${PYKV_SERVER:-$ROOT/build/pykv-server}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
PYTHON=${PYTHON:-/usr/bin/python3}
WRK=${WRK:-wrk}
CURL=${CURL:-curl}
BENCH_SERVERS=${BENCH_SERVERS:-pykv nginx fastapi}
BENCH_RAW=${BENCH_RAW:-}
BENCH_KEEP=${BENCH_KEEP:-0}
export BENCH_STRICT_STATUS=${BENCH_STRICT_STATUS:-0}  # read by wrk_kv.lua
GET_GOAL=0.6  # pykv GET req/s >= 0.6 x nginx's
KEY=bench-http-key
# A run that has not ended this long after its duration is killed and reported.
RUN_TIMEOUT=$((DURATION + 30))

log() { printf 'bench-http: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for v in ROUNDS DURATION WARMUP CONNECTIONS VALUE_SIZE; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for t in "$WRK" "$CURL" timeout awk getconf; do
  command -v "$t" >/dev/null 2>&1 || die "'$t' not found (tools/install-deps.sh installs wrk and curl)"
done
declare -a SERVERS=()
for s in $BENCH_SERVERS; do
  case $s in
    pykv | nginx | fastapi) SERVERS+=("$s") ;;
    *) die "unknown server '$s' in BENCH_SERVERS (pykv, nginx, fastapi)" ;;
  esac
done
((${#SERVERS[@]} > 0)) || die "BENCH_SERVERS is empty"
CLK_TCK=$(getconf CLK_TCK)
VALUE=$(printf '%*s' "$VALUE_SIZE" '' | tr ' ' x)
PUT_BODY="{\"value\":\"$VALUE\"}"
ROWS=(GET PUT)

# ---------------------------------------------------------------------------------------
# Environment: work dir, clean-up, CPU pinning.

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pykv-bench-http.XXXXXX")
declare -A PID=() PORT=() DEAD=() STARTCMD=()
declare -a FAILURES=() NOTES=() CMDS=() UP=()
FAILED=0

BENCH_CLIENTS="wrk and curl"
# shellcheck source=tools/bench-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"

# ---------------------------------------------------------------------------------------
# HTTP checks (curl, bounded).

HTTP_CODE="" HTTP_BODY=""
http() {  # http METHOD URL [JSON-BODY]: HTTP_CODE (000 when no answer) and HTTP_BODY
  local out
  local -a cmd=("${CLIENT_PIN[@]}" "$CURL" -sS --max-time 5 -o "$WORK/curl.body" -w '%{http_code}' -X "$1")
  if (($# > 2)); then cmd+=(-H 'Content-Type: application/json' --data-binary "$3"); fi
  out=$("${cmd[@]}" "$2" 2>/dev/null) || true
  HTTP_CODE=${out:-000}
  HTTP_BODY=$(head -c 300 "$WORK/curl.body" 2>/dev/null | tr '\n' ' ' || true)
  rm -f "$WORK/curl.body"
}

# is_item KEY VALUE <<< BODY: the body is the contract's item for KEY holding VALUE. A text
# comparison with optional spaces: the contract fixes the fields, not the formatting.
is_item() {
  local body
  body=$(cat)
  awk -v b="$body" -v k="$1" -v v="$2" 'BEGIN {
    gsub(/[ \t\r\n]/, "", b)
    exit !(index(b, "\"key\":\"" k "\"") && index(b, "\"value\":\"" v "\"") && b ~ /^\{.*\}$/)
  }'
}

url_of() { echo "http://127.0.0.1:${PORT[$1]}/kv/$KEY"; }

# check_answers SERVER WHEN: GET (and PUT) give 200 with the item; false and a failure if not
check_answers() {
  local s=$1 when=$2 url m
  url=$(url_of "$s")
  for m in GET PUT; do
    if [[ $m == GET ]]; then http GET "$url"; else http PUT "$url" "$PUT_BODY"; fi
    if [[ $HTTP_CODE != 200 ]]; then
      fail "$s: $m $url $when answered $HTTP_CODE (expected 200): ${HTTP_BODY:-no body}"
      return 1
    fi
    if [[ $s != nginx ]] && ! is_item "$KEY" "$VALUE" <<<"$HTTP_BODY"; then
      fail "$s: $m $url $when: 200 but not the item {\"key\":\"$KEY\",\"value\":\"<$VALUE_SIZE x>\",...}: $HTTP_BODY"
      return 1
    fi
  done
}

# ---------------------------------------------------------------------------------------
# Servers. Each is started on a random free port (retried when the port was taken in the
# meantime), waited for (bounded), given its key and checked.

server_cmd() {  # server_cmd SERVER PORT DIR: the command, one word a line
  local port=$2 dir=$3
  case $1 in
    pykv)
      printf '%s\n' "$PYKV_SERVER" --port 0 --appendonly no --http-port "$port" \
        --http-bind 127.0.0.1 --save '' --dir "$dir" --logfile "$dir/server.log" ;;
    nginx)
      sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" "$BENCH_DIR/nginx.conf.in" >"$dir/nginx.conf"
      mkdir -p "$dir"/{body,proxy,fastcgi,uwsgi,scgi}
      printf '%s\n' "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" ;;
    fastapi)
      printf '%s\n' "$PYTHON" -m uvicorn --app-dir "$BENCH_DIR" fastapi_kv:app --workers 1 \
        --log-level warning --no-access-log --host 127.0.0.1 --port "$port" ;;
  esac
}

ready_path() {
  case $1 in
    nginx) echo / ;;
    *) echo /health ;;
  esac
}

server_missing() {  # server_missing SERVER: a reason the server cannot run here, or nothing
  case $1 in
    pykv) [[ -x $PYKV_SERVER ]] || echo "no pykv-server at $PYKV_SERVER (build it, or set PYKV_SERVER)" ;;
    nginx) [[ -x $NGINX ]] || echo "no nginx at '$NGINX' (Debian nginx-light; tools/install-deps.sh)" ;;
    fastapi)
      "$PYTHON" -c 'import fastapi, uvicorn' 2>/dev/null ||
        echo "$PYTHON cannot import fastapi and uvicorn (Debian python3-fastapi python3-uvicorn; tools/install-deps.sh)" ;;
  esac
}

start_server() {  # start_server SERVER: true when it runs, answers and holds the key
  local s=$1 dir=$WORK/$1 attempt port pid i code why
  local -a cmd
  why=$(server_missing "$s")
  if [[ -n $why ]]; then
    fail "$s: not run: $why"
    return 1
  fi
  mkdir -p "$dir"
  for ((attempt = 0; attempt < 5; attempt++)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" && continue
    mapfile -t cmd < <(server_cmd "$s" "$port" "$dir")
    cmd=("${SERVER_PIN[@]}" "${cmd[@]}")
    STARTCMD[$s]=$(printf '%q ' "${cmd[@]}")
    "${cmd[@]}" >>"$dir/stdout.log" 2>&1 &
    pid=$! PID[$s]=$pid PORT[$s]=$port DEAD[$s]=0
    code=000
    for ((i = 0; i < 150; i++)); do  # up to 15 s (uvicorn imports for a while)
      proc_alive "$pid" || break
      http GET "http://127.0.0.1:$port$(ready_path "$s")"
      code=$HTTP_CODE
      [[ $code != 000 ]] && break
      sleep 0.1
    done
    if [[ $code != 000 ]] && proc_alive "$pid"; then break; fi
    stop_pid "$pid"
    PID[$s]=""
    # Only a port taken between the check and the bind is worth another attempt.
    grep -qi "address already in use" "$dir"/*.log 2>/dev/null || break
    log "$s: port $port was taken; trying another"
    rm -f "$dir"/*.log
  done
  if [[ -z ${PID[$s]:-} ]]; then
    fail "$s did not start (skipped): ${STARTCMD[$s]:-no free port found}; output: $(tail -q -n 4 "$dir"/*.log 2>/dev/null | tr '\n' '|')"
    return 1
  fi
  if [[ $s != nginx ]]; then
    http POST "http://127.0.0.1:$port/kv/" "{\"key\":\"$KEY\",\"value\":\"$VALUE\"}"
    if [[ $HTTP_CODE != 201 ]]; then
      fail "$s: POST /kv/ of $KEY answered $HTTP_CODE (expected 201): ${HTTP_BODY:-no body}; skipped"
      stop_pid "$pid"
      PID[$s]=""
      return 1
    fi
  fi
  if ! check_answers "$s" "after start"; then
    log "$s skipped"
    stop_pid "$pid"
    PID[$s]=""
    return 1
  fi
  log "$s pid $pid port $port: $(ready_path "$s") answered $code"
}

server_ok() {  # server_ok SERVER: false (and one failure) once it has died
  local s=$1
  [[ -n ${PID[$s]:-} ]] || return 1
  [[ ${DEAD[$s]} == 1 ]] && return 1
  if proc_alive "${PID[$s]}"; then return 0; fi
  DEAD[$s]=1
  local st="" pid=${PID[$s]}
  wait "$pid" 2>/dev/null || st=$?
  PID[$s]=""  # reaped: never signal this pid again
  fail "$s (pid $pid) died${st:+ (exit status $st)}; started as: ${STARTCMD[$s]}; last output: $(tail -q -n 4 "$WORK/$s"/*.log 2>/dev/null | tr '\n' '|')"
  return 1
}

tree_ticks() {  # tree_ticks PID: utime+stime in clock ticks of PID and its direct children
  local p st total=0
  local -a f
  for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    st=${st##*) }  # fields from 3 (state) on; the command name may contain spaces
    read -ra f <<<"$st"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# ---------------------------------------------------------------------------------------
# Runs. Results: RES[row:server:round:metric] (rps, p99, cpu, busy, wrk).

declare -A RES=()
raw() { [[ -z $BENCH_RAW ]] || printf '%s\n' "$*" >>"$WORK/raw.csv"; }
raw "row,server,round,metric,value"

field() { awk -v k="$1" '/^BENCH requests=/ { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }'; }

wrk_cmd() {  # wrk_cmd SERVER ROW SECONDS: the command, one word a line
  local s=$1 row=$2 d=$3
  printf '%s\n' "${CLIENT_PIN[@]}" "$WRK" -t1 -c"$CONNECTIONS" -d"${d}s" --latency \
    -s "$BENCH_DIR/wrk_kv.lua" "$(url_of "$s")" -- "$row"
  if [[ $row == PUT ]]; then echo "$PUT_BODY"; fi
}

run_wrk() {  # run_wrk SERVER ROW ROUND (ROUND 0: warm-up, not recorded)
  local s=$1 row=$2 round=$3 rc=0 t0 t1 client out=$WORK/wrk.$1.$2.$3 d=$DURATION
  local req rps p99 bad st errs first
  local -a cmd
  server_ok "$s" || return 0
  if ((round == 0)); then d=$WARMUP; fi
  mapfile -t cmd < <(wrk_cmd "$s" "$row" "$d")
  if ((round == 1)); then CMDS+=("$(printf '%-8s %s' "$s:" "$(printf '%q ' "${cmd[@]}")")"); fi
  t0=$(tree_ticks "${PID[$s]}")
  # bash's time keyword: the load generator's own CPU (user+sys) and wall seconds.
  client=$( { TIMEFORMAT='%U %S %R'; time timeout -k 5 "$RUN_TIMEOUT" "${cmd[@]}" >"$out" 2>&1; } 2>&1 ) || rc=$?
  t1=$(tree_ticks "${PID[$s]}")
  server_ok "$s" || return 0
  local label="$s: $row /kv/{key} warm-up"
  if ((round > 0)); then label="$s: $row /kv/{key} round $round"; fi
  if ((rc == 124 || rc == 137)); then
    fail "$label: wrk did not end within ${RUN_TIMEOUT}s; reproduce: $(printf '%q ' "${cmd[@]}")"
    return 0
  fi
  req=$(field requests <"$out") rps=$(field rps <"$out") p99=$(field p99_us <"$out")
  bad=$(field non2xx <"$out") st=$(field status <"$out")
  errs=$(awk '/^BENCH requests=/ { for (i = 2; i <= NF; i++) { split($i, a, "=");
    if (a[1] ~ /^(connect|read|write|timeout)$/ && a[2] > 0) printf "%s%s %s", sep, a[2], a[1]; sep = ", " } }' "$out")
  first=$(sed -n 's/^BENCH first_non2xx=//p' "$out")
  if ((rc != 0)) || [[ -z $req || -z $rps || -z $p99 || -z $bad || -z $st ]]; then
    fail "$label: wrk exit $rc, no summary: $(tail -n 3 "$out" | tr '\n' '|'); reproduce: $(printf '%q ' "${cmd[@]}")"
    return 0
  fi
  if ((bad > 0 || st > 0)); then
    if ((bad > 0)); then st="$bad of $req answers were not 2xx (first: $first)"; else st="$st of $req answers had status >= 400"; fi
    fail "$label: $st: no figure; reproduce: $(printf '%q ' "${cmd[@]}")"
    check_answers "$s" "after $label" || true  # shows one such answer
    return 0
  fi
  if [[ -n $errs ]]; then
    fail "$label: socket errors ($errs): no figure; reproduce: $(printf '%q ' "${cmd[@]}")"
    return 0
  fi
  if ((req == 0)); then
    fail "$label: no request completed"
    return 0
  fi
  check_answers "$s" "after $label" || return 0
  ((round == 0)) && return 0
  local k=$row:$s:$round
  RES[$k:rps]=$rps
  RES[$k:p99]=$(awk -v u="$p99" 'BEGIN { printf "%.3f", u / 1000 }')
  RES[$k:cpu]=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$req" 'BEGIN { printf "%.3f", t * 1e6 / hz / n }')
  RES[$k:busy]=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v d="$DURATION" 'BEGIN { printf "%.1f", t * 100 / hz / d }')
  RES[$k:wrk]=$(awk -v t="$client" 'BEGIN { split(t, f, " "); if (f[3] > 0) printf "%.1f", (f[1] + f[2]) * 100 / f[3] }')
  local m
  for m in rps p99 cpu busy wrk; do raw "$row,$s,$round,$m,${RES[$k:$m]}"; done
  log "$label: $rps req/s, p99 ${RES[$k:p99]} ms, server ${RES[$k:cpu]} us/req (busy ${RES[$k:busy]}%), wrk busy ${RES[$k:wrk]}%"
}

# ---------------------------------------------------------------------------------------
# Report.

median() { sort -g | awk 'NF { v[++n] = $1 } END { if (n == 0) exit; m = int((n + 1) / 2); if (n % 2) printf "%.6f\n", v[m]; else printf "%.6f\n", (v[m] + v[m + 1]) / 2 }'; }

med() {  # med ROW SERVER METRIC DECIMALS: median over the rounds, or ERR
  local r v=()
  for ((r = 1; r <= ROUNDS; r++)); do
    [[ -n ${RES[$1:$2:$r:$3]:-} ]] && v+=("${RES[$1:$2:$r:$3]}")
  done
  r=$(printf '%s\n' "${v[@]}" | median)
  if [[ -n $r ]]; then printf '%.*f' "$4" "$r"; else echo ERR; fi
}

ratio() {  # ratio ROW A B [METRIC]: median over the rounds of METRIC(A)/METRIC(B), or -
  local r p q v=() m=${4:-rps}
  for ((r = 1; r <= ROUNDS; r++)); do
    p=${RES[$1:$2:$r:$m]:-} q=${RES[$1:$3:$r:$m]:-}
    if [[ -n $p && -n $q ]] && awk -v q="$q" 'BEGIN { exit !(q > 0) }'; then
      v+=("$(awk -v p="$p" -v q="$q" 'BEGIN { printf "%.6f", p / q }')")
    fi
  done
  r=$(printf '%s\n' "${v[@]}" | median)
  if [[ -n $r ]]; then printf '%.2f' "$r"; else echo -; fi
}

versions() {
  local v
  v=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //') || v='?'
  echo "nginx: $v"
  # uvicorn's "auto" loop and http pick uvloop and httptools only when importable.
  v=$("$PYTHON" - 2>/dev/null <<'EOF'
import importlib.util as u
import fastapi, pydantic, uvicorn
loop = "uvloop" if u.find_spec("uvloop") else "asyncio"
http = "httptools" if u.find_spec("httptools") else "h11"
print(f"fastapi {fastapi.__version__}, pydantic {pydantic.VERSION}, uvicorn {uvicorn.__version__} (loop {loop}, http {http}), python {__import__('sys').version.split()[0]}")
EOF
  ) || v="not importable with $PYTHON"
  echo "fastapi: $v"
  echo "wrk: $("$WRK" -v 2>&1 | head -n 1 | awk '{ print $2 }')"
}

report() {
  local row s r line nrs fa result goal
  echo
  echo "## PyKV HTTP vs nginx and FastAPI — $(date -u '+%Y-%m-%d %H:%M:%SZ'), $(uname -r)"
  echo
  echo "pykv: $PYKV_SERVER"
  versions
  echo "rounds: $ROUNDS x ${DURATION}s per run, wrk -t1 -c$CONNECTIONS (keep-alive), value $VALUE_SIZE bytes, warm-up ${WARMUP}s GET per server"
  echo "load average (1/5/15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg) ($NCPU CPUs; other load lowers req/s and raises p99)"
  if [[ $BENCH_STRICT_STATUS == 1 ]]; then
    echo "status check: every answer's status counted in wrk (strict), and curl after each run"
  else
    echo "status check: wrk's count of answers with status >= 400, and curl after each run"
  fi
  for line in "${NOTES[@]}"; do echo "note: $line"; done
  echo
  echo "Commands (the server's port is random per run):"
  for s in "${SERVERS[@]}"; do echo "  $s server: ${STARTCMD[$s]:-not started}"; done
  for line in "${CMDS[@]}"; do echo "  $line"; done
  echo
  echo "req/s higher is better, p99 (ms) lower is better; medians over the rounds; a ratio is the median over the rounds of that round's req/s ratio."
  echo "nginx answers every request with a fixed 200 item (the one-core ceiling); its PUT column is for reference only."
  echo
  echo "| request | PyKV req/s | nginx req/s | FastAPI req/s | PyKV p99 ms | nginx p99 ms | FastAPI p99 ms | PyKV/nginx | goal | result | PyKV/FastAPI |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |"
  for row in "${ROWS[@]}"; do
    nrs=$(ratio "$row" pykv nginx) fa=$(ratio "$row" pykv fastapi)
    if [[ $row == GET ]]; then
      goal=">= $GET_GOAL"
      if [[ $nrs == - ]]; then
        result=ERR
      elif awk -v x="$nrs" -v g="$GET_GOAL" 'BEGIN { exit !(x >= g) }'; then
        result=PASS
      else
        result=MISS
      fi
    else
      goal=- result=INFO
    fi
    printf '| %s /kv/{key} | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$row" \
      "$(med "$row" pykv rps 0)" "$(med "$row" nginx rps 0)" "$(med "$row" fastapi rps 0)" \
      "$(med "$row" pykv p99 2)" "$(med "$row" nginx p99 2)" "$(med "$row" fastapi p99 2)" \
      "$nrs" "$goal" "$result" "$fa"
  done
  echo
  echo "CPU (INFO): server = utime+stime of the server's processes per request and as a share of the run's wall time; wrk = the load generator's CPU share (near 100%: the client is the limit)."
  echo
  echo "| request | server | server us/req | server busy % | wrk busy % | req/s per round | p99 ms per round |"
  echo "| --- | --- | ---: | ---: | ---: | --- | --- |"
  for row in "${ROWS[@]}"; do
    for s in "${SERVERS[@]}"; do
      local rr="" pr=""
      for ((r = 1; r <= ROUNDS; r++)); do
        rr+="${rr:+ / }${RES[$row:$s:$r:rps]:-ERR}"
        pr+="${pr:+ / }${RES[$row:$s:$r:p99]:-ERR}"
      done
      printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$row" "$s" "$(med "$row" "$s" cpu 2)" \
        "$(med "$row" "$s" busy 0)" "$(med "$row" "$s" wrk 0)" "$rr" "$pr"
    done
  done
  echo
  echo "By CPU (INFO): the req/s ratios if every server had its CPU to itself, i.e. the inverse ratio of server us/req (median over the rounds); less sensitive to other load on the machine than req/s, but the kernel's loopback work is only roughly attributed to one side or the other."
  echo
  echo "| request | PyKV/nginx by CPU | PyKV/FastAPI by CPU |"
  echo "| --- | ---: | ---: |"
  for row in "${ROWS[@]}"; do
    printf '| %s /kv/{key} | %s | %s |\n' "$row" "$(ratio "$row" nginx pykv cpu)" "$(ratio "$row" fastapi pykv cpu)"
  done
  if ((${#FAILURES[@]})); then
    echo
    echo "FAILURES (something did not run; exit status 1):"
    for line in "${FAILURES[@]}"; do echo "  - $line"; done
  fi
}

# ---------------------------------------------------------------------------------------
# Main.

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "servers: ${SERVERS[*]}; rounds $ROUNDS x ${DURATION}s; work dir $WORK"
for s in "${SERVERS[@]}"; do
  if start_server "$s"; then UP+=("$s"); fi
done
if ((${#UP[@]} > 0)); then
  for s in "${UP[@]}"; do run_wrk "$s" GET 0; done
  for ((round = 1; round <= ROUNDS; round++)); do
    n=${#UP[@]}
    for row in "${ROWS[@]}"; do
      for ((j = 0; j < n; j++)); do
        run_wrk "${UP[$(((j + round - 1) % n))]}" "$row" "$round"
      done
    done
  done
fi
for s in "${UP[@]}"; do
  if [[ -n ${PID[$s]:-} ]]; then stop_pid "${PID[$s]}"; fi
  PID[$s]=""
done
report
if [[ -n $BENCH_RAW ]]; then cp "$WORK/raw.csv" "$BENCH_RAW"; fi
exit "$FAILED"
