#!/usr/bin/env bash
# Process runtime of bkcs (issue 12): the three ways one host serves the API, measured in the same run.
#   single     bkcs run                                            one process: the baseline every ratio is relative to
#   reuseport  bkcs run -web -server-max-workers 2                 the workers listen on -port with SO_REUSEPORT
#   proxy      bkcs run -web -server-max-workers 2 -proxy-port N   the parent listens on -port and forwards each request
#                                                                  (YARP) to a worker on 127.0.0.1:N..N+2 (one spare)
# Each server runs `dotnet bkcs.dll run` (Release) on 127.0.0.1 with a temporary home of its own (SQLite there; a home
# holds one server: its pid file) and -api-allow-path ^/ping$; one account (secret "bench") is added to each.
#
# Part A, throughput: the three servers run side by side and wrk loads them in turn, single reuseport proxy single ...,
# for each endpoint, ROUNDS times, so the machine's noise falls on all three alike; every ratio is to single of the
# same round and endpoint, then the median over rounds. Endpoints: GET /ping (open) and GET /account/get (signed, v1
# header, a static signature expiring in a day: bk_auth from the process's cache, bk_account from SQLite). Per run:
# req/s, p50/p99, errors, the CPU per request of the server's whole process tree (utime+stime from /proc of the
# parent and its workers, before/after) and of its parent alone, and how busy the machine was.
#
# Part B, rolling restart under full load, for reuseport and proxy: wrk -c RESTART_CONNECTIONS on /ping at full speed;
# RESTART_AFTER seconds in, `bkcs restart -home HOME` (SIGHUP to the server parent: every worker replaced, one at a
# time, each old one drained); wrk is stopped (SIGINT, it reports what it did) RESTART_TAIL seconds after the server
# logged "the Web workers were restarted". Recorded: requests, non-2xx, socket errors (connect/read/write/timeout),
# latency p50/p99/max, how long the restart took, the worker pids before/after, and net.ipv4.tcp_migrate_req (read
# only: with 0, a connection still in a closing worker's accept queue is reset, see docs/operations.md). Before each
# restart run, a control run of the same load without a restart (RESTART_CONTROL) gives the p99 to compare with.
#
# Settings (environment):
#   DURATION=8s WARMUP=3s CONNECTIONS=64 THREADS=2 ROUNDS=3   part A (the warm-up: once per server and endpoint)
#   WORKERS=2                  -server-max-workers of reuseport and proxy
#   PARTS="a b"                which parts to run
#   RESTART_CONNECTIONS=32 RESTART_AFTER=4 RESTART_TAIL=3 RESTART_TIMEOUT=120 RESTART_CONTROL=10s (0: none)
#   SKIP_BUILD=1               use the existing Release build (otherwise: dotnet build Backend.sln -c Release)
#   OUT=path                   the summary (default bench/runtime/last-run.txt)
# Needs: dotnet, wrk (installed from the Debian package if missing, as bench/http/run.sh does), curl, openssl.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
WORKERS=${WORKERS:-2}
PARTS=${PARTS:-a b}
RESTART_CONNECTIONS=${RESTART_CONNECTIONS:-32}
RESTART_AFTER=${RESTART_AFTER:-4}
RESTART_TAIL=${RESTART_TAIL:-3}
RESTART_TIMEOUT=${RESTART_TIMEOUT:-120}
RESTART_CONTROL=${RESTART_CONTROL:-10s}
SKIP_BUILD=${SKIP_BUILD:-0}
OUT=${OUT:-$root/bench/runtime/last-run.txt}
EXPIRES=$(( ($(date +%s) + 86400) * 1000 )) # a day ahead (within -api-signature-max-age): one signature serves every request
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
bkcs_dll=$root/src/Backend.Cli/bin/Release/net10.0/bkcs.dll
report_lua=$root/bench/http/report.lua
settings="PARTS=\"$PARTS\" ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS THREADS=$THREADS WORKERS=$WORKERS"
settings="$settings RESTART_CONNECTIONS=$RESTART_CONNECTIONS RESTART_AFTER=$RESTART_AFTER RESTART_TAIL=$RESTART_TAIL RESTART_CONTROL=$RESTART_CONTROL"

