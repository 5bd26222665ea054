#!/usr/bin/env bash
# bench-vs-redis.sh: benchmarks pykv-server against Debian's redis-server with the same
# settings and prints one table of pykv, redis, the median ratio pykv/redis over the
# rounds, the goal and PASS/MISS. It is a report: it exits 0 when goals are missed and
# non-zero only when something failed to run (a server did not start or died, a
# benchmark errored or timed out, output could not be parsed).
#
# What it measures, per row:
#   throughput  req/s reported by redis-benchmark (--csv)          higher is better
#   CPU         server utime+stime (/proc/PID/stat fields 14, 15)
#               over the run, divided by the requests, in us        lower is better
#   memory      (used_memory and VmRSS after loading MEM_KEYS
#               distinct keys) - (same on the empty server),
#               divided by DBSIZE, in bytes/key                     lower is better
#   restart     seconds to load RESTART_KEYS keys again after SHUTDOWN, (a) from the pure
#               incremental log (the keys as written, no rewrite) and (b) from the base
#               written by BGREWRITEAOF (redis: RDB preamble), two figures each:
#                 load   the server's own "DB loaded from append only file: X seconds"
#                 ready  wall clock from process start until DBSIZE == RESTART_KEYS
#                        (one connection, polled every ~10 ms)          lower is better
#   user-space part   the utime share of the CPU row: what the server's own code costs;
#               the rest is the kernel (the socket reads and writes, epoll), which at -P 1
#               is the same few syscalls per request for both servers        (INFO)
#   redis-benchmark busy   CPU time of the load generator / wall time of the run: near
#               100% the client, not the server, limits req/s                  (INFO)
#   fsync       (fsync + fdatasync calls) * 1000 / requests, counted by strace -f -c
#               attached to the running server during one SET run; reported (INFO), no
#               goal: with appendfsync always it shows the group commit
#
# Set-up: both servers bind 127.0.0.1 on free ports, persistence off (redis: --save ''
# --appendonly no; pykv: --appendonly no --save ''), maxmemory 0. With 2+ CPUs both
# servers are pinned to one CPU and redis-benchmark/redis-cli to another (taskset).
# Per server profile: start both, FLUSHALL, load the keys with redis-cli --pipe (this is
# the memory measurement and makes GETs hit), warm up, then ROUNDS rounds; in each round
# every row runs against both servers, alternating which goes first; then the fsync rows.
# Restart rows run first in their profile, on their own fresh servers and directories.
# The default run also has profiles with the AOF on (both servers: --appendonly yes
# --appendfsync always|everysec --auto-aof-rewrite-percentage 0, redis also --save ''):
# no automatic rewrite starts in the middle of a measurement. Every server profile has
# its own fresh directory (--dir) under the work directory; the AOF files are removed
# after the profile unless BENCH_KEEP=1.
#
# Environment (all optional):
#   PYKV_SERVER       pykv binary              (default: <repo>/build/pykv-server)
#   REDIS_SERVER      redis binary             (default: /usr/bin/redis-server)
#   REDIS_BENCHMARK, REDIS_CLI                 (default: from PATH)
#   ROUNDS            rounds per row           (default 3; QUICK: 1)
#   REQUESTS          requests per run         (default 200000; QUICK: 20000)
#   PIPELINE_MULT     pipelined (-P > 1) rows run REQUESTS*PIPELINE_MULT requests so the
#                     CPU tick count (1 tick = 1/CLK_TCK s) stays meaningful (default 5)
#   WARMUP_REQUESTS   warm-up requests per server and profile (default 50000; QUICK: 5000)
#   KEYSPACE          -r for redis-benchmark   (default 1000000)
#   DATA_SIZE         -d for redis-benchmark and the loaded values (default 32)
#   MEM_KEYS          distinct keys loaded for the memory rows (default 1000000; QUICK: 200000)
#   RESTART_KEYS      keys loaded for the restart rows (default 1000000; QUICK: 100000)
#   RESTART_ROUNDS    restarts per server and kind (default ROUNDS)
#   LOAD_TIMEOUT      seconds a restarted server may take to load, or a rewrite to finish
#                     (default 300)
#   ALWAYS_REQUESTS   requests per run of the default appendfsync always rows, SET and
#                     fsync count (default REQUESTS/4: every batch waits for the disk)
#   QUICK=1           smoke run with the smaller defaults above
#   RUN_TIMEOUT       seconds before one benchmark run is killed (default 600)
#   SERVER_CPU, CLIENT_CPU   CPUs to pin to (default: the first two allowed CPUs)
#   BENCH_EXTRA_ROWS  file of extra rows (bash, sourced; see "Rows" below); also --extra-rows
#   BENCH_NO_DEFAULT=1  skip the built-in rows (run only the extra ones)
#   BENCH_ONLY        extended regex: run only rows whose label matches; also --only
#   BENCH_RAW         write every measurement as CSV to this file; also --raw
#   BENCH_KEEP=1      keep the work directory (server logs) instead of removing it
#
# Rows: one line each (see define_default_rows). In an extra-rows file:
#   bench_profile NAME 'PYKV ARGS' 'REDIS ARGS'   later rows run on servers started with
#                                                 these extra options (whitespace-split),
#                                                 e.g. bench_profile aof-everysec \
#                                                   '--appendonly yes --appendfsync everysec' \
#                                                   '--appendonly yes --appendfsync everysec'
#   bench_row LABEL MIN_RATIO REDIS-BENCHMARK-ARGS...   a throughput + CPU row pair; a
#                                                 "-n N" among the args sets the requests
#   bench_mem_rows LABEL                          memory per key rows for the profile
#   bench_restart_rows LABEL                      restart time rows (the profile must have
#                                                 --appendonly yes for both servers)
#   bench_fsync_row LABEL REDIS-BENCHMARK-ARGS... fsync calls per 1,000 requests (strace)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
US=$'\x1f'  # separates stored arguments

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  echo "Flags: --quick --rounds N --requests N --extra-rows FILE --only REGEX --raw FILE --keep"
}

while (($# > 0)); do
  case $1 in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS=${2:?--rounds needs a value}; shift ;;
    --requests) REQUESTS=${2:?--requests needs a value}; shift ;;
    --extra-rows) BENCH_EXTRA_ROWS=${2:?--extra-rows needs a file}; shift ;;
    --only) BENCH_ONLY=${2:?--only needs a regex}; shift ;;
    --raw) BENCH_RAW=${2:?--raw needs a file}; shift ;;
    --keep) BENCH_KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  ROUNDS=${ROUNDS:-1} REQUESTS=${REQUESTS:-20000}
  WARMUP_REQUESTS=${WARMUP_REQUESTS:-5000} MEM_KEYS=${MEM_KEYS:-200000}
  RESTART_KEYS=${RESTART_KEYS:-100000}
