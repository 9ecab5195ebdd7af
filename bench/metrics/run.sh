#!/usr/bin/env bash
# What the statistics cost (issue 13, point 7: "metrics on cost at most 3% of signed /account/get throughput"):
#   on    bkcs run                   the default: Metrics/StatsCollector (a MeterListener) keeps the reference's meters
#                                    and histograms, which also enables ASP.NET Core's http.server.request.duration and
#                                    http.server.active_requests and the platform's backend.* instruments
#   off   bkcs run -api-no-metrics   no listener: the instruments exist but are not enabled, so nothing is recorded
# Each server runs `dotnet bkcs.dll run` (Release) on 127.0.0.1 with a temporary home of its own (SQLite there) and
# -api-allow-path ^/ping$; one account (secret "bench") is added to each with /account/add, and, before the start, an
# admin account with `bkcs add-user` (only to read /system/stats/get once at the end, to check what `on` counted).
#
# The two servers run side by side and wrk loads them in turn, a pair of runs (on and off) per endpoint and round,
# ROUNDS rounds, so the machine's noise falls on both alike; every ratio is on/off of the same round and endpoint, then
# the median over the rounds. Endpoints: GET /account/get (signed, v1 header, a static signature expiring in a day: bk_auth from the
# process's Db cache, bk_account from SQLite) and GET /ping (open). Per run: req/s, p50/p99, errors, the server's CPU
# per request (utime+stime of the process from /proc/PID/stat, before/after), its context switches per request (all
# its threads), wrk's CPU per request, and how busy the machine was. On this shared 2-core machine req/s moves with whatever else runs; CPU per request is the steadier
# figure, and the "estimate" (server + wrk CPU per request, off over on) is the req/s ratio a machine where server and
# wrk are alone and CPU-bound would see (as bench/http/run.sh and bench/runtime/run.sh estimate it).
#
# Settings (environment):
#   DURATION=8s WARMUP=3s CONNECTIONS=64 THREADS=2 ROUNDS=5   (the warm-up: once per server and endpoint)
#   ENDPOINTS="get ping"       which endpoints, in this order within a round
#   ORDER=abba                 on off in odd rounds, off on in even ones, so going first or second in a pair (which
#                              moved the req/s ratio by 10-25% in some runs here, bench/README.md) falls on both alike;
#                              the summary gives the medians by position too. on-off or off-on: always that order;
#                              together: both servers loaded at once, each by its own wrk (no order at all, and the
#                              machine's noise falls on both at the same moment)
#   SKIP_BUILD=1               use the existing Release build (otherwise: dotnet build Backend.sln -c Release)
#   OUT=path                   the summary (default bench/metrics/last-run.txt)
#   RESTART=1                  fresh servers every RESTART rounds (1: every round; ROUNDS: one pair for the whole run,
#                              as before 2026-12-03, when an A/A run showed a 5% bias between two identical processes)
#   DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0   (the default here: no thread-pool spin-waiting, see below)
#   AA=1                       an A/A run: "on" starts with -api-no-metrics too, so both servers are the same and the
#                              ratios show the method's own noise and bias (what a 3% target can be read against)
# Environment variables reach the servers too (e.g. DOTNET_gcServer=1 bench/metrics/run.sh).
# Needs: dotnet, wrk (installed from the Debian package if missing, as bench/http/run.sh does), curl, openssl; jq for
# the final check of /system/stats/get (skipped without it).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-5}
ENDPOINTS=${ENDPOINTS:-get ping}
ORDER=${ORDER:-abba}
SKIP_BUILD=${SKIP_BUILD:-0}
OUT=${OUT:-$root/bench/metrics/last-run.txt}
EXPIRES=$(( ($(date +%s) + 86400) * 1000 )) # a day ahead (within -api-signature-max-age): one signature serves every request
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
bkcs_dll=$root/src/Backend.Cli/bin/Release/net10.0/bkcs.dll
report_lua=$root/bench/http/report.lua
AA=${AA:-0}
RESTART=${RESTART:-1}
# No spin-waiting in the thread pool's workers (both servers alike): a worker that spins before it sleeps burns CPU
# that depends on how the load arrives, not on the work, and that noise is larger than the cost measured here.
export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=${DOTNET_ThreadPool_UnfairSemaphoreSpinLimit:-0}
settings="AA=$AA RESTART=$RESTART DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=$DOTNET_ThreadPool_UnfairSemaphoreSpinLimit ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS THREADS=$THREADS ENDPOINTS=\"$ENDPOINTS\" ORDER=$ORDER"