die() { echo "bench/runtime/run.sh: $*" >&2; exit 1; }

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
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bkcs-runtime.XXXXXX")
declare -A pid port home
wrk_pid=""
stop_pid() { # stop_pid PID: SIGTERM (a server parent stops its workers, which drain), SIGKILL after 60 s
  local p=$1 i
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || return 0
  for i in $(seq 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
stop_all() { local m; for m in "${!pid[@]}"; do stop_pid "${pid[$m]}"; unset "pid[$m]"; done; }
cleanup() {
  [ -z "$wrk_pid" ] || { kill -KILL "$wrk_pid" 2>/dev/null || true; wait "$wrk_pid" 2>/dev/null || true; }
  stop_all
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_ports() { # free_ports COUNT: the first of COUNT consecutive ports nothing listens on, below the ephemeral range
  local n=$1 low=32768 p i k ok
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$low" -gt 12000 ] || low=32768
  for i in $(seq 200); do
    p=$((10000 + RANDOM % (low - 10000 - n)))
    ok=1
    for k in $(seq 0 $((n - 1))); do port_free $((p + k)) || { ok=0; break; }; done
    [ "$ok" = 1 ] && { echo "$p"; return 0; }
  done
  die "no $n free consecutive ports found"
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
log_has() { awk -v from="$2" -v pat="$3" 'NR > from && index($0, pat) { found = 1 } END { exit !found }' "$1"; } # LOG FROM_LINE TEXT
wait_log() { # LOG TEXT PID: until TEXT is in LOG, 60 s at most
  local i
  for i in $(seq 600); do
    log_has "$1" 0 "$2" && return 0
    kill -0 "$3" 2>/dev/null || return 1
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
modes=(single reuseport proxy)
mode_args() { # mode_args MODE PROXY_PORT
  case $1 in
    single) ;;
    reuseport) echo "-web -server-max-workers $WORKERS" ;;
    proxy) echo "-web -server-max-workers $WORKERS -proxy-port $2" ;;
  esac
}
start_mode() { # start_mode MODE: a fresh home, free ports (retried when taken meanwhile), until it serves
  local m=$1 try p pp=0 need
  home[$m]=$tmp/home-$m
  for try in 1 2 3 4 5; do
    rm -rf "${home[$m]}"; mkdir -p "${home[$m]}"
    if [ "$m" = proxy ]; then need=$((WORKERS + 2)); else need=1; fi # proxy: -port, then the workers' N..N+WORKERS
    p=$(free_ports "$need")
    [ "$m" = proxy ] && pp=$((p + 1))
    # shellcheck disable=SC2046
    dotnet "$bkcs_dll" run -home "${home[$m]}" -bind 127.0.0.1 -port "$p" -api-allow-path '^/ping$' $(mode_args "$m" "$pp") \
      >"$tmp/$m.log" 2>&1 &
    pid[$m]=$!
    port[$m]=$p
    if wait_ok "http://127.0.0.1:$p/ping" "${pid[$m]}" && { [ "$m" = single ] || wait_log "$tmp/$m.log" 'serving http' "${pid[$m]}"; }; then
      return 0
    fi
    if ! kill -0 "${pid[$m]}" 2>/dev/null && grep -qiE 'address already in use|is not free' "$tmp/$m.log"; then
      wait "${pid[$m]}" 2>/dev/null || true; unset "pid[$m]"; continue
    fi
    cat "$tmp/$m.log" >&2; die "the $m server did not start"
  done
  die "no port could be bound for $m"
}
children_of() { # the worker pids, comma-separated ("-": none)
  local c; c=$(ps -o pid= --ppid "$1" 2>/dev/null | tr -s ' \n' ' ' | sed 's/^ //; s/ $//; s/ /,/g' || true); echo "${c:--}"; }
# CPU ticks (utime+stime, all threads) of a process and of its whole tree: "tree top". A process that exits between
# two readings takes its ticks with it (no worker exits during part A).
tree_ticks() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v top="$1" '
    { f = $1; line = $0; sub(/^.*\) /, "", line); split(line, a, " "); ppid[f] = a[2]; ticks[f] = a[12] + a[13] }
    END { want[top] = 1; changed = 1
          while (changed) { changed = 0; for (p in ppid) if (!(p in want) && (ppid[p] in want)) { want[p] = 1; changed = 1 } }
          for (p in want) t += ticks[p]; print t + 0, ticks[top] + 0 }
  ' || true
}
machine_ticks() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat; } # busy total
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p"; } # field NAME < WRK_RESULT line
us_ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

