#!/usr/bin/env bash
# Where the statistics' CPU goes (issue 13, point 7), to go with bench/metrics/run.sh's on/off figures: one `bkcs run`
# server (Release, 127.0.0.1, a temporary home with SQLite, one account added with /account/add) under wrk on signed
# GET /account/get (or /ping), profiled with `perf record -g` (JIT frames named: DOTNET_PerfMapEnabled=1, and
# DOTNET_EnableWriteXorExecute=0 so perf can match them), then bench/metrics/attribute.py: the share of the server's
# samples (user and kernel) in StatsCollector's parts, in ASP.NET Core's HostingMetrics, and what the statistics' code
# spends its time in (the clock, locks, its own instructions, exp()). What the JIT inlined into other code (DbMeter into
# Db.GetAsync, the instruments' dispatch) is not counted: a lower bound.
#
# Settings (environment):
#   ENDPOINT=get (or ping)   MODE=on (or off: -api-no-metrics, for comparison)
#   WARMUP=8 PROFILE=15      seconds of load before perf starts, seconds perf records (wrk runs WARMUP + PROFILE + 2)
#   CONNECTIONS=64 THREADS=2 FREQ=999 (perf samples per second)
#   SKIP_BUILD=1             use the existing Release build
#   OUT=path                 the summary (default bench/metrics/last-profile.txt)
# Needs: dotnet, wrk, curl, openssl, perf, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

ENDPOINT=${ENDPOINT:-get}
MODE=${MODE:-on}
WARMUP=${WARMUP:-8}
PROFILE=${PROFILE:-15}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
FREQ=${FREQ:-999}
SKIP_BUILD=${SKIP_BUILD:-0}
OUT=${OUT:-$root/bench/metrics/last-profile.txt}
EXPIRES=$(( ($(date +%s) + 86400) * 1000 ))
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
bkcs_dll=$root/src/Backend.Cli/bin/Release/net10.0/bkcs.dll

die() { echo "bench/metrics/profile.sh: $*" >&2; exit 1; }
for t in dotnet wrk curl openssl perf python3; do command -v "$t" >/dev/null || die "$t is required"; done
case $ENDPOINT in get) path=/account/get ;; ping) path=/ping ;; *) die "ENDPOINT is get or ping" ;; esac
case $MODE in on) mode_args=() ;; off) mode_args=(-api-no-metrics) ;; *) die "MODE is on or off" ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bkcs-metrics-profile.XXXXXX")
server_pid=""
wrk_pid=""
cleanup() {
  [ -z "$wrk_pid" ] || { kill -KILL "$wrk_pid" 2>/dev/null || true; wait "$wrk_pid" 2>/dev/null || true; }
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    rm -f "/tmp/perf-$server_pid.map" "/tmp/perfinfo-$server_pid.map" # written by the server (DOTNET_PerfMapEnabled)
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local low=32768 p i
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$low" -gt 12000 ] || low=32768
  for i in $(seq 200); do
    p=$((10000 + RANDOM % (low - 10000)))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  die "no free port found"
}
wait_ok() { # URL PID
  local i
  for i in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" 2>/dev/null || true)" = 200 ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

if [ "$SKIP_BUILD" != 1 ]; then
  echo "== building (dotnet build Backend.sln -c Release)"
  dotnet build "$root/Backend.sln" -c Release -nologo -v quiet >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; die "the Release build failed"; }
fi
[ -f "$bkcs_dll" ] || die "missing $bkcs_dll"

mkdir -p "$tmp/home"
for try in 1 2 3 4 5; do
  port=$(free_port)
  DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 dotnet "$bkcs_dll" run -home "$tmp/home" -bind 127.0.0.1 -port "$port" -log warn \
    -api-allow-path '^/ping$' "${mode_args[@]}" >"$tmp/server.log" 2>&1 &
  server_pid=$!
  wait_ok "http://127.0.0.1:$port/ping" "$server_pid" && break
  if ! kill -0 "$server_pid" 2>/dev/null && grep -qiE 'address already in use|is not free' "$tmp/server.log"; then
    wait "$server_pid" 2>/dev/null || true; server_pid=""; continue
  fi
  cat "$tmp/server.log" >&2; die "the server did not start"
done
[ -n "$server_pid" ] || die "no port could be bound"
base="http://127.0.0.1:$port"
code=$(curl -s -o "$tmp/add.json" -w '%{http_code}' "$base/account/add?login=bench&secret=bench&name=Bench")
[ "$code" = 200 ] || { cat "$tmp/add.json"; die "/account/add answered $code"; }
sig=$(printf 'GET\n127.0.0.1\n/account/get\n\n%s\n\n\n' "$EXPIRES" | openssl dgst -sha1 -hmac bench -binary | base64)
header="bk-signature: 1||bench|$sig|$EXPIRES||"
code=$(curl -s -o "$tmp/check.json" -w '%{http_code}' -H "$header" "$base$path")
[ "$code" = 200 ] || { cat "$tmp/check.json"; die "$path answered $code"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start_utc=$(date -u '+%F %T')
echo "== $start_utc UTC: server $MODE (pid $server_pid, port $port); wrk -t$THREADS -c$CONNECTIONS on $path; perf from ${WARMUP}s for ${PROFILE}s at ${FREQ} Hz"
args=(-t"$THREADS" -c"$CONNECTIONS" -d"$((WARMUP + PROFILE + 2))s")
[ "$ENDPOINT" = get ] && args+=(-H "$header")
wrk "${args[@]}" "$base$path" >"$tmp/wrk.out" 2>&1 &
wrk_pid=$!
sleep "$WARMUP"
perf record -F "$FREQ" -g -p "$server_pid" -o "$tmp/perf.data" -- sleep "$PROFILE" >"$tmp/perf.log" 2>&1 || { cat "$tmp/perf.log" >&2; die "perf record failed"; }
wait "$wrk_pid" || { cat "$tmp/wrk.out" >&2; die "wrk failed"; }
wrk_pid=""
perf script -i "$tmp/perf.data" -F comm,tid,ip,sym >"$tmp/perf.txt" 2>/dev/null
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "command: bench/metrics/profile.sh with ENDPOINT=$ENDPOINT MODE=$MODE WARMUP=$WARMUP PROFILE=$PROFILE CONNECTIONS=$CONNECTIONS THREADS=$THREADS FREQ=$FREQ"
  echo "started $start_utc UTC; commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src with local changes)'); $(nproc) cores; load average before: $load_before; after: $load_after"
  echo "wrk on $path: $(grep -E 'Requests/sec' "$tmp/wrk.out" | tr -s ' ')"
  python3 "$root/bench/metrics/attribute.py" "$tmp/perf.txt"
} | tee "$tmp/summary"
mkdir -p "$(dirname "$OUT")"
cp "$tmp/summary" "$OUT"
echo "== written to ${OUT#"$root"/}"