fi
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
PIPELINE_MULT=${PIPELINE_MULT:-5}
WARMUP_REQUESTS=${WARMUP_REQUESTS:-50000}
KEYSPACE=${KEYSPACE:-1000000}
DATA_SIZE=${DATA_SIZE:-32}
MEM_KEYS=${MEM_KEYS:-1000000}
RESTART_KEYS=${RESTART_KEYS:-1000000}
RESTART_ROUNDS=${RESTART_ROUNDS:-$ROUNDS}
LOAD_TIMEOUT=${LOAD_TIMEOUT:-300}
ALWAYS_REQUESTS=${ALWAYS_REQUESTS:-$((REQUESTS / 4 > 0 ? REQUESTS / 4 : 1))}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
PYKV_SERVER=${PYKV_SERVER:-$ROOT/build/pykv-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-redis-benchmark}
REDIS_CLI=${REDIS_CLI:-redis-cli}
BENCH_ONLY=${BENCH_ONLY:-}
BENCH_RAW=${BENCH_RAW:-}
BENCH_KEEP=${BENCH_KEEP:-0}
CPU_GOAL=0.8  # pykv CPU per request <= 0.8 x redis
MEM_GOAL=0.8  # pykv bytes per key <= 0.8 x redis
RESTART_GOAL=0.5  # pykv restart time <= 0.5 x redis

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for v in ROUNDS REQUESTS PIPELINE_MULT WARMUP_REQUESTS KEYSPACE DATA_SIZE MEM_KEYS RESTART_KEYS \
  RESTART_ROUNDS LOAD_TIMEOUT ALWAYS_REQUESTS RUN_TIMEOUT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[[ -x $PYKV_SERVER ]] || die "no pykv-server at $PYKV_SERVER (build it, or set PYKV_SERVER)"
[[ -x $REDIS_SERVER ]] || die "no redis-server at $REDIS_SERVER (set REDIS_SERVER)"
for t in "$REDIS_BENCHMARK" "$REDIS_CLI" timeout awk getconf; do
  command -v "$t" >/dev/null 2>&1 || die "'$t' not found"
done
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------------------
# Row registry. Rows run grouped by profile, in the order they were defined.

declare -a ROW_KIND=() ROW_LABEL=() ROW_GOAL=() ROW_PROFILE=() ROW_ARGS=() ROW_N=()
declare -a PROFILES=()
declare -A PROFILE_PYKV=() PROFILE_REDIS=()
CUR_PROFILE=""

bench_profile() {
  local name=$1
  if [[ ! -v "PROFILE_PYKV[$name]" ]]; then PROFILES+=("$name"); fi
  PROFILE_PYKV[$name]=${2:-}
  PROFILE_REDIS[$name]=${3:-}
  CUR_PROFILE=$name
}

add_row() {  # kind label goal requests args...
  local kind=$1 label=$2 goal=$3 n=$4
  shift 4
  if [[ -n $BENCH_ONLY && ! $label =~ $BENCH_ONLY ]]; then return 0; fi
  local IFS=$US
  ROW_KIND+=("$kind") ROW_LABEL+=("$label") ROW_GOAL+=("$goal") ROW_N+=("$n")
  ROW_PROFILE+=("$CUR_PROFILE") ROW_ARGS+=("$*")
}