# One signature for every server: a v1 signature covers method, host (without the port), path, query and expiry.
sig=$(printf 'GET\n127.0.0.1\n/account/get\n\n%s\n\n\n' "$EXPIRES" | openssl dgst -sha1 -hmac bench -binary | base64)
header="bk-signature: 1||bench|$sig|$EXPIRES||"
declare -A path=([ping]=/ping [get]=/account/get)
endpoints=(ping get)

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
migrate=$(sysctl -n net.ipv4.tcp_migrate_req 2>/dev/null || cat /proc/sys/net/ipv4/tcp_migrate_req 2>/dev/null || echo "n/a")
start_utc=$(date -u '+%F %T')
echo "== $start_utc UTC, commit $(git rev-parse --short HEAD), $(nproc) cores, load average $load_before, net.ipv4.tcp_migrate_req=$migrate"
for m in "${modes[@]}"; do
  start_mode "$m"
  base="http://127.0.0.1:${port[$m]}"
  code=$(curl -s -o "$tmp/add.json" -w '%{http_code}' "$base/account/add?login=bench&secret=bench&name=Bench")
  [ "$code" = 200 ] || { cat "$tmp/add.json"; die "/account/add answered $code on $m"; }
  code=$(curl -s -o "$tmp/check.json" -w '%{http_code}' -H "$header" "$base/account/get")
  [ "$code" = 200 ] || { cat "$tmp/check.json"; die "signed /account/get answered $code on $m"; }
  echo "   $m: pid ${pid[$m]} (workers: $(children_of "${pid[$m]}")) on port ${port[$m]}: run $(mode_args "$m" $((port[$m] + 1)))"
done

# wrk_run MODE ENDPOINT DURATION CONNECTIONS: the WRK_RESULT line on stdout, plus wrk_cpu_us= (wrk's own CPU time, from
# `times`: the children of this shell, so call it in $(...), a fresh subshell whose only child is this wrk).
wrk_run() {
  local args=(-t"$THREADS" -c"$4" -d"$3" --latency -s "$report_lua")
  [ "$2" = get ] && args+=(-H "$header")
  wrk "${args[@]}" "http://127.0.0.1:${port[$1]}${path[$2]}" >"$tmp/wrk.out" 2>&1 \
    || { cat "$tmp/wrk.out" >&2; die "wrk failed on $1 ${path[$2]}"; }
  times >"$tmp/times"
  grep -q '^WRK_RESULT' "$tmp/wrk.out" || { cat "$tmp/wrk.out" >&2; die "no wrk result for $1 ${path[$2]}"; }
  echo "$(grep '^WRK_RESULT' "$tmp/wrk.out") wrk_cpu_us=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] } printf "%d", s * 1e6 }' "$tmp/times")"
}
errors_of() { echo $(( $(field non2xx <<<"$1") + $(field connect <<<"$1") + $(field read <<<"$1") + $(field write <<<"$1") + $(field timeout <<<"$1") )); }

