#!/usr/bin/env bash
# HTTP benchmark of the Backend.cs pipeline. Starts bench/BenchServer (the bkcs server plus a bare endpoint) on
# 127.0.0.1 with a temporary home, then loads three endpoints of that one process with wrk:
#   bare         GET /bench/bare    open path, writes "{}": the baseline every ratio is relative to
#   ping         GET /ping          open path (-api-allow-path ^/ping$), the built-in endpoint
#   account/get  GET /account/get   signed (v1 header), one SQLite read for bk_auth + one for bk_account
# It samples the server's VmRSS during the load, then times `bkcs run-backend` from launch to the first 200 on
# /ping. The summary goes to stdout and to bench/http/last-run.txt. For each timed run it also records the CPU
# time of the server, of wrk and of everything else on the machine (from /proc), and the server's runtime counters
# (allocations, GCs, thread pool, lock contention) from its GET /bench/stats.
#
# The machine is shared and noisy: read the ratios (req/s vs bare, server CPU per request vs bare), not the absolute
# req/s, and look at the "other" CPU share before trusting a latency percentile.
#
# Settings (environment): DURATION=10s WARMUP=3s CONNECTIONS=64 THREADS=2 ROUNDS=1 STARTS=5 SKIP_BUILD=0
#   ROUNDS=n     repeats bare/ping/account-get n times, interleaved; the summary shows medians
#   OUT=path     where the summary is written (default bench/http/last-run.txt)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-1}
STARTS=${STARTS:-5}
SKIP_BUILD=${SKIP_BUILD:-0}
OUT=${OUT:-$root/bench/http/last-run.txt}
EXPIRES=$(( ($(date +%s) + 86400) * 1000 )) # a day ahead (within -api-signature-max-age, 7 days): one static signature serves every request
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

server_dll=$root/bench/BenchServer/bin/Release/net10.0/Backend.Bench.Server.dll
bkcs_dll=$root/src/Backend.Cli/bin/Release/net10.0/bkcs.dll

die() { echo "bench/http/run.sh: $*" >&2; exit 1; }

# ---- tools -----------------------------------------------------------------------------------------------------
command -v dotnet >/dev/null || die "dotnet (the .NET 10 SDK) is required"
command -v curl >/dev/null || die "curl is required"
command -v openssl >/dev/null || die "openssl is required (it signs the request)"
if ! command -v wrk >/dev/null; then
  echo "== installing wrk (Debian package)"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  else
    sudo apt-get install -y -qq wrk >/dev/null 2>&1 || { sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; }
  fi
  command -v wrk >/dev/null || die "could not install wrk"
fi

# ---- state and cleanup -------------------------------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bkcs-bench.XXXXXX")
server_pid=""
sampler_pid=""
stop_pid() { # stop_pid PID: SIGTERM, then SIGKILL after 5 s
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$sampler_pid"
  stop_pid "$server_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { # a port nothing listens on at 127.0.0.1, below the ephemeral range (clients' local ports live there)
  local low=32768 port i
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$low" -gt 12000 ] || low=32768
  for i in $(seq 100); do
    port=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  die "no free port found"
}
# start_server LOG CMD...: starts CMD (which ends with -api-port), appending a free port; sets server_pid and port.
# Retries on another port when the chosen one was taken in the meantime (other programs share this machine).
start_server() {
  local log=$1 try; shift
  for try in 1 2 3 4 5; do
    start_tries=$try
    port=$(free_port)
    "$@" "$port" >"$log" 2>&1 &
    server_pid=$!
    wait_ok "http://127.0.0.1:$port/ping" "$server_pid" 30 && return 0
    if ! kill -0 "$server_pid" 2>/dev/null && grep -qi 'address already in use' "$log"; then
      wait "$server_pid" 2>/dev/null || true; server_pid=""; continue
    fi
    cat "$log" >&2; die "the server did not answer /ping"
  done
  die "no port could be bound"
}

now_ns() { date +%s%N; }