die() { echo "bench/metrics/run.sh: $*" >&2; exit 1; }

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
[ -f "$report_lua" ] || die "missing $report_lua"

# ---- state and cleanup -------------------------------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bkcs-metrics.XXXXXX")
declare -A pid port home
stop_pid() { # stop_pid PID: SIGTERM, SIGKILL after 10 s
  local p=$1 i
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || return 0
  for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
stop_all() { local m; for m in "${!pid[@]}"; do stop_pid "${pid[$m]}"; unset "pid[$m]"; done; }
cleanup() { stop_all; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { # a port nothing listens on, below the ephemeral range
  local low=32768 p i
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$low" -gt 12000 ] || low=32768
  for i in $(seq 200); do
    p=$((10000 + RANDOM % (low - 10000)))
    port_free "$p" && { echo "$p"; return 0; }
  done
  die "no free port found"
}
wait_ok() { # URL PID: until a 200, 60 s at most; fails if the process died
  local i
  for i in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" 2>/dev/null || true)" = 200 ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# ---- build -------------------------------------------------------------------------------------------------------
if [ "$SKIP_BUILD" != 1 ]; then
  echo "== building (dotnet build Backend.sln -c Release)"
  dotnet build "$root/Backend.sln" -c Release -nologo -v quiet >"$tmp/build.log" 2>&1 \
    || { cat "$tmp/build.log"; die "the Release build failed"; }
fi
[ -f "$bkcs_dll" ] || die "missing $bkcs_dll (build it, or drop SKIP_BUILD=1)"

# ---- servers -----------------------------------------------------------------------------------------------------
modes=(on off)
mode_args() { case $1 in on) [ "$AA" != 1 ] || echo "-api-no-metrics" ;; off) echo "-api-no-metrics" ;; esac; }
admin_secret=bench-admin
start_mode() { # start_mode MODE: a fresh home with an admin account, a free port (retried when taken meanwhile), until it serves
  local m=$1 try p
  home[$m]=$tmp/home-$m
  rm -rf "${home[$m]}"; mkdir -p "${home[$m]}"
  dotnet "$bkcs_dll" add-user login admin secret "$admin_secret" name Admin type admin -home "${home[$m]}" -log warn \
    >"$tmp/add-user-$m.out" 2>&1 || { cat "$tmp/add-user-$m.out" >&2; die "bkcs add-user failed for $m"; }
  for try in 1 2 3 4 5; do
    p=$(free_port)
    # shellcheck disable=SC2046
    dotnet "$bkcs_dll" run -home "${home[$m]}" -bind 127.0.0.1 -port "$p" -log warn -api-allow-path '^/ping$' $(mode_args "$m") \
      >"$tmp/$m.log" 2>&1 &
    pid[$m]=$!
    port[$m]=$p
    wait_ok "http://127.0.0.1:$p/ping" "${pid[$m]}" && return 0
    if ! kill -0 "${pid[$m]}" 2>/dev/null && grep -qiE 'address already in use|is not free' "$tmp/$m.log"; then
      wait "${pid[$m]}" 2>/dev/null || true; unset "pid[$m]"; continue
    fi
    cat "$tmp/$m.log" >&2; die "the $m server did not start"
  done
  die "no port could be bound for $m"
}
process_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; } # utime+stime of all its threads
# Context switches (voluntary and involuntary) per thread, "TID COUNT" lines: ctx_snapshot PID FILE. A thread that
# exits takes its count with it, so ctx_delta BEFORE AFTER counts the threads alive at the end (new ones from 0).
ctx_snapshot() {
  local t
  for t in /proc/"$1"/task/*; do
    awk -v tid="${t##*/}" '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { if (NR) print tid, s + 0 }' "$t/status" 2>/dev/null || true
  done >"$2"
}
ctx_delta() { awk 'NR == FNR { b[$1] = $2; next } { s += $2 - ($1 in b ? b[$1] : 0) } END { print s + 0 }' "$1" "$2"; }
machine_ticks() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat; } # busy total
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p"; } # field NAME < WRK_RESULT line
us_ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

