# shellcheck shell=bash disable=SC2034  # FAILED, SERVER_PIN, CLIENT_PIN are read by the caller
# Shared by the benchmark scripts (tools/bench-vs-redis.sh, bench-http.sh, bench-cli.sh,
# bench-replication.sh): process stopping, the EXIT clean-up of every server a script
# started, free loopback ports, failure bookkeeping and CPU pinning. Sourced, not run.
# The caller defines log(), WORK, BENCH_KEEP, the PID map, FAILURES and NOTES, and
# BENCH_CLIENTS (the load generators' names, for the notes).

proc_alive() {  # running and not a zombie
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  [[ ${st%% *} != Z ]]
}

stop_pid() {  # TERM, wait up to 10 s, then KILL; reaps the child
  local pid=$1 i
  if proc_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      proc_alive "$pid" || break
      sleep 0.1
    done
    if proc_alive "$pid"; then
      log "pid $pid did not stop in 10 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local s
  for s in "${!PID[@]}"; do
    if [[ -n ${PID[$s]} ]]; then stop_pid "${PID[$s]}"; fi
  done
  if [[ $BENCH_KEEP == 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() { (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {  # a random loopback port nothing listens on right now
  # Below the kernel's ephemeral range, which the load generators' own connections take
  # their ports from: a port one of them holds cannot be listened on, though nothing
  # listens there.
  local p lo=32768
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
  ((lo > 11000)) || lo=32768
  while :; do
    p=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
    port_in_use "$p" || { echo "$p"; return; }
  done
}

fail() {
  FAILED=1
  FAILURES+=("$*")
  log "FAILED: $*"
}

expand_cpu_list() {  # "0-2,5" -> "0 1 2 5"
  local part a b out=()
  local -a parts
  IFS=, read -ra parts <<<"$1"
  for part in "${parts[@]}"; do
    if [[ $part == *-* ]]; then
      a=${part%-*} b=${part#*-}
      for ((; a <= b; a++)); do out+=("$a"); done
    elif [[ -n $part ]]; then
      out+=("$part")
    fi
  done
  echo "${out[*]}"
}

declare -a SERVER_PIN=() CLIENT_PIN=()
NCPU=$(nproc)
read -ra ALLOWED <<<"$(expand_cpu_list "$(awk '/^Cpus_allowed_list:/{print $2}' /proc/self/status)")"
if ! command -v taskset >/dev/null 2>&1; then
  NOTES+=("taskset not found: servers and load generator are NOT pinned")
elif ((NCPU < 2 || ${#ALLOWED[@]} < 2)); then
  NOTES+=("only $NCPU CPU(s): servers and load generator are NOT pinned and share the CPU (numbers are rough)")
else
  SERVER_CPU=${SERVER_CPU:-${ALLOWED[0]}}
  CLIENT_CPU=${CLIENT_CPU:-${ALLOWED[1]}}
  SERVER_PIN=(taskset -c "$SERVER_CPU")
  CLIENT_PIN=(taskset -c "$CLIENT_CPU")
  NOTES+=("servers pinned to CPU $SERVER_CPU, $BENCH_CLIENTS to CPU $CLIENT_CPU ($NCPU CPUs)")
fi