# wait_ok URL PID TIMEOUT_S: polls until a 200; fails if the process died or on timeout.
wait_ok() {
  local url=$1 pid=$2 limit=$3 start
  start=$(now_ns)
  while :; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" 2>/dev/null || true)" = 200 ] && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    [ $(( ($(now_ns) - start) / 1000000000 )) -lt "$limit" ] || return 1
    sleep 0.01
  done
}

# ---- build -------------------------------------------------------------------------------------------------------
if [ "$SKIP_BUILD" != 1 ]; then
  echo "== building (Release)"
  dotnet build "$root/src/Backend.Cli/Backend.Cli.csproj" -c Release -nologo -v quiet >"$tmp/build.log" 2>&1 \
    || { cat "$tmp/build.log"; die "build of bkcs failed"; }
  dotnet build "$root/bench/BenchServer/Backend.Bench.Server.csproj" -c Release -nologo -v quiet >"$tmp/build.log" 2>&1 \
    || { cat "$tmp/build.log"; die "build of the bench server failed"; }
fi
[ -f "$server_dll" ] || die "missing $server_dll (build it, or drop SKIP_BUILD=1)"
[ -f "$bkcs_dll" ] || die "missing $bkcs_dll (build it, or drop SKIP_BUILD=1)"

# ---- server ------------------------------------------------------------------------------------------------------
mkdir -p "$tmp/home"
start_server "$tmp/server.log" dotnet "$server_dll" -home "$tmp/home" -api-bind 127.0.0.1 \
  -api-allow-path '^/bench/bare$' -api-allow-path '^/bench/stats$' -api-allow-path '^/ping$' -api-port
base=http://127.0.0.1:$port
echo "== bench server on $base (home $tmp/home)"

# One account; the header below signs GET /account/get for host 127.0.0.1 (the server drops the port from Host).
code=$(curl -s -o "$tmp/add.json" -w '%{http_code}' "$base/account/add?login=bench&secret=bench&name=Bench")
[ "$code" = 200 ] || { cat "$tmp/add.json"; die "/account/add answered $code"; }
sig=$(printf 'GET\n127.0.0.1\n/account/get\n\n%s\n\n\n' "$EXPIRES" | openssl dgst -sha1 -hmac bench -binary | base64)
header="bk-signature: 1||bench|$sig|$EXPIRES||"

declare -A path=([bare]=/bench/bare [ping]=/ping [get]=/account/get)
declare -A label=([bare]=bare [ping]=ping [get]=account/get)
endpoints=(bare ping get)
for ep in "${endpoints[@]}"; do
  hdr=(); [ "$ep" = get ] && hdr=(-H "$header")
  code=$(curl -s -o "$tmp/check.out" -w '%{http_code}' "${hdr[@]}" "$base${path[$ep]}")
  [ "$code" = 200 ] || { cat "$tmp/check.out"; die "GET ${path[$ep]} answered $code before the load"; }
done

# ---- RSS sampler: the phase name comes from a file the main loop rewrites -----------------------------------------
echo idle >"$tmp/phase"
(
  while kill -0 "$server_pid" 2>/dev/null; do
    read -r phase <"$tmp/phase" || phase=idle
    while read -r key value _; do
      [ "$key" = VmRSS: ] && echo "$phase $value"
    done <"/proc/$server_pid/status" 2>/dev/null || true
    sleep 0.2
  done
) >"$tmp/rss.log" &
sampler_pid=$!

field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p"; } # field NAME < result line