# v1 signatures (as bench/runtime/run.sh and bench/cluster/run.sh): method, host without the port, path, query, expiry.
sign() { printf 'GET\n127.0.0.1\n%s\n\n%s\n\n\n' "$1" "$EXPIRES" | openssl dgst -sha1 -hmac "$2" -binary | base64; } # PATH SECRET
header="bk-signature: 1||bench|$(sign /account/get bench)|$EXPIRES||"
admin_header="bk-signature: 1||admin|$(sign /system/stats/get "$admin_secret")|$EXPIRES||"
declare -A path=([ping]=/ping [get]=/account/get)
read -r -a endpoints <<<"$ENDPOINTS"
for ep in "${endpoints[@]}"; do [ -n "${path[$ep]:-}" ] || die "unknown endpoint $ep (get, ping)"; done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start_utc=$(date -u '+%F %T')
echo "== $start_utc UTC, commit $(git rev-parse --short HEAD), $(nproc) cores, load average $load_before"
case $ORDER in on-off | off-on | abba | together) ;; *) die "ORDER is on-off, off-on, abba or together" ;; esac
round_modes() { # round_modes ROUND: the modes in the order of that round
  if [ "$ORDER" = off-on ] || { [ "$ORDER" = abba ] && [ $(($1 % 2)) = 0 ]; }; then echo "off on"; else echo "on off"; fi
}
start_servers() { # start_servers ROUND: fresh on and off servers, started in that round's order, each checked
  local m code base
  for m in $(round_modes "$1"); do
    start_mode "$m"
    base="http://127.0.0.1:${port[$m]}"
    code=$(curl -s -o "$tmp/add.json" -w '%{http_code}' "$base/account/add?login=bench&secret=bench&name=Bench")
    [ "$code" = 200 ] || { cat "$tmp/add.json"; die "/account/add answered $code on $m"; }
    code=$(curl -s -o "$tmp/check.json" -w '%{http_code}' -H "$header" "$base/account/get")
    [ "$code" = 200 ] || { cat "$tmp/check.json"; die "signed /account/get answered $code on $m"; }
    code=$(curl -s -o "$tmp/stats-$m.json" -w '%{http_code}' -H "$admin_header" "$base/system/stats/get")
    want=200; { [ "$m" = off ] || [ "$AA" = 1 ]; } && want=404
    [ "$code" = "$want" ] || { cat "$tmp/stats-$m.json"; die "/system/stats/get answered $code on $m (expected $want)"; }
    echo "   $m: pid ${pid[$m]} on port ${port[$m]}: run $(mode_args "$m") (/system/stats/get: $code)"
  done
}

# wrk_run MODE ENDPOINT DURATION: the WRK_RESULT line on stdout, plus wrk_cpu_us= (wrk's own CPU time, from `times`:
# the children of this shell, so call it in $(...), a fresh subshell whose only child is this wrk).
wrk_run() {
  local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$3" --latency -s "$report_lua")
  [ "$2" = get ] && args+=(-H "$header")
  wrk "${args[@]}" "http://127.0.0.1:${port[$1]}${path[$2]}" >"$tmp/wrk-$1.out" 2>&1 \
    || { cat "$tmp/wrk-$1.out" >&2; die "wrk failed on $1 ${path[$2]}"; }
  times >"$tmp/times-$1"
  grep -q '^WRK_RESULT' "$tmp/wrk-$1.out" || { cat "$tmp/wrk-$1.out" >&2; die "no wrk result for $1 ${path[$2]}"; }
  echo "$(grep '^WRK_RESULT' "$tmp/wrk-$1.out") wrk_cpu_us=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] } printf "%d", s * 1e6 }' "$tmp/times-$1")"
}
errors_of() { echo $(( $(field non2xx <<<"$1") + $(field connect <<<"$1") + $(field read <<<"$1") + $(field write <<<"$1") + $(field timeout <<<"$1") )); }