# split_n DEFAULT ARGS...: ROW_REQ = N of a "-n N" among ARGS (else DEFAULT), ROW_REST = the rest
declare -a ROW_REST=()
ROW_REQ=""
split_n() {
  ROW_REQ=$1 ROW_REST=()
  shift
  while (($# > 0)); do
    if [[ $1 == -n && $# -ge 2 ]]; then
      ROW_REQ=$2
      shift 2
      continue
    fi
    ROW_REST+=("$1")
    shift
  done
  [[ $ROW_REQ =~ ^[1-9][0-9]*$ ]] || die "-n must be a positive integer (got '$ROW_REQ')"
}

# bench_row LABEL MIN_THROUGHPUT_RATIO redis-benchmark args (no -h/-p/--csv; -n optional)
bench_row() {
  local label=$1 goal=$2 n=$REQUESTS a prev=""
  shift 2
  for a in "$@"; do
    if [[ $prev == -P && $a =~ ^[0-9]+$ && $a -gt 1 ]]; then n=$((REQUESTS * PIPELINE_MULT)); fi
    prev=$a
  done
  split_n "$n" "$@"
  add_row bench "$label" "$goal" "$ROW_REQ" "${ROW_REST[@]}"
}

# bench_mem_rows LABEL: used_memory and RSS per key after loading MEM_KEYS keys
bench_mem_rows() { add_row mem "${1:-memory}" "$MEM_GOAL" "$MEM_KEYS"; }

# bench_restart_rows LABEL: restart time from the incremental log and from a rewritten base
bench_restart_rows() { add_row restart "${1:-restart}" "$RESTART_GOAL" "$RESTART_KEYS"; }

# bench_fsync_row LABEL redis-benchmark args (-n optional): fsync calls per 1,000 requests
bench_fsync_row() {
  local label=$1
  shift
  split_n "$REQUESTS" "$@"
  add_row fsync "$label" - "$ROW_REQ" "${ROW_REST[@]}"
}

define_default_rows() {
  local r=$KEYSPACE d=$DATA_SIZE
  bench_profile default '' ''
  bench_row "SET -c 50 -P 1" 1.0 -c 50 -P 1 -t set -r "$r" -d "$d"
  bench_row "GET -c 50 -P 1" 1.0 -c 50 -P 1 -t get -r "$r"
  bench_row "SET -c 50 -P 32" 1.2 -c 50 -P 32 -t set -r "$r" -d "$d"
  bench_row "GET -c 50 -P 32" 1.2 -c 50 -P 32 -t get -r "$r"
  bench_row "MSET(10 keys) -c 50 -P 1" 1.0 -c 50 -P 1 -t mset -r "$r" -d "$d"
  bench_row "INCR -c 50 -P 1" 1.0 -c 50 -P 1 -t incr -r "$r"
  bench_row "GET -c 1000 -P 1" 1.0 -c 1000 -P 1 -t get -r "$r"
  bench_mem_rows "${MEM_KEYS} keys x ${d}B"
  # Persistence (issue 3). No automatic rewrite in the middle of a measurement.
  local aof='--appendonly yes --auto-aof-rewrite-percentage 0'
  local n=$ALWAYS_REQUESTS
  bench_profile aof-always "$aof --appendfsync always" "$aof --appendfsync always"
  bench_row "SET -c 50 -P 1" 1.0 -n "$n" -c 50 -P 1 -t set -r "$r" -d "$d"
  bench_fsync_row "fsync+fdatasync per 1000 SET -c 50" -n "$n" -c 50 -P 1 -t set -r "$r" -d "$d"
  bench_profile aof-everysec "$aof --appendfsync everysec" "$aof --appendfsync everysec"
  bench_row "SET -c 50 -P 1" 1.0 -c 50 -P 1 -t set -r "$r" -d "$d"
  bench_profile aof-restart "$aof --appendfsync everysec" "$aof --appendfsync everysec"
  bench_restart_rows "restart ${RESTART_KEYS} keys"
}

bench_profile default '' ''
if [[ ${BENCH_NO_DEFAULT:-0} != 1 ]]; then define_default_rows; fi
if [[ -n ${BENCH_EXTRA_ROWS:-} ]]; then
  [[ -r $BENCH_EXTRA_ROWS ]] || die "cannot read BENCH_EXTRA_ROWS file '$BENCH_EXTRA_ROWS'"
  # shellcheck source=/dev/null
  source "$BENCH_EXTRA_ROWS"
fi
((${#ROW_KIND[@]} > 0)) || die "no rows to run (BENCH_ONLY='$BENCH_ONLY' matched nothing?)"

# ---------------------------------------------------------------------------------------
# Environment: work dir, clean-up, CPU pinning, file descriptors.

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pykv-bench.XXXXXX")
declare -A PID=() PORT=() DEAD=() LOGF=() STARTCMD=() LAUNCH=() SDIR=()
declare -a FAILURES=() NOTES=() CMDS=()
FAILED=0

BENCH_CLIENTS="redis-benchmark/redis-cli"
# shellcheck source=tools/bench-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"

# 1000 clients need 1000+ descriptors in redis-benchmark and in each server.
want_fds=4096
hard_fds=$(ulimit -Hn)
if [[ $hard_fds != unlimited ]] && ((hard_fds < want_fds)); then want_fds=$hard_fds; fi
if (($(ulimit -Sn) < want_fds)); then ulimit -Sn "$want_fds" || true; fi
if (($(ulimit -Sn) < 1100)); then
  NOTES+=("ulimit -n is $(ulimit -Sn): rows with -c 1000 will likely fail")
fi

# ---------------------------------------------------------------------------------------
# Servers.

cli() {  # cli SERVER args...
  local port=${PORT[$1]}
  shift
  timeout -k 5 60 "$REDIS_CLI" -h 127.0.0.1 -p "$port" "$@"
}

wait_ping() {  # wait_ping SERVER PID: up to 10 s for PONG while PID lives
  local i
  for ((i = 0; i < 100; i++)); do
    proc_alive "$2" || return 1
    if [[ -n ${PORT[$1]:-} ]] && [[ $(cli "$1" ping 2>/dev/null) == PONG ]]; then return 0; fi
    sleep 0.1
  done
  return 1
}

set_launch() {  # set_launch SERVER DIR CMD...: the command launch runs (again)
  local s=$1 dir=$2 IFS=$US
  shift 2
  SDIR[$s]=$dir LOGF[$s]=$dir/server.log LAUNCH[$s]="$*"
  STARTCMD[$s]=$(printf '%q ' "$@")
}

launch() {  # launch SERVER: start the stored command in the background (PID[SERVER])
  local s=$1
  local -a cmd
  IFS=$US read -ra cmd <<<"${LAUNCH[$s]}"
  "${cmd[@]}" >>"${SDIR[$s]}/stdout.log" 2>&1 &
  PID[$s]=$! DEAD[$s]=0
}

start_pykv() {  # start_pykv PROFILE [DIR-NAME]
  local dir=$WORK/${2:-pykv-$1} pid i
  local -a extra
  read -ra extra <<<"${PROFILE_PYKV[$1]}"
  mkdir -p "$dir"
  rm -f "$dir/port"
  set_launch pykv "$dir" "${SERVER_PIN[@]}" "$PYKV_SERVER" --port 0 --port-file "$dir/port" \
    --bind 127.0.0.1 --appendonly no --save '' --maxmemory 0 --dir "$dir" \
    --logfile "$dir/server.log" "${extra[@]}"
  launch pykv
  pid=${PID[pykv]} PORT[pykv]=""
  for ((i = 0; i < 100; i++)); do
    if [[ -s $dir/port ]]; then
      PORT[pykv]=$(<"$dir/port")
      break
    fi
    proc_alive "$pid" || break
    sleep 0.1
  done
  if ! wait_ping pykv "$pid"; then
    tail -n 20 "$dir/server.log" "$dir/stdout.log" >&2 2>/dev/null || true
    fail "pykv-server did not start: ${STARTCMD[pykv]}; output: $(tail -n 3 "$dir/stdout.log" 2>/dev/null | tr '\n' '|')"
    stop_pid "$pid"
    PID[pykv]=""
    return 1
  fi
  log "pykv-server pid $pid port ${PORT[pykv]} (profile $1)"
}

start_redis() {  # start_redis PROFILE [DIR-NAME]: redis 7.0 has no port file, so try free ports
  local dir=$WORK/${2:-redis-$1} pid port attempt
  local -a extra
  read -ra extra <<<"${PROFILE_REDIS[$1]}"
  mkdir -p "$dir"
  for ((attempt = 0; attempt < 10; attempt++)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" && continue
    set_launch redis "$dir" "${SERVER_PIN[@]}" "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 \
      --save '' --appendonly no --maxmemory 0 --daemonize no --dir "$dir" \
      --logfile "$dir/server.log" "${extra[@]}"
    launch redis
    pid=${PID[redis]} PORT[redis]=$port
    if wait_ping redis "$pid"; then
      log "redis-server pid $pid port $port (profile $1)"
      return 0
    fi
    stop_pid "$pid"
    PID[redis]=""
    grep -q "Address already in use" "$dir/server.log" 2>/dev/null || break
  done
  tail -n 20 "$dir/server.log" "$dir/stdout.log" >&2 2>/dev/null || true
  fail "redis-server did not start: ${STARTCMD[redis]}"
  return 1
}

stop_servers() {
  local s
  for s in pykv redis; do
    if [[ -n ${PID[$s]:-} ]]; then stop_pid "${PID[$s]}"; fi
    PID[$s]=""
  done
}

server_ok() {  # server_ok SERVER: false (and one failure) once it has died
  local s=$1
  [[ ${DEAD[$s]} == 1 ]] && return 1
  if proc_alive "${PID[$s]}"; then return 0; fi
  DEAD[$s]=1
  local st="" pid=${PID[$s]}
  wait "$pid" 2>/dev/null || st=$?
  PID[$s]=""  # reaped: never signal this pid again
  fail "$s-server (pid $pid) died${st:+ (exit status $st)}; started as: ${STARTCMD[$s]}; last log lines: $(tail -n 5 "${LOGF[$s]}" 2>/dev/null | tr '\n' '|')"
  return 1
}

cpu_ticks() {  # "utime stime" of PID in clock ticks
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }  # fields from 3 (state) on; the command name may contain spaces
  local -a f
  read -ra f <<<"$st"
  echo "${f[11]} ${f[12]}"
}

rss_bytes() { awk '/^VmRSS:/{print $2 * 1024}' "/proc/$1/status"; }
used_memory() { cli "$1" info memory | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}'; }
dbsize() { cli "$1" dbsize | tr -d '\r'; }

# ---------------------------------------------------------------------------------------
# Measurements. Results: RES[row:server:round:metric] (rps, cpu, ticks, used, rss).

declare -A RES=()
raw() { [[ -z $BENCH_RAW ]] || printf '%s\n' "$*" >>"$WORK/raw.csv"; }
raw "profile,row,server,round,metric,value"

parse_rps() {  # --csv line "NAME","rps",... or -q "NAME: rps requests per second"
  awk '
    /^"/ { n = split($0, a, "\",\""); if (n > 1 && a[1] != "\"test") { r = a[2]; gsub(/"/, "", r) } next }
    match($0, /[0-9.]+ requests per second/) { r = substr($0, RSTART, RLENGTH); sub(/ .*/, "", r) }
    END { if (r ~ /^[0-9]+(\.[0-9]+)?$/ && r + 0 > 0) print r }'
}

RESP_FILE=""
make_load_file() {  # make_load_file [N]: exactly N (MEM_KEYS) distinct keys key:%012d (the
  local n=${1:-$MEM_KEYS}  # names redis-benchmark -r uses) in RESP_FILE
  RESP_FILE=$WORK/load-$n.resp
  [[ -s $RESP_FILE ]] && return 0
  awk -v n="$n" -v d="$DATA_SIZE" 'BEGIN {
    v = sprintf("%*s", d, ""); gsub(/ /, "x", v)
    for (i = 0; i < n; i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$%d\r\n%s\r\n", i, d, v
  }' >"$RESP_FILE"
}

load_keys() {  # load_keys SERVER [N]: redis-cli --pipe of RESP_FILE (N keys); true on success
  local s=$1 n=${2:-$MEM_KEYS} out
  local -a cmd=("${CLIENT_PIN[@]}" "$REDIS_CLI" -h 127.0.0.1 -p "${PORT[$s]}" --pipe)
  if [[ $s == pykv ]]; then CMDS+=("load ($n keys):  $(printf '%q ' "${cmd[@]}")< ${RESP_FILE##*/}   # SET key:%012d <${DATA_SIZE} x 'x'>"); fi
  out=$(timeout -k 5 "$RUN_TIMEOUT" "${cmd[@]}" <"$RESP_FILE" 2>&1) || {
    fail "$s: redis-cli --pipe failed: $(tail -n 3 <<<"$out" | tr '\n' '|')"
    return 1
  }
  if ! grep -Eq "errors: 0, replies: $n([^0-9]|\$)" <<<"$out"; then
    fail "$s: redis-cli --pipe: $(grep 'errors:' <<<"$out" || tail -n 2 <<<"$out")"
    return 1
  fi
}

measure_memory() {  # measure_memory ROW: fresh servers; baseline, load, measure
  local i=$1 s u0 r0 u1 r1 keys prof=${ROW_PROFILE[$1]}
  for s in pykv redis; do
    server_ok "$s" || continue
    cli "$s" flushall >/dev/null
    sleep 0.5
    u0=$(used_memory "$s") r0=$(rss_bytes "${PID[$s]}")
    load_keys "$s" || continue
    sleep 1  # let incremental rehashing finish before reading the numbers
    server_ok "$s" || continue
    u1=$(used_memory "$s") r1=$(rss_bytes "${PID[$s]}") keys=$(dbsize "$s")
    if [[ $keys != "$MEM_KEYS" ]]; then
      fail "$s: DBSIZE is '$keys' after loading $MEM_KEYS keys"
      continue
    fi
    RES[$i:$s:1:used]=$(awk -v a="$u1" -v b="$u0" -v k="$keys" 'BEGIN { printf "%.1f", (a - b) / k }')
    RES[$i:$s:1:rss]=$(awk -v a="$r1" -v b="$r0" -v k="$keys" 'BEGIN { printf "%.1f", (a - b) / k }')
    raw "$prof,${ROW_LABEL[$i]},$s,1,used_memory_bytes_per_key,${RES[$i:$s:1:used]}"
    raw "$prof,${ROW_LABEL[$i]},$s,1,rss_bytes_per_key,${RES[$i:$s:1:rss]}"
    log "$s memory: used_memory $u0 -> $u1, RSS $r0 -> $r1, $keys keys"
  done
}

# --- Restart rows -----------------------------------------------------------------------

info_field() {  # info_field SERVER SECTION FIELD
  cli "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2 }'
}

aof_files() {  # aof_files SERVER: "name=bytes ..." of the files below the server's directory
  find "${SDIR[$1]}" -mindepth 2 -type f -printf '%f=%s\n' 2>/dev/null | sort | paste -sd ' ' -
}

prune_aof_dirs() {  # remove the AOF directories of the finished profile (keeps the logs)
  [[ $BENCH_KEEP == 1 ]] && return 0
  find "$WORK" -mindepth 2 -maxdepth 2 -type d -exec rm -rf {} + 2>/dev/null || true
}

shutdown_server() {  # shutdown_server SERVER: SHUTDOWN (flushes and fsyncs the AOF), reap
  local s=$1 pid=${PID[$1]} i st=0
  cli "$s" shutdown >/dev/null 2>&1 || true
  for ((i = 0; i < 600; i++)); do
    proc_alive "$pid" || break
    sleep 0.1
  done
  if proc_alive "$pid"; then
    fail "$s-server (pid $pid) still runs 60 s after SHUTDOWN; started as: ${STARTCMD[$s]}"
    stop_pid "$pid"
    PID[$s]="" DEAD[$s]=1
    return 1
  fi
  wait "$pid" 2>/dev/null || st=$?
  PID[$s]=""
  if ((st != 0)); then
    fail "$s-server (pid $pid) exited with status $st after SHUTDOWN; last log lines: $(tail -n 5 "${LOGF[$s]}" 2>/dev/null | tr '\n' '|')"
  fi
}

READY_S="" READY_ERR=""
wait_loaded() {  # wait_loaded SERVER N T0_US: READY_S = seconds from T0 until DBSIZE == N
  local s=$1 n=$2 t0=$3 pid=${PID[$1]} fd="" reply="" now port limit
  limit=$((t0 + LOAD_TIMEOUT * 1000000))
  READY_S="" READY_ERR=""
  while :; do
    now=${EPOCHREALTIME/[.,]/}
    if ((now > limit)); then
      READY_ERR="not loaded after ${LOAD_TIMEOUT}s (last DBSIZE reply: ${reply:-none})"
      break
    fi
    if ! proc_alive "$pid"; then
      READY_ERR="the server exited while loading"
      break
    fi
    if [[ -z $fd ]]; then
      port=${PORT[$s]}
      if [[ $s == pykv ]]; then port=$(cat "${SDIR[pykv]}/port" 2>/dev/null) || port=""; fi
      if [[ $port =~ ^[0-9]+$ ]] && { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
        PORT[$s]=$port
      else
        fd=""
        sleep 0.01
        continue
      fi
    fi
    if printf 'DBSIZE\r\n' 1>&"$fd" 2>/dev/null && IFS= read -r -t 10 -u "$fd" reply; then
      reply=${reply%$'\r'}
      if [[ $reply == ":$n" ]]; then
        now=${EPOCHREALTIME/[.,]/}
        READY_S=$(awk -v a="$now" -v b="$t0" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')
        break
      fi
      if [[ $reply == :* ]]; then
        READY_ERR="DBSIZE is ${reply#:} once loaded, expected $n"
        break
      fi
    else  # -LOADING (or not answered yet) is polled again; a broken connection reopened
      exec {fd}>&-
      fd=""
    fi
    sleep 0.01
  done
  if [[ -n $fd ]]; then exec {fd}>&-; fi
  [[ -n $READY_S ]]
}

load_log_seconds() {  # load_log_seconds SERVER SKIP_LINES: X of the first "DB loaded from
  local i v  # append only file: X seconds" after line SKIP_LINES of the log (waits up to 5 s)
  for ((i = 0; i < 50; i++)); do
    v=$(tail -n +"$(($2 + 1))" "${LOGF[$1]}" 2>/dev/null |
      sed -n 's/.*DB loaded from append only file: \([0-9.]*\) seconds.*/\1/p' | head -n 1)
    if [[ -n $v ]]; then
      echo "$v"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

restart_once() {  # restart_once SERVER ROW ROUND KIND: SHUTDOWN, start again, time the load
  local s=$1 i=$2 r=$3 kind=$4 n=${ROW_N[$2]} lines t0 secs pid
  server_ok "$s" || return 0
  shutdown_server "$s" || return 0
  lines=$(wc -l <"${LOGF[$s]}")
  if [[ $s == pykv ]]; then rm -f "${SDIR[pykv]}/port"; fi
  t0=${EPOCHREALTIME/[.,]/}
  launch "$s"
  pid=${PID[$s]}
  if ! wait_loaded "$s" "$n" "$t0"; then
    fail "$s: restart from the $kind, round $r: $READY_ERR; server: ${STARTCMD[$s]}; last log lines: $(tail -n 5 "${LOGF[$s]}" 2>/dev/null | tr '\n' '|') (reproduce: BENCH_KEEP=1 $0 --only '${ROW_LABEL[$i]}' and restart the server on its kept directory)"
    stop_pid "$pid"
    PID[$s]="" DEAD[$s]=1
    return 0
  fi
  RES[$i:$s:$r:${kind}_ready]=$READY_S
  raw "${ROW_PROFILE[$i]},${ROW_LABEL[$i]},$s,$r,${kind}_ready_s,$READY_S"
  if secs=$(load_log_seconds "$s" "$lines"); then
    RES[$i:$s:$r:${kind}_load]=$secs
    raw "${ROW_PROFILE[$i]},${ROW_LABEL[$i]},$s,$r,${kind}_load_s,$secs"
  else
    secs=none
    fail "$s: no 'DB loaded from append only file: X seconds' line in ${LOGF[$s]} after the restart from the $kind"
  fi
  log "round $r restart from the $kind, $s: ready after ${READY_S}s, load ${secs}s (log)"
}

rewrite_aof() {  # rewrite_aof SERVER: BGREWRITEAOF and wait until it is done
  local s=$1 out i info="" ip="" sched="" before after
  before=$(info_field "$s" persistence aof_rewrites)
  out=$(cli "$s" bgrewriteaof 2>&1 | tr -d '\r') || true
  if [[ -z $out || $out == *ERR* ]]; then
    fail "$s: BGREWRITEAOF answered '$out'"
    DEAD[$s]=1
    return 1
  fi
  for ((i = 0; i < LOAD_TIMEOUT * 10; i++)); do
    info=$(cli "$s" info persistence | tr -d '\r') || info=""
    ip=$(awk -F: '$1 == "aof_rewrite_in_progress" { print $2 }' <<<"$info")
    sched=$(awk -F: '$1 == "aof_rewrite_scheduled" { print $2 }' <<<"$info")
    after=$(awk -F: '$1 == "aof_rewrites" { print $2 }' <<<"$info")
    if [[ $ip == 0 && ${sched:-0} == 0 && (-z $before || $after != "$before") ]]; then break; fi
    server_ok "$s" || return 1
    sleep 0.1
  done
  if [[ $ip != 0 || ${sched:-0} != 0 ]]; then
    fail "$s: BGREWRITEAOF still running after ${LOAD_TIMEOUT}s"
    DEAD[$s]=1
    return 1
  fi
  if [[ $(awk -F: '$1 == "aof_last_bgrewrite_status" { print $2 }' <<<"$info") != ok ]]; then
    fail "$s: BGREWRITEAOF failed: $(grep -E '^aof_(last_bgrewrite_status|rewrites)' <<<"$info" | tr '\n' ' ')"
    DEAD[$s]=1
    return 1
  fi
  log "$s: BGREWRITEAOF done ($(aof_files "$s"))"
}

restart_rounds() {  # restart_rounds ROW KIND
  local r s
  local -a order
  for ((r = 1; r <= RESTART_ROUNDS; r++)); do
    if ((r % 2)); then order=(pykv redis); else order=(redis pykv); fi
    for s in "${order[@]}"; do restart_once "$s" "$1" "$r" "$2"; done
  done
}

measure_restart() {  # measure_restart ROW: own fresh servers and directories
  local i=$1 prof=${ROW_PROFILE[$1]} n=${ROW_N[$1]} s
  log "profile $prof, ${ROW_LABEL[$i]}: starting servers"
  if ! start_pykv "$prof" "pykv-$prof-row$i" || ! start_redis "$prof" "redis-$prof-row$i"; then
    stop_servers
    return 0
  fi
  CMDS+=("# profile $prof, ${ROW_LABEL[$i]} (own servers and fresh directories)"
    "pykv server:  ${STARTCMD[pykv]}" "redis server: ${STARTCMD[redis]}")
  for s in pykv redis; do
    if [[ $(info_field "$s" persistence aof_enabled) != 1 ]]; then
      fail "$s: '${ROW_LABEL[$i]}' needs --appendonly yes in profile $prof"
      DEAD[$s]=1
    fi
  done
  make_load_file "$n"
  for s in pykv redis; do
    if server_ok "$s" && ! load_keys "$s" "$n"; then DEAD[$s]=1; fi
  done
  CMDS+=("restart: redis-cli SHUTDOWN, the same server command again on the same directory; ready = wall clock from the start until DBSIZE is $n (one connection, polled every 10 ms); load = the figure of the server's log line 'DB loaded from append only file: X seconds'"
    "  (a) from the incremental log: the keys as loaded above, no rewrite; then redis-cli BGREWRITEAOF, wait for aof_rewrite_in_progress:0, (b) from the base")
  NOTES+=("${ROW_LABEL[$i]}: AOF files for the restart from the log: pykv: $(aof_files pykv); redis: $(aof_files redis)")
  restart_rounds "$i" log
  for s in pykv redis; do
    if server_ok "$s"; then rewrite_aof "$s" || true; fi
  done
  NOTES+=("${ROW_LABEL[$i]}: AOF files for the restart from the base: pykv: $(aof_files pykv); redis: $(aof_files redis)")
  restart_rounds "$i" base
  stop_servers
  prune_aof_dirs
}

# --- fsync rows -------------------------------------------------------------------------

wait_traced() {  # wait_traced PID TRACER: up to 10 s until every thread of PID is traced
  local pid=$1 tracer=$2 i t ok
  for ((i = 0; i < 100; i++)); do
    proc_alive "$tracer" || return 1
    ok=1
    for t in /proc/"$pid"/task/*/status; do
      if [[ $(awk '/^TracerPid:/ { print $2 }' "$t" 2>/dev/null) != "$tracer" ]]; then
        ok=0
        break
      fi
    done
    ((ok)) && return 0
    sleep 0.1
  done
  return 1
}

measure_fsync() {  # measure_fsync ROW: one run per server with strace -f -c attached
  local i=$1 s n=${ROW_N[$1]} spid stf calls detail
  local -a scmd
  if ! command -v strace >/dev/null 2>&1; then
    fail "strace not found (tools/install-deps.sh installs it): '${ROW_LABEL[$i]}' not measured"
    return 0
  fi
  for s in pykv redis; do
    server_ok "$s" || continue
    stf=$WORK/strace.$s.$i
    scmd=(strace -f -c -e 'trace=fsync,fdatasync' -o "$stf" -p "${PID[$s]}")
    if [[ $s == pykv ]]; then
      CMDS+=("fsync count: $(printf '%q ' "${scmd[@]}")&  # attached to each server (all threads) during the run below, then SIGINT")
    fi
    "${scmd[@]}" 2>"$stf.err" &
    spid=$!
    if ! wait_traced "${PID[$s]}" "$spid"; then
      fail "$s: strace did not attach to pid ${PID[$s]}: $(head -n 3 "$stf.err" | tr '\n' '|'); reproduce: $(printf '%q ' "${scmd[@]}")"
      stop_pid "$spid"
      continue
    fi
    run_bench "$s" "$i" 1
    kill -INT "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    if ! grep -q 'total' "$stf" 2>/dev/null; then
      fail "$s: no strace -c summary in $stf: $(head -n 3 "$stf.err" | tr '\n' '|')"
      continue
    fi
    [[ -n ${RES[$i:$s:1:rps]:-} ]] || continue  # the run failed (reported)
    calls=$(awk '$NF == "fsync" || $NF == "fdatasync" { c += $4 } END { print c + 0 }' "$stf")
    detail=$(awk '$NF == "fsync" || $NF == "fdatasync" { printf "%s%s=%s", sep, $NF, $4; sep = " " }' "$stf")
    RES[$i:$s:1:fsync]=$(awk -v c="$calls" -v n="$n" 'BEGIN { printf "%.3f", c * 1000 / n }')
    raw "${ROW_PROFILE[$i]},${ROW_LABEL[$i]},$s,1,fsync_calls,$calls"
    raw "${ROW_PROFILE[$i]},${ROW_LABEL[$i]},$s,1,fsync_per_1000,${RES[$i:$s:1:fsync]}"
    NOTES+=("${ROW_LABEL[$i]} [${ROW_PROFILE[$i]}]: $s: ${detail:-no fsync/fdatasync calls} in $n requests")
    log "$s: $calls fsync+fdatasync calls in $n requests (${detail:-none})"
  done
}

run_bench() {  # run_bench SERVER ROW ROUND
  local s=$1 i=$2 round=$3 t0 t1 rc=0 rps errs
  local n=${ROW_N[$i]} out=$WORK/out.$s err=$WORK/err.$s
  local -a args cmd
  IFS=$US read -ra args <<<"${ROW_ARGS[$i]}"
  server_ok "$s" || return 0
  cmd=("${CLIENT_PIN[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "${PORT[$s]}" -n "$n" --csv "${args[@]}")
  if ((round == 1)); then CMDS+=("$(printf '%-5s %s' "$s:" "$(printf '%q ' "${cmd[@]}")")"); fi
  local u0 s0 u1 s1 client
  read -r u0 s0 < <(cpu_ticks "${PID[$s]}") || u0=""
  # bash's time keyword: the load generator's own CPU (user+sys) and wall seconds.
  client=$( { TIMEFORMAT='%U %S %R'; time timeout -k 5 "$RUN_TIMEOUT" "${cmd[@]}" >"$out" 2>"$err"; } 2>&1 ) || rc=$?
  read -r u1 s1 < <(cpu_ticks "${PID[$s]}") || u1=""
  if [[ -n $u0 && -n $u1 ]]; then t0=$((u0 + s0)) t1=$((u1 + s1)); else t0="" t1=""; fi
  rps=$(parse_rps <"$out")
  errs=$(grep -m 3 -i "error" "$err" | tr '\n' '|' || true)
  if ((rc == 124 || rc == 137)); then
    fail "$s: '${ROW_LABEL[$i]}' timed out after ${RUN_TIMEOUT}s; reproduce: $(printf '%q ' "${cmd[@]}")"
  elif ((rc != 0)) || [[ -n $errs || -z $rps ]]; then
    fail "$s: '${ROW_LABEL[$i]}' round $round: exit $rc, errors: ${errs:-none}, rps: ${rps:-unparsed}; reproduce: $(printf '%q ' "${cmd[@]}")"
  fi
  server_ok "$s" || return 0
  if [[ -n $rps && -n $t0 && -n $t1 ]] && ((rc == 0)) && [[ -z $errs ]]; then
    RES[$i:$s:$round:rps]=$rps
    RES[$i:$s:$round:ticks]=$((t1 - t0))
    RES[$i:$s:$round:cpu]=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$n" \
      'BEGIN { printf "%.4f", t * 1e6 / hz / n }')
    RES[$i:$s:$round:ucpu]=$(awk -v t=$((u1 - u0)) -v hz="$CLK_TCK" -v n="$n" \
      'BEGIN { printf "%.4f", t * 1e6 / hz / n }')
    RES[$i:$s:$round:client]=$(awk -v t="$client" \
      'BEGIN { split(t, f, " "); if (f[3] > 0) printf "%.1f", (f[1] + f[2]) * 100 / f[3] }')
    raw "${ROW_PROFILE[$i]},${ROW_LABEL[$i]},$s,$round,rps,$rps"
    raw "${ROW_PROFILE[$i]},${ROW_LABEL[$i]},$s,$round,cpu_us_per_req,${RES[$i:$s:$round:cpu]}"
    raw "${ROW_PROFILE[$i]},${ROW_LABEL[$i]},$s,$round,cpu_ticks,$((t1 - t0))"
    log "round $round ${ROW_LABEL[$i]} $s: $rps req/s, ${RES[$i:$s:$round:cpu]} us/req ($((t1 - t0)) ticks)"
  fi
}

warm_up() {
  local s rc
  local -a cmd
  for s in pykv redis; do
    server_ok "$s" || continue
    cmd=("${CLIENT_PIN[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "${PORT[$s]}" -n "$WARMUP_REQUESTS"
      -c 50 -P 1 -t "set,get" -r "$KEYSPACE" -d "$DATA_SIZE" --csv)
    if [[ $s == pykv ]]; then CMDS+=("warm-up: $(printf '%q ' "${cmd[@]}")"); fi
    rc=0
    timeout -k 5 "$RUN_TIMEOUT" "${cmd[@]}" >/dev/null 2>"$WORK/err.$s" || rc=$?
    if ((rc != 0)) || grep -qi error "$WORK/err.$s"; then
      fail "$s: warm-up failed (exit $rc): $(head -n 3 "$WORK/err.$s" | tr '\n' '|'); reproduce: $(printf '%q ' "${cmd[@]}")"
    fi
  done
}

run_profile() {  # run_profile NAME: every row of the profile, ROUNDS rounds
  local prof=$1 i s round first second has_mem=0 has_rows=0
  for i in "${!ROW_KIND[@]}"; do
    [[ ${ROW_PROFILE[$i]} == "$prof" ]] || continue
    case ${ROW_KIND[$i]} in
      restart) measure_restart "$i" ;;  # own servers, first
      mem) has_mem=1 has_rows=1 ;;
      *) has_rows=1 ;;
    esac
  done
  ((has_rows)) || return 0
  log "profile $prof: starting servers"
  if ! start_pykv "$prof" || ! start_redis "$prof"; then
    stop_servers
    log "profile $prof skipped: its rows are reported as ERR"
    return 0
  fi
  CMDS+=("# profile $prof" "pykv server:  ${STARTCMD[pykv]}" "redis server: ${STARTCMD[redis]}")
  make_load_file
  if ((has_mem)); then
    for i in "${!ROW_KIND[@]}"; do
      if [[ ${ROW_PROFILE[$i]} == "$prof" && ${ROW_KIND[$i]} == mem ]]; then measure_memory "$i"; fi
    done
  else
    for s in pykv redis; do
      if server_ok "$s"; then load_keys "$s" || true; fi
    done
  fi
  warm_up
  for ((round = 1; round <= ROUNDS; round++)); do
    if ((round % 2)); then first=pykv second=redis; else first=redis second=pykv; fi
    for i in "${!ROW_KIND[@]}"; do
      [[ ${ROW_PROFILE[$i]} == "$prof" && ${ROW_KIND[$i]} == bench ]] || continue
      run_bench "$first" "$i" "$round"
      run_bench "$second" "$i" "$round"
    done
  done
  for i in "${!ROW_KIND[@]}"; do
    if [[ ${ROW_PROFILE[$i]} == "$prof" && ${ROW_KIND[$i]} == fsync ]]; then measure_fsync "$i"; fi
  done
  stop_servers
  prune_aof_dirs
}

# ---------------------------------------------------------------------------------------
# Report.

median() { sort -g | awk 'NF { v[++n] = $1 } END { if (n == 0) exit; m = int((n + 1) / 2); if (n % 2) printf "%.6f\n", v[m]; else printf "%.6f\n", (v[m] + v[m + 1]) / 2 }'; }

# table_line LABEL UNIT ROW METRIC ROUNDS GOAL_OP GOAL DECIMALS (GOAL_OP info: no goal, INFO)
table_line() {
  local label=$1 unit=$2 i=$3 metric=$4 rounds=$5 op=$6 goal=$7 dec=$8 r p q
  local pv=() rv=() ratios=() mp mr mratio result
  for ((r = 1; r <= rounds; r++)); do
    p=${RES[$i:pykv:$r:$metric]:-} q=${RES[$i:redis:$r:$metric]:-}
    [[ -n $p ]] && pv+=("$p")
    [[ -n $q ]] && rv+=("$q")
    if [[ -n $p && -n $q ]] && awk -v q="$q" 'BEGIN { exit !(q > 0) }'; then
      ratios+=("$(awk -v p="$p" -v q="$q" 'BEGIN { printf "%.6f", p / q }')")
    fi
  done
  mp=$(printf '%s\n' "${pv[@]}" | median)
  mr=$(printf '%s\n' "${rv[@]}" | median)
  mratio=$(printf '%s\n' "${ratios[@]}" | median)
  if [[ -z $mp || -z $mr ]]; then
    result=ERR
  elif [[ $op == info ]]; then
    result=INFO
  elif [[ -z $mratio ]]; then
    result=n/a
  elif awk -v x="$mratio" -v g="$goal" -v op="$op" 'BEGIN { exit !(op == ">=" ? x >= g : x <= g) }'; then
    result=PASS
  else
    result=MISS
  fi
  if [[ -n $mp ]]; then mp=$(printf '%.*f' "$dec" "$mp"); else mp=ERR; fi
  if [[ -n $mr ]]; then mr=$(printf '%.*f' "$dec" "$mr"); else mr=ERR; fi
  if [[ -n $mratio ]]; then mratio=$(printf '%.2f' "$mratio"); else mratio=-; fi
  if [[ $op == info ]]; then goal=- op=""; fi
  printf '%-*s %-13s %12s %12s %8s %9s  %s\n' "$LABEL_W" "$label" "$unit" "$mp" "$mr" "$mratio" "${op:+$op }$goal" "$result"
}

table_specs() {  # table_specs ROW: the table lines of a row, one per line, fields separated by
  local i=$1 sfx="" g=${ROW_GOAL[$1]} l=${ROW_LABEL[$1]} k  # US: table_line's arguments
  [[ ${ROW_PROFILE[$i]} != default ]] && sfx=" [${ROW_PROFILE[$i]}]"
  case ${ROW_KIND[$i]} in
    bench)
      printf '%s\n' "$l$sfx${US}req/s (high)$US$i${US}rps$US$ROUNDS$US>=$US$(printf '%.1f' "$g")${US}0"
      printf '%s\n' "$l$sfx${US}us/req (low)$US$i${US}cpu$US$ROUNDS$US<=$US$CPU_GOAL${US}3"
      printf '%s\n' "  user-space part$sfx${US}us/req$US$i${US}ucpu$US$ROUNDS${US}info$US-${US}3"
      printf '%s\n' "  redis-benchmark busy$sfx${US}% of a CPU$US$i${US}client$US$ROUNDS${US}info$US-${US}0" ;;
    mem)
      printf '%s\n' "used_memory $l$sfx${US}B/key (low)$US$i${US}used${US}1$US<=$US$g${US}1"
      printf '%s\n' "RSS $l$sfx${US}B/key (low)$US$i${US}rss${US}1$US<=$US$g${US}1" ;;
    restart)
      for k in log base; do
        printf '%s\n' "$l from $k: load$sfx${US}s (low)$US$i$US${k}_load$US$RESTART_ROUNDS$US<=$US$g${US}3"
        printf '%s\n' "$l from $k: ready$sfx${US}s (low)$US$i$US${k}_ready$US$RESTART_ROUNDS$US<=$US$g${US}3"
      done ;;
    fsync)
      printf '%s\n' "$l$sfx${US}calls/1000 req$US$i${US}fsync${US}1${US}info$US-${US}2"
      printf '%s\n' "  (req/s under strace)$sfx${US}req/s$US$i${US}rps${US}1${US}info$US-${US}0" ;;
  esac
}

LABEL_W=24
report() {
  local i c l k
  local -a specs spec
  for i in "${!ROW_KIND[@]}"; do
    while IFS= read -r l; do
      specs+=("$l")
      l=${l%%"$US"*}
      if ((${#l} > LABEL_W)); then LABEL_W=${#l}; fi
    done < <(table_specs "$i")
  done
  echo
  echo "== PyKV vs Redis ($("$REDIS_SERVER" --version | awk '{print $3}')) — $(date -u '+%Y-%m-%d %H:%M:%SZ'), $(uname -r)"
  echo "pykv: $PYKV_SERVER"
  echo "rounds: $ROUNDS, requests per run: $REQUESTS (pipelined rows x$PIPELINE_MULT), keyspace -r $KEYSPACE, values -d $DATA_SIZE, CLK_TCK $CLK_TCK"
  echo "restart rows: $RESTART_KEYS keys, $RESTART_ROUNDS restart(s) per server and kind; appendfsync always rows: $ALWAYS_REQUESTS requests; work directory on $(df -PT "$WORK" | awk 'NR == 2 { print $2 " (" $1 ")" }')"
  echo "load average (1/5/15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg) ($NCPU CPUs; other load skews req/s more than us/req)"
  for c in "${NOTES[@]}"; do echo "note: $c"; done
  echo
  echo "Commands (warm-up and load run the same way against redis; -n is the row's request count):"
  for c in "${CMDS[@]}"; do echo "  $c"; done
  echo
  echo "Direction: req/s higher is better; us/req (server CPU, utime+stime per request), bytes/key and restart seconds lower is better."
  echo "Values are medians over the rounds; ratio = median over rounds of (pykv / redis); memory and fsync counts are measured once."
  echo "Restart: 'from log' = pure incremental AOF, 'from base' = after BGREWRITEAOF; load = the server's own log line, ready = process start until DBSIZE matches."
  printf '%-*s %-13s %12s %12s %8s %9s  %s\n' "$LABEL_W" row unit pykv redis ratio goal result
  printf '%-*s %-13s %12s %12s %8s %9s  %s\n' "$LABEL_W" "----" "----" "----" "-----" "-----" "----" "------"
  for l in "${specs[@]}"; do
    IFS=$US read -ra spec <<<"$l"
    table_line "${spec[@]}"
  done
  if ((ROUNDS > 1 || RESTART_ROUNDS > 1)); then
    echo
    echo "Per round (req/s pykv/redis (CPU ticks pykv/redis); restart seconds pykv/redis, load (ready)):"
    local r line
    for i in "${!ROW_KIND[@]}"; do
      l="" c=${ROW_LABEL[$i]}
      [[ ${ROW_PROFILE[$i]} != default ]] && l=" [${ROW_PROFILE[$i]}]"
      case ${ROW_KIND[$i]} in
        bench)
          line=""
          for ((r = 1; r <= ROUNDS; r++)); do
            line+="  r$r ${RES[$i:pykv:$r:rps]:-ERR}/${RES[$i:redis:$r:rps]:-ERR}"
            line+=" (${RES[$i:pykv:$r:ticks]:-?}/${RES[$i:redis:$r:ticks]:-?})"
          done
          printf '  %-48s%s\n' "$c$l" "$line" ;;
        restart)
          for k in log base; do
            line=""
            for ((r = 1; r <= RESTART_ROUNDS; r++)); do
              line+="  r$r ${RES[$i:pykv:$r:${k}_load]:-ERR}/${RES[$i:redis:$r:${k}_load]:-ERR}"
              line+=" (${RES[$i:pykv:$r:${k}_ready]:-ERR}/${RES[$i:redis:$r:${k}_ready]:-ERR})"
            done
            printf '  %-48s%s\n' "$c from $k$l" "$line"
          done ;;
      esac
    done
  fi
  if ((${#FAILURES[@]})); then
    echo
    echo "FAILURES (something did not run; exit status 1):"
    for c in "${FAILURES[@]}"; do echo "  - $c"; done
  fi
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "pykv: $PYKV_SERVER; redis: $REDIS_SERVER; rounds $ROUNDS; requests $REQUESTS; work dir $WORK"
for prof in "${PROFILES[@]}"; do run_profile "$prof"; done
report
if [[ -n $BENCH_RAW ]]; then cp "$WORK/raw.csv" "$BENCH_RAW"; fi
exit "$FAILED"