# ---- load --------------------------------------------------------------------------------------------------------
wrk_run() { # wrk_run ENDPOINT DURATION: the WRK_RESULT line goes to $tmp/wrk.result
  # Only account/get carries the signature: on an open path a signature is still verified (it identifies the caller),
  # which would make the baseline pay for a database read and an HMAC.
  local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$2" --latency -s "$root/bench/http/report.lua")
  [ "$1" = get ] && args+=(-H "$header")
  wrk "${args[@]}" "$base${path[$1]}" \
    >"$tmp/wrk.out" 2>&1 || { cat "$tmp/wrk.out" >&2; die "wrk failed on ${path[$1]}"; }
  grep '^WRK_RESULT' "$tmp/wrk.out" >"$tmp/wrk.result" || { cat "$tmp/wrk.out" >&2; die "no wrk result for ${path[$1]}"; }
}
# CPU accounting, to tell how much of the machine other processes took during a run (the machine is shared).
machine_ticks() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat; } # busy total
process_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }                          # utime+stime
children_seconds() { # sets REPLY to the CPU seconds of this shell's waited-for children (not in a subshell: `times` is per process)
  times >"$tmp/times"
  REPLY=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] } print s }' "$tmp/times")
}

stats() { curl -s --max-time 5 "$base/bench/stats" >"$tmp/stats.$1" || die "/bench/stats failed"; } # stats before|after
stat_of() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$tmp/stats.$1"; }                                # stat_of before|after NAME
runtime_fields() { # the GC, allocation, thread pool and lock counters of the timed run, as name=value pairs
  local requests=$1
  echo "gen0=$(( $(stat_of after gen0) - $(stat_of before gen0) )) gen1=$(( $(stat_of after gen1) - $(stat_of before gen1) ))" \
    "gen2=$(( $(stat_of after gen2) - $(stat_of before gen2) )) gcpause_ms=$(( $(stat_of after gcPauseMs) - $(stat_of before gcPauseMs) ))" \
    "alloc_per_req=$(( ($(stat_of after allocatedBytes) - $(stat_of before allocatedBytes)) / (requests > 0 ? requests : 1) ))" \
    "threads=$(stat_of after threads) contentions=$(( $(stat_of after lockContentions) - $(stat_of before lockContentions) ))" \
    "heap_mb=$(( $(stat_of after heapBytes) / 1048576 ))"
}

clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$tmp/results"
for round in $(seq "$ROUNDS"); do
  for ep in "${endpoints[@]}"; do
    echo "$ep" >"$tmp/phase"
    echo "== round $round/$ROUNDS: ${label[$ep]}: warm-up $WARMUP, then wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
    wrk_run "$ep" "$WARMUP"
    stats before
    read -r busy0 total0 <<<"$(machine_ticks)"; server0=$(process_ticks "$server_pid"); children_seconds; wrk0=$REPLY
    wrk_run "$ep" "$DURATION"
    read -r busy1 total1 <<<"$(machine_ticks)"; server1=$(process_ticks "$server_pid"); children_seconds; wrk1=$REPLY
    stats after
    cpu=$(awk -v b=$((busy1 - busy0)) -v t=$((total1 - total0)) -v s=$((server1 - server0)) -v w="$(awk -v a="$wrk0" -v b="$wrk1" -v hz="$clk_tck" 'BEGIN { print (b - a) * hz }')" \
      'BEGIN { o = b - s - w; if (o < 0) o = 0; printf "cpu_server=%d cpu_wrk=%d cpu_other=%d", 100 * s / t, 100 * w / t, 100 * o / t }')
    line="$(cat "$tmp/wrk.result") $cpu"
    line="$line $(runtime_fields "$(field requests <<<"$line")")"
    line="$line cpu_ns_per_req=$(awk -v s=$((server1 - server0)) -v hz="$clk_tck" -v n="$(field requests <<<"$line")" 'BEGIN { printf "%d", s * 1e9 / hz / (n > 0 ? n : 1) }')"
    line="$line wrk_ns_per_req=$(awk -v a="$wrk0" -v b="$wrk1" -v n="$(field requests <<<"$line")" 'BEGIN { printf "%d", (b - a) * 1e9 / (n > 0 ? n : 1) }')"
    cp "$tmp/wrk.out" "$tmp/wrk-$round-$ep.out"
    echo "$round $ep $line" >>"$tmp/results"
    echo "   $(sed -n 's/.*requests=\([0-9]*\) duration_us=\([0-9]*\).*/\1 requests in \2 us/p' <<<"$line"); CPU: ${cpu//cpu_/}"
  done