# record ROUND EP MODE WRK_LINE S0 S1 BUSY0 BUSY1 TOTAL0 TOTAL1 CTX0 CTX1 POSITION: one run's row in $tmp/results
record() {
  local round=$1 ep=$2 m=$3 line=$4 s0=$5 s1=$6 busy0=$7 busy1=$8 total0=$9 total1=${10} c0=${11} c1=${12} position=${13}
  local req dur rps cpu wrk_cpu mbusy share ctx errs
  req=$(field requests <<<"$line"); dur=$(field duration_us <<<"$line")
  if [ "$m" = on ]; then sent[$ep]=$(( sent[$ep] + req )); fi
  rps=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  cpu=$(awk -v t=$((s1 - s0)) -v hz="$clk_tck" -v r="$req" 'BEGIN { printf "%.2f", r ? t / hz * 1e6 / r : 0 }')
  wrk_cpu=$(awk -v t="$(field wrk_cpu_us <<<"$line")" -v r="$req" 'BEGIN { printf "%.2f", r ? t / r : 0 }')
  mbusy=$(awk -v b=$((busy1 - busy0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')
  share=$(awk -v s=$((s1 - s0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.0f", t ? 100 * s / t : 0 }')
  ctx=$(awk -v v="$(ctx_delta "$c0" "$c1")" -v r="$req" 'BEGIN { printf "%.3f", r ? v / r : 0 }')
  errs=$(errors_of "$line")
  echo "$round $ep $m $rps $(field p50_us <<<"$line") $(field p99_us <<<"$line") $cpu $mbusy $errs $wrk_cpu $share $ctx $position" >>"$tmp/results"
  printf '   round %s %-12s %-3s %7s req/s  p50 %6s ms  p99 %6s ms  CPU us/req: server %6s wrk %5s  CPU%%: server %3s machine %3s  ctx sw/req %5s  errors %s\n' \
    "$round" "${path[$ep]}" "$m" "$rps" "$(us_ms "$(field p50_us <<<"$line")")" "$(us_ms "$(field p99_us <<<"$line")")" \
    "$cpu" "$wrk_cpu" "$share" "$mbusy" "$ctx" "$errs"
}
declare -A s0m wpid

# ---- load --------------------------------------------------------------------------------------------------------
: >"$tmp/results"
declare -A sent=([get]=0 [ping]=0)
echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds of on and off ($ORDER) per endpoint, fresh servers every $RESTART round(s), after a $WARMUP warm-up of each"
for round in $(seq "$ROUNDS"); do
  if [ $(( (round - 1) % RESTART )) = 0 ]; then
    # Fresh processes: each one's JIT (tiered compilation with dynamic PGO) and memory layout turn out a little
    # different, which made two identical servers differ by 5% in CPU per request for a whole run (AA=1); new ones
    # every round put that difference into the rounds' spread, where the median and its interval see it.
    stop_all
    start_servers "$round"
    sent=([get]=0 [ping]=0)
    for ep in "${endpoints[@]}"; do for m in $(round_modes "$round"); do
      line=$(wrk_run "$m" "$ep" "$WARMUP")
      if [ "$m" = on ]; then sent[$ep]=$(( sent[$ep] + $(field requests <<<"$line") )); fi
    done; done
  fi
  for ep in "${endpoints[@]}"; do
    if [ "$ORDER" = together ]; then
      # Both servers loaded at the same time, each by its own wrk: whatever else the machine does falls on both at
      # once, and neither goes first.
      read -r busy0 total0 <<<"$(machine_ticks)"
      for m in "${modes[@]}"; do s0m[$m]=$(process_ticks "${pid[$m]}"); ctx_snapshot "${pid[$m]}" "$tmp/ctx0-$m"; done
      for m in "${modes[@]}"; do ( wrk_run "$m" "$ep" "$DURATION" >"$tmp/line-$m" ) & wpid[$m]=$!; done
      for m in "${modes[@]}"; do wait "${wpid[$m]}" || die "wrk failed on $m"; done
      read -r busy1 total1 <<<"$(machine_ticks)"
      for m in "${modes[@]}"; do
        s1=$(process_ticks "${pid[$m]}"); ctx_snapshot "${pid[$m]}" "$tmp/ctx1-$m"
        record "$round" "$ep" "$m" "$(cat "$tmp/line-$m")" "${s0m[$m]}" "$s1" "$busy0" "$busy1" "$total0" "$total1" "$tmp/ctx0-$m" "$tmp/ctx1-$m" 0
      done
      continue
    fi
    position=0
    for m in $(round_modes "$round"); do
      position=$((position + 1))
      read -r busy0 total0 <<<"$(machine_ticks)"; s0=$(process_ticks "${pid[$m]}"); ctx_snapshot "${pid[$m]}" "$tmp/ctx0"
      line=$(wrk_run "$m" "$ep" "$DURATION")
      read -r busy1 total1 <<<"$(machine_ticks)"; s1=$(process_ticks "${pid[$m]}"); ctx_snapshot "${pid[$m]}" "$tmp/ctx1"
      record "$round" "$ep" "$m" "$line" "$s0" "$s1" "$busy0" "$busy1" "$total0" "$total1" "$tmp/ctx0" "$tmp/ctx1" "$position"
    done
  done
done

# ---- check: the on server counted what it served, the off server kept nothing ------------------------------------
check=""
if command -v jq >/dev/null; then
  code=$(curl -s -o "$tmp/stats-on.json" -w '%{http_code}' -H "$admin_header" "http://127.0.0.1:${port[on]}/system/stats/get")
  if [ "$code" = 200 ]; then
    check="on: /system/stats/get counted $(jq -r '.api.routes["/account/get"].meter.count // 0' "$tmp/stats-on.json") /account/get (wrk completed ${sent[get]} since its start, plus 1 start-up check)"
    check="$check and $(jq -r '.api.routes["/ping"].meter.count // 0' "$tmp/stats-on.json") /ping (wrk completed ${sent[ping]}, plus 1 start-up check; requests still in flight when wrk stops are served but not counted by wrk),"
    check="$check $(jq -r '.pool.response.meter.count' "$tmp/stats-on.json") database calls, $(jq -r '.pool.cache.hits' "$tmp/stats-on.json") Db cache hits;"
    check="$check /account/get p50/p99 by the server: $(jq -r '.api.routes["/account/get"].histogram | "\(.median * 1000 | round / 1000) / \(.p99 * 1000 | round / 1000)"' "$tmp/stats-on.json") ms"
  else
    check="on: /system/stats/get answered $code"
  fi
  check="$check; off: /system/stats/get answered $(curl -s -o /dev/null -w '%{http_code}' -H "$admin_header" "http://127.0.0.1:${port[off]}/system/stats/get")"
  echo "== $check"
fi
noise=$(for m in "${modes[@]}"; do grep -iE 'warn|fail|error' "$tmp/$m.log" | head -5 | sed "s/^/   $m log: /" || true; done)
[ -z "$noise" ] || { echo "== warnings and errors in the servers' logs"; echo "$noise"; }
stop_all
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- summary -----------------------------------------------------------------------------------------------------
{
  echo "command: bench/metrics/run.sh with $settings"
  echo "started $start_utc UTC, ended $(date -u '+%F %T') UTC; commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src with local changes)')"
  echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); .NET SDK $(dotnet --version 2>/dev/null); kernel $(uname -r)"
  echo "load average before: $load_before; after: $load_after"
  echo
  echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION per run after a $WARMUP warm-up of each server and endpoint; $ROUNDS rounds, on and off interleaved ($ORDER)"
  echo "rows: round endpoint mode req/s p50_us p99_us server_cpu_us_per_req machine_busy_% errors wrk_cpu_us_per_req server_share_of_machine_% server_context_switches_per_req position_in_round"
  cat "$tmp/results"
  echo
  echo "| endpoint | mode | req/s (median) | on/off req/s: median (per round) | p50 ms | p99 ms | server CPU us/req (median) | on/off CPU/req: median (per round) | estimate on/off, dedicated machine | server share of machine % | server context switches/req | errors |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  awk '
    function median(s,   n, a, i, j, t) { n = split(s, a, " "); if (!n) return 0
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    { k = $2 " " $3; rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; cpu[k] = cpu[k] " " $7; err[k] += $9; share[k] = share[k] " " $11; cx[k] = cx[k] " " $12
      r[$1 " " k] = $4; c[$1 " " k] = $7; w[$1 " " k] = $7 + $10; if ($3 == "on") first[$1 " " $2] = ($13 == 1)
      if (!($2 in se)) { se[$2] = 1; eps[++ne] = $2 } if ($1 > nr) nr = $1 }
    END {
      for (e = 1; e <= ne; e++) { ep = eps[e]; name = (ep == "get" ? "/account/get" : "/" ep)
        rr[ep] = ""; list = ""; cr[ep] = ""; clist = ""; est[ep] = ""; r1 = ""; r2 = ""; c1 = ""; c2 = ""
        for (i = 1; i <= nr; i++) { on = i " " ep " on"; off = i " " ep " off"
          x = r[off] ? r[on] / r[off] : 0; rr[ep] = rr[ep] " " x; list = list (i > 1 ? ", " : "") sprintf("%.3f", x)
          y = c[off] ? c[on] / c[off] : 0; cr[ep] = cr[ep] " " y; clist = clist (i > 1 ? ", " : "") sprintf("%.3f", y)
          est[ep] = est[ep] " " (w[on] ? w[off] / w[on] : 0)
          if (first[i " " ep]) { r1 = r1 " " x; c1 = c1 " " y } else { r2 = r2 " " x; c2 = c2 " " y } }
        for (m = 1; m <= 2; m++) { mode = (m == 1 ? "on" : "off"); k = ep " " mode
          printf "| %s | %s | %.0f | %s | %.2f | %.2f | %.2f | %s | %s | %.0f | %.2f | %d |\n", name, mode, median(rps[k]),
            (mode == "on" ? sprintf("%.3f (%s)", median(rr[ep]), list) : "1"), median(p50[k]) / 1000, median(p99[k]) / 1000, median(cpu[k]),
            (mode == "on" ? sprintf("%.3f (%s)", median(cr[ep]), clist) : "1"), (mode == "on" ? sprintf("%.3f", median(est[ep])) : "1"), median(share[k]), median(cx[k]), err[k] }
        pos[ep] = sprintf("%s, rounds where on went first: req/s %.3f, CPU/req %.3f; where off went first: req/s %s, CPU/req %s", name, median(r1), median(c1),
          (r2 == "" ? "-" : sprintf("%.3f", median(r2))), (c2 == "" ? "-" : sprintf("%.3f", median(c2)))) }
      print ""
      print "on/off medians by position in the round (to see an order effect):"
      for (e = 1; e <= ne; e++) print "  " pos[eps[e]]
      for (e = 1; e <= ne; e++) { ep = eps[e]; n = split(cr[ep], a, " "); sum = 0; sq = 0
        for (i = 1; i <= n; i++) { sum += a[i]; sq += a[i] * a[i] }
        mean = n ? sum / n : 0; sd = n > 1 ? sqrt((sq - n * mean * mean) / (n - 1)) : 0
        printf "  %s: on/off CPU/req mean %.3f, standard error %.3f (%d rounds): 95%% interval %.3f-%.3f\n", (ep == "get" ? "/account/get" : "/" ep), mean, n ? sd / sqrt(n) : 0, n,
          mean - 1.96 * (n ? sd / sqrt(n) : 0), mean + 1.96 * (n ? sd / sqrt(n) : 0) }
      if (aa == 1) print "A/A run (AA=1): both servers ran with -api-no-metrics; the ratios above are the method'"'"'s noise and bias, not a cost"
      else if ("get" in se) printf "target (issue 13): metrics on >= 0.97 of off for signed /account/get: req/s %.3f (%s), CPU per request %.3f (cost %+.1f%%, %s), estimate %.3f (%s)\n",
        median(rr["get"]), (median(rr["get"]) >= 0.97 ? "met" : "MISSED"), median(cr["get"]), 100 * (median(cr["get"]) - 1), (median(cr["get"]) <= 1 / 0.97 ? "met" : "MISSED"),
        median(est["get"]), (median(est["get"]) >= 0.97 ? "met" : "MISSED")
    }
  ' aa="$AA" "$tmp/results"
  echo "(on/off req/s: per round, the req/s of on over off of the same round; the median of those. on/off CPU/req: the"
  echo " server CPU (utime+stime, /proc/PID/stat, $clk_tck ticks/s) per request of on over that of off: above 1 is what the"
  echo " statistics cost. estimate: (server + wrk CPU per request of off) / (the same of on), median of per-round ratios: the"
  echo " req/s ratio on a machine where server and wrk are CPU-bound and alone. server share: the server's CPU as a share of"
  echo " the whole machine ($(nproc) cores) during the run. context switches: voluntary and involuntary, per request, of"
  echo " the server's threads alive at the end of the run (/proc/PID/task/*/status; a thread that exited meanwhile takes"
  echo " its count with it, so this is a lower bound).)"
  [ -z "$check" ] || echo "check: $check"
  [ -z "$noise" ] || { echo; echo "warnings and errors in the servers' logs:"; echo "$noise"; }
} | tee "$tmp/summary"
mkdir -p "$(dirname "$OUT")"
cp "$tmp/summary" "$OUT"
echo "== written to ${OUT#"$root"/}"