# ---- part A: throughput ------------------------------------------------------------------------------------------
: >"$tmp/results"
if [[ " $PARTS " == *" a "* ]]; then
  echo "== part A: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds alternating ${modes[*]} per endpoint, after a $WARMUP warm-up of each"
  for ep in "${endpoints[@]}"; do for m in "${modes[@]}"; do wrk_run "$m" "$ep" "$WARMUP" "$CONNECTIONS" >/dev/null; done; done
  for round in $(seq "$ROUNDS"); do
    for ep in "${endpoints[@]}"; do
      for m in "${modes[@]}"; do
        read -r busy0 total0 <<<"$(machine_ticks)"; read -r tree0 top0 <<<"$(tree_ticks "${pid[$m]}")"
        line=$(wrk_run "$m" "$ep" "$DURATION" "$CONNECTIONS")
        read -r busy1 total1 <<<"$(machine_ticks)"; read -r tree1 top1 <<<"$(tree_ticks "${pid[$m]}")"
        req=$(field requests <<<"$line"); dur=$(field duration_us <<<"$line")
        rps=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
        cpu=$(awk -v t=$((tree1 - tree0)) -v hz="$clk_tck" -v r="$req" 'BEGIN { printf "%.1f", r ? t / hz * 1e6 / r : 0 }')
        cpu_top=$(awk -v t=$((top1 - top0)) -v hz="$clk_tck" -v r="$req" 'BEGIN { printf "%.1f", r ? t / hz * 1e6 / r : 0 }')
        wrk_cpu=$(awk -v t="$(field wrk_cpu_us <<<"$line")" -v r="$req" 'BEGIN { printf "%.1f", r ? t / r : 0 }')
        mbusy=$(awk -v b=$((busy1 - busy0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')
        share=$(awk -v s=$((tree1 - tree0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.0f", t ? 100 * s / t : 0 }')
        errs=$(errors_of "$line")
        echo "$round $ep $m $rps $(field p50_us <<<"$line") $(field p99_us <<<"$line") $cpu $cpu_top $mbusy $errs $wrk_cpu $share" >>"$tmp/results"
        printf '   round %s %-12s %-9s %7s req/s  p50 %6s ms  p99 %6s ms  CPU us/req: server %6s (parent %5s) wrk %5s  CPU%%: server %3s machine %3s  errors %s\n' \
          "$round" "${path[$ep]}" "$m" "$rps" "$(us_ms "$(field p50_us <<<"$line")")" "$(us_ms "$(field p99_us <<<"$line")")" \
          "$cpu" "$cpu_top" "$wrk_cpu" "$share" "$mbusy" "$errs"
      done
    done
  done
fi

# ---- part B: rolling restart under load --------------------------------------------------------------------------
: >"$tmp/restarts"
if [[ " $PARTS " == *" b "* ]]; then
  echo "== part B: rolling restart under wrk -t$THREADS -c$RESTART_CONNECTIONS on /ping (net.ipv4.tcp_migrate_req=$migrate)"
  for m in reuseport proxy; do
    control_p99=-
    if [ "$RESTART_CONTROL" != 0 ]; then
      cline=$(wrk_run "$m" ping "$RESTART_CONTROL" "$RESTART_CONNECTIONS")
      control_p99=$(field p99_us <<<"$cline")
      echo "   $m control (no restart, $RESTART_CONTROL): $(field requests <<<"$cline") requests, p50 $(us_ms "$(field p50_us <<<"$cline")") ms," \
        "p99 $(us_ms "$control_p99") ms, max $(us_ms "$(field max_us <<<"$cline")") ms, errors $(errors_of "$cline")"
    fi
    before=$(children_of "${pid[$m]}")
    # wrk runs "for ever" (RESTART_TIMEOUT + margin) and is stopped with SIGINT once the restart is done: wrk then
    # stops its threads and reports (done() of report.lua) what it measured until then.
    wrk -t"$THREADS" -c"$RESTART_CONNECTIONS" -d"$((RESTART_AFTER + RESTART_TIMEOUT + RESTART_TAIL + 30))s" --latency -s "$report_lua" \
      "http://127.0.0.1:${port[$m]}/ping" >"$tmp/wrk-restart-$m.out" 2>&1 &
    wrk_pid=$!
    sleep "$RESTART_AFTER"
    kill -0 "$wrk_pid" 2>/dev/null || { cat "$tmp/wrk-restart-$m.out" >&2; die "wrk ended early on $m"; }
    mark=$(wc -l <"$tmp/$m.log")
    t0=$(date +%s%N)
    dotnet "$bkcs_dll" restart -home "${home[$m]}" >"$tmp/restart-$m.out" 2>&1 || { cat "$tmp/restart-$m.out" >&2; die "bkcs restart failed on $m"; }
    restarted=0
    for i in $(seq $((RESTART_TIMEOUT * 10))); do
      if log_has "$tmp/$m.log" "$mark" 'the Web workers were restarted'; then restarted=1; break; fi
      log_has "$tmp/$m.log" "$mark" 'the restart stops here' && break
      kill -0 "${pid[$m]}" 2>/dev/null || break
      sleep 0.1
    done
    t1=$(date +%s%N)
    restart_s=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.1f", d / 1e9 }')
    sleep "$RESTART_TAIL"
    kill -0 "$wrk_pid" 2>/dev/null || echo "   WARNING: wrk had ended before the restart was done (raise RESTART_TIMEOUT)"
    kill -INT "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" 2>/dev/null || true
    wrk_pid=""
    after=$(children_of "${pid[$m]}")
    line=$(grep '^WRK_RESULT' "$tmp/wrk-restart-$m.out") || { cat "$tmp/wrk-restart-$m.out" >&2; die "no wrk result for the restart on $m"; }
    req=$(field requests <<<"$line"); dur=$(field duration_us <<<"$line")
    rps=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
    [ "$restarted" = 1 ] || echo "   WARNING: no 'the Web workers were restarted' in the $m server's log within ${RESTART_TIMEOUT}s"
    echo "$m $restarted $restart_s $req $dur $rps $(field non2xx <<<"$line") $(field connect <<<"$line") $(field read <<<"$line")" \
      "$(field write <<<"$line") $(field timeout <<<"$line") $(field p50_us <<<"$line") $(field p99_us <<<"$line") $(field max_us <<<"$line")" \
      "$control_p99 $before $after" >>"$tmp/restarts"
    printf '   %s restart: %s in %s s (workers %s -> %s); wrk %s requests in %.1f s (%s req/s), non-2xx %s, socket errors connect %s read %s write %s timeout %s, p50 %s ms p99 %s ms max %s ms\n' \
      "$m" "$([ "$restarted" = 1 ] && echo done || echo 'NOT DONE')" "$restart_s" "$before" "$after" "$req" "$(awk -v d="$dur" 'BEGIN { print d / 1e6 }')" "$rps" \
      "$(field non2xx <<<"$line")" "$(field connect <<<"$line")" "$(field read <<<"$line")" "$(field write <<<"$line")" "$(field timeout <<<"$line")" \
      "$(us_ms "$(field p50_us <<<"$line")")" "$(us_ms "$(field p99_us <<<"$line")")" "$(us_ms "$(field max_us <<<"$line")")"
    sed -n "$((mark + 1)),\$p" "$tmp/$m.log" | sed "s/^/     $m log: /"
  done
fi

logs_noise() { local m; for m in "${modes[@]}"; do grep -iE 'warn|fail|error' "$tmp/$m.log" | head -5 | sed "s/^/   $m log: /" || true; done; }
noise=$(logs_noise)
[ -z "$noise" ] || { echo "== warnings and errors in the servers' logs"; echo "$noise"; }
stop_all
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- summary -----------------------------------------------------------------------------------------------------
{
  echo "command: bench/runtime/run.sh with $settings"
  echo "started $start_utc UTC, ended $(date -u '+%F %T') UTC; commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src with local changes)')"
  echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); .NET SDK $(dotnet --version 2>/dev/null); kernel $(uname -r)"
  echo "load average before: $load_before; after: $load_after; net.ipv4.tcp_migrate_req=$migrate"
  if [ -s "$tmp/results" ]; then
    echo
    echo "Part A: wrk -t$THREADS -c$CONNECTIONS -d$DURATION per run after a $WARMUP warm-up of each server and endpoint; $ROUNDS rounds, single reuseport proxy interleaved"
    echo "rows: round endpoint mode req/s p50_us p99_us server_tree_cpu_us_per_req parent_cpu_us_per_req machine_busy_% errors wrk_cpu_us_per_req server_share_of_machine_%"
    cat "$tmp/results"
    echo
    echo "| endpoint | mode | req/s (median) | vs single: median (per round) | p50 ms | p99 ms | server CPU us/req (parent) | server CPU/req vs single | server share of machine % | estimate vs single, dedicated machine | errors |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    awk '
      function median(s,   n, a, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
      { k = $2 " " $3; rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; cpu[k] = cpu[k] " " $7; top[k] = top[k] " " $8; err[k] += $10
        share[k] = share[k] " " $12; r[$1 " " $2 " " $3] = $4; c[$1 " " $2 " " $3] = $7; w[$1 " " $2 " " $3] = $7 + $11
        if (!($2 in se)) { se[$2] = 1; eps[++ne] = $2 } if (!($3 in sm)) { sm[$3] = 1; ms[++nm] = $3 } if ($1 > nr) nr = $1 }
      END { for (e = 1; e <= ne; e++) for (m = 1; m <= nm; m++) { k = eps[e] " " ms[m]; ratios = ""; list = ""; cr = ""; est = ""
          for (i = 1; i <= nr; i++) { x = r[i " " k] / r[i " " eps[e] " single"]; ratios = ratios " " x; list = list (i > 1 ? ", " : "") sprintf("%.2f", x)
            cr = cr " " (c[i " " eps[e] " single"] ? c[i " " k] / c[i " " eps[e] " single"] : 0)
            est = est " " (w[i " " k] ? w[i " " eps[e] " single"] / w[i " " k] : 0) }
          printf "| /%s | %s | %.0f | %.2f (%s) | %.2f | %.2f | %.1f (%.1f) | %.2f | %.0f | %.2f | %d |\n", (eps[e] == "get" ? "account/get" : eps[e]), ms[m], median(rps[k]), median(ratios), list,
            median(p50[k]) / 1000, median(p99[k]) / 1000, median(cpu[k]), median(top[k]), median(cr), median(share[k]), median(est), err[k] } }
    ' "$tmp/results"
    echo "(server CPU: utime+stime of the server's whole process tree, parent and workers, per request; in brackets the"
    echo " parent alone: for single it is the one process, for reuseport the idle parent, for proxy the forwarding parent."
    echo " server share: the server's CPU as a share of the whole machine ($(nproc) cores) during the run; the machine is"
    echo " shared, so a server of several processes can take a bigger share from the other programs than one process."
    echo " estimate: (server + wrk CPU per request of single) / (the same of the mode), medians of per-round ratios: the"
    echo " req/s ratio on a machine where server and wrk are CPU-bound and alone, as bench/http/run.sh estimates it.)"
  fi
  if [ -s "$tmp/restarts" ]; then
    echo
    echo "Part B: rolling restart (bkcs restart = SIGHUP) under wrk -t$THREADS -c$RESTART_CONNECTIONS on /ping, restart ${RESTART_AFTER}s in, wrk stopped ${RESTART_TAIL}s after it was done;"
    echo "$WORKERS workers; net.ipv4.tcp_migrate_req=$migrate; control: the same load for $RESTART_CONTROL without a restart, just before"
    echo
    echo "| mode | restart done | restart took s | wrk requests | wrk s | req/s | non-2xx | connect/read/write/timeout errors | p50 ms | p99 ms | max ms | control p99 ms | workers before -> after |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    while read -r m ok took req dur rps non2xx con rd wr to p50 p99 max cp99 bef aft; do
      printf '| %s | %s | %s | %s | %.1f | %s | %s | %s/%s/%s/%s | %s | %s | %s | %s | %s -> %s |\n' "$m" "$([ "$ok" = 1 ] && echo yes || echo NO)" "$took" "$req" \
        "$(awk -v d="$dur" 'BEGIN { print d / 1e6 }')" "$rps" "$non2xx" "$con" "$rd" "$wr" "$to" "$(us_ms "$p50")" "$(us_ms "$p99")" "$(us_ms "$max")" \
        "$([ "$cp99" = - ] && echo - || us_ms "$cp99")" "$bef" "$aft"
    done <"$tmp/restarts"
    fails=$(awk '{ s += $7 + $8 + $9 + $10 + $11 } END { print s + 0 }' "$tmp/restarts")
    echo "target (issue 12): 0 failed requests and 0 connection errors during the restart: $([ "$fails" = 0 ] && echo met || echo "MISSED ($fails)")"
  fi
  [ -z "$noise" ] || { echo; echo "warnings and errors in the servers' logs:"; echo "$noise"; }
} | tee "$tmp/summary"
cp "$tmp/summary" "$OUT"
echo "== written to ${OUT#"$root"/}"