done
echo idle >"$tmp/phase"
sleep 0.5
stop_pid "$sampler_pid"; sampler_pid=""
rss_idle_after=$(awk '$1 == "idle" { v = $2 } END { print v + 0 }' "$tmp/rss.log")
stop_pid "$server_pid"; server_pid=""

# ---- start-up: bkcs run-backend, fresh home each time, launch -> first 200 on /ping -------------------------------
[ "$STARTS" -gt 0 ] && echo "== start-up of bkcs run to the first 200 on /ping, $STARTS times (fresh home each time)"
: >"$tmp/starts"
for i in $(seq "$STARTS"); do
  for try in 1 2 3 4 5; do
    rm -rf "$tmp/start-home"; mkdir -p "$tmp/start-home"
    t0=$(now_ns)
    start_server "$tmp/start.log" dotnet "$bkcs_dll" run -home "$tmp/start-home" -api-bind 127.0.0.1 \
      -api-allow-path '^/ping$' -api-port
    t1=$(now_ns)
    [ "$start_tries" -eq 1 ] && break # a start that had to change port is timed again: each figure is one clean start
    stop_pid "$server_pid"; server_pid=""
  done
  echo $(( (t1 - t0) / 1000000 )) >>"$tmp/starts"
  stop_pid "$server_pid"; server_pid=""
done

# ---- summary -----------------------------------------------------------------------------------------------------
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) { print 0 } else if (NR % 2) { print a[(NR + 1) / 2] } else { print (a[NR / 2] + a[NR / 2 + 1]) / 2 } }'; }
rps_of() { # rps_of ROUND EP
  local l; l=$(awk -v r="$1" -v e="$2" '$1 == r && $2 == e' "$tmp/results")
  awk -v n="$(field requests <<<"$l")" -v d="$(field duration_us <<<"$l")" 'BEGIN { printf "%.1f", n / (d / 1e6) }'
}

{
  echo "Backend.cs HTTP benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); .NET $(dotnet --version 2>/dev/null);" \
    "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- . ':!bench/http/last-run.txt' 2>/dev/null || echo ' (with local changes)');" \
    "load average before: $load_before"
  echo "load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency after a $WARMUP warm-up, on the same machine;" \
    "one server process for all endpoints; rounds: $ROUNDS (medians shown)"
  echo
  printf '%-12s %9s %8s %7s %7s %7s %8s %7s %s\n' endpoint 'req/s' 'vs bare' 'p50 ms' 'p90 ms' 'p99 ms' 'non-2xx' 'RSS MB' 'CPU% server/wrk/other'
  for ep in "${endpoints[@]}"; do
    rps=$(for r in $(seq "$ROUNDS"); do rps_of "$r" "$ep"; echo; done | median)
    ratio=$(for r in $(seq "$ROUNDS"); do awk -v a="$(rps_of "$r" "$ep")" -v b="$(rps_of "$r" bare)" 'BEGIN { print a / b }'; done | median)
    lines=$(awk -v e="$ep" '$2 == e' "$tmp/results")
    p50=$(field p50_us <<<"$lines" | median); p90=$(field p90_us <<<"$lines" | median); p99=$(field p99_us <<<"$lines" | median)
    cpu="$(field cpu_server <<<"$lines" | median | xargs printf '%.0f')/$(field cpu_wrk <<<"$lines" | median | xargs printf '%.0f')/$(field cpu_other <<<"$lines" | median | xargs printf '%.0f')"
    bad=$(field non2xx <<<"$lines" | awk '{ s += $1 } END { print s + 0 }')
    errs=$(for f in connect read write timeout; do field "$f" <<<"$lines"; done | awk '{ s += $1 } END { print s + 0 }')
    rss=$(awk -v e="$ep" '$1 == e && $2 > m { m = $2 } END { printf "%.0f", m / 1024 }' "$tmp/rss.log")
    printf '%-12s %9.0f %8.2f %7.2f %7.2f %7.2f %8s %7s %s\n' "${label[$ep]}" "$rps" "$ratio" \
      "$(awk -v v="$p50" 'BEGIN { print v / 1000 }')" "$(awk -v v="$p90" 'BEGIN { print v / 1000 }')" \
      "$(awk -v v="$p99" 'BEGIN { print v / 1000 }')" "$bad" "$rss" "$cpu"
    [ "$errs" -eq 0 ] || echo "  (${label[$ep]}: $errs socket errors: connect/read/write/timeout)"
    eval "r_${ep}_ratio=$ratio r_${ep}_p99=$p99 r_${ep}_bad=$bad"
  done
  echo "(CPU%: share of the whole machine ($(nproc) cores) used during the timed run by the server, by wrk, and by other processes)"
  echo
  printf '%-12s %12s %14s %12s %16s %14s %10s %11s %8s\n' 'server' 'CPU us/req' 'bare/this CPU' 'alloc B/req' 'GCs gen0/1/2' \
    'GC pause ms/s' 'pool thr.' 'lock cont.' 'heap MB'
  for ep in "${endpoints[@]}"; do
    lines=$(awk -v e="$ep" '$2 == e' "$tmp/results")
    m() { field "$1" <<<"$lines" | median | xargs printf '%.0f'; }
    secs=$(awk -v d="$(field duration_us <<<"$lines" | median)" 'BEGIN { print d / 1e6 }')
    cost=$(for r in $(seq "$ROUNDS"); do
      awk -v a="$(awk -v r="$r" '$1 == r && $2 == "bare"' "$tmp/results" | field cpu_ns_per_req)" \
        -v b="$(awk -v r="$r" -v e="$ep" '$1 == r && $2 == e' "$tmp/results" | field cpu_ns_per_req)" 'BEGIN { print a / b }'
    done | median)
    # What a machine running only this server and wrk would give: both CPU-bound, so req/s goes as 1 / (server + wrk CPU).
    est=$(for r in $(seq "$ROUNDS"); do
      awk -v a="$(awk -v r="$r" '$1 == r && $2 == "bare"' "$tmp/results" | field cpu_ns_per_req)" \
        -v wa="$(awk -v r="$r" '$1 == r && $2 == "bare"' "$tmp/results" | field wrk_ns_per_req)" \
        -v b="$(awk -v r="$r" -v e="$ep" '$1 == r && $2 == e' "$tmp/results" | field cpu_ns_per_req)" \
        -v wb="$(awk -v r="$r" -v e="$ep" '$1 == r && $2 == e' "$tmp/results" | field wrk_ns_per_req)" 'BEGIN { print (a + wa) / (b + wb) }'
    done | median)
    eval "r_${ep}_est=$est"
    printf '%-12s %12.1f %14.2f %12s %16s %14.1f %10s %11s %8s\n' "${label[$ep]}" "$(awk -v n="$(m cpu_ns_per_req)" 'BEGIN { print n / 1000 }')" \
      "$cost" "$(m alloc_per_req)" "$(m gen0)/$(m gen1)/$(m gen2)" \
      "$(awk -v p="$(m gcpause_ms)" -v s="$secs" 'BEGIN { print p / s }')" "$(m threads)" "$(m contentions)" "$(m heap_mb)"
  done
  echo "(CPU us/req: the server's CPU time per request; bare/this CPU: the same as a ratio to bare. It includes the thread"
  echo " pool's spin-waiting, so it grows when the server has idle CPU: compare endpoints within one run only."
  echo " pool thr.: thread pool threads at the end; lock cont.: Monitor lock contentions during the run.)"
  echo "(estimate for a machine running nothing else: (server + wrk CPU per request of bare) / (the same of this"
  echo " endpoint), as when server and wrk share the cores and nothing else runs; the req/s ratio above also carries the noise.)"
  if [ "$ROUNDS" -gt 1 ]; then
    echo
    echo "per round (as above, then server CPU us/req):"
    for r in $(seq "$ROUNDS"); do
      for ep in "${endpoints[@]}"; do
        l=$(awk -v r="$r" -v e="$ep" '$1 == r && $2 == e' "$tmp/results")
        printf '  %-3s %-12s %9.0f %8.2f %7.2f %7.2f %7.2f %8s %7s %-8s %6.1f\n' "$r" "${label[$ep]}" "$(rps_of "$r" "$ep")" \
          "$(awk -v a="$(rps_of "$r" "$ep")" -v b="$(rps_of "$r" bare)" 'BEGIN { print a / b }')" \
          "$(awk -v v="$(field p50_us <<<"$l")" 'BEGIN { print v / 1000 }')" "$(awk -v v="$(field p90_us <<<"$l")" 'BEGIN { print v / 1000 }')" \
          "$(awk -v v="$(field p99_us <<<"$l")" 'BEGIN { print v / 1000 }')" "$(field non2xx <<<"$l")" "" \
          "$(field cpu_server <<<"$l")/$(field cpu_wrk <<<"$l")/$(field cpu_other <<<"$l")" \
          "$(awk -v n="$(field cpu_ns_per_req <<<"$l")" 'BEGIN { print n / 1000 }')"
      done
    done
  fi
  rss_max=$(awk '$1 != "idle" && $2 > m { m = $2 } END { printf "%.0f", m / 1024 }' "$tmp/rss.log")
  echo "RSS after the load (idle): $((rss_idle_after / 1024)) MB"
  if [ "$STARTS" -gt 0 ]; then
    start_median=$(median <"$tmp/starts"); start_max=$(sort -n "$tmp/starts" | tail -n 1)
    echo "start-up of bkcs run to the first 200 on /ping (fresh home, $STARTS runs, ms): $(sort -n "$tmp/starts" | paste -sd' ')"
  fi
  echo
  verdict() { if [ "$1" = 1 ]; then echo met; else echo MISSED; fi; }
  ok_ratio=$(awk -v r="$r_get_ratio" 'BEGIN { print (r >= 0.40) }')
  ok_p99=$(awk -v p="$r_get_p99" 'BEGIN { print (p < 10000) }')
  ok_rss=$(awk -v m="$rss_max" 'BEGIN { print (m < 200) }')
  [ "$STARTS" -gt 0 ] && ok_start=$(awk -v m="$start_median" -v x="$start_max" 'BEGIN { print (m < 2000 && x < 2000) }')
  echo "targets:"
  printf '  %-52s %-22s %s\n' "account/get req/s >= 40% of bare" "$(awk -v r="$r_get_ratio" 'BEGIN { printf "%.0f%%", r * 100 }')" "$(verdict "$ok_ratio")"
  printf '  %-52s %-22s %s\n' "  (estimate for a machine running nothing else)" "$(awk -v r="$r_get_est" 'BEGIN { printf "%.0f%%", r * 100 }')" \
    "from CPU per request, server + wrk"
  printf '  %-52s %-22s %s\n' "account/get p99 < 10 ms (at -c$CONNECTIONS)" "$(awk -v p="$r_get_p99" 'BEGIN { printf "%.2f ms", p / 1000 }')" "$(verdict "$ok_p99")"
  printf '  %-52s %-22s %s\n' "max server RSS under load < 200 MB" "$rss_max MB" "$(verdict "$ok_rss")"
  if [ "$STARTS" -gt 0 ]; then
    printf '  %-52s %-22s %s\n' "start-up to first /ping < 2 s (median, max)" "$start_median ms, $start_max ms" "$(verdict "$ok_start")"
  else
    printf '  %-52s %-22s %s\n' "start-up to first /ping < 2 s (median, max)" "not measured (STARTS=0)" "-"
  fi
  if [ "$r_bare_bad" != 0 ] || [ "$r_ping_bad" != 0 ] || [ "$r_get_bad" != 0 ]; then
    echo "WARNING: some responses were not 2xx/3xx: the figures above are not valid"
  fi
} | tee "$tmp/summary"
cp "$tmp/summary" "$OUT"
echo "(written to ${OUT#"$root"/})"
