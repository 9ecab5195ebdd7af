#!/usr/bin/env bash
# Social API benchmark: /location/get over 100,000 located accounts and /connection/select over 10,000 connections of
# one account, on SQLite and on PostgreSQL, against a bare endpoint of the same server process as the baseline.
#   bare         GET /bench/bare         open path, writes "{}" (the baseline every ratio is relative to)
#   loc5         GET /location/get       signed; distance=5 km (the default), _count=50, 16 centres taken in turn
#   loc20        GET /location/get       signed; distance=20 km, _count=50, the same 16 centres
#   conn         GET /connection/select  signed; type=like, _count=50 (skipped when the build has no connections API)
# Data: bench/social/Seeder.cs writes it through the Db facade (SQLite: a fresh home each run; PostgreSQL: the database
# bkcs_bench_social on the server of /tmp/backendcs-servers/servers.env, created and seeded once, kept afterwards).
# Before the load, `probe` times the search and the account List in-process (no HTTP). Summary on stdout and in
# bench/social/last-run.txt.
#
# Settings (environment): DURATION=10s WARMUP=3s CONNECTIONS=32 THREADS=2 POOLS="sqlite pgsql" SKIP_BUILD=0
#   BENCH_ACCOUNTS=100000 BENCH_CONNECTIONS=10000 BENCH_LAT=34.0 BENCH_LON=-118.3 BENCH_SPREAD=4 (degrees, square side)
#   OUT=path (default bench/social/last-run.txt)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
POOLS=${POOLS:-sqlite pgsql}
SKIP_BUILD=${SKIP_BUILD:-0}
OUT=${OUT:-$root/bench/social/last-run.txt}
export BENCH_ACCOUNTS=${BENCH_ACCOUNTS:-100000} BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-10000}
export BENCH_LAT=${BENCH_LAT:-34.0} BENCH_LON=${BENCH_LON:--118.3} BENCH_SPREAD=${BENCH_SPREAD:-4}
EXPIRES=$(( ($(date +%s) + 86400) * 1000 )) # a day ahead (within -api-signature-max-age, 7 days): one static signature per request line
SERVERS_ENV=${BKCS_SERVERS_DIR:-/tmp/backendcs-servers}/servers.env
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dll=$root/bench/social/bin/Release/net10.0/Backend.Bench.Social.dll
die() { echo "bench/social/run.sh: $*" >&2; exit 1; }

command -v dotnet >/dev/null || die "dotnet (the .NET 10 SDK) is required"
command -v curl >/dev/null || die "curl is required"
command -v openssl >/dev/null || die "openssl is required (it signs the requests)"
command -v wrk >/dev/null || die "wrk is required (Debian package wrk; bench/http/run.sh installs it)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bkcs-social.XXXXXX")
server_pid=""
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

free_port() { # below the ephemeral range, where wrk's client ports live
  local low=32768 port
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$low" -gt 12000 ] || low=32768
  for _ in $(seq 100); do
    port=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  die "no free port found"
}

# sign PATH QUERY: the v1 bk-signature header of GET PATH?QUERY for login/secret bench/bench on host 127.0.0.1 (the
# server drops the port of the Host header). QUERY must already be in sorted order, as the server sorts it.
sign() {
  local s
  s=$(printf 'GET\n127.0.0.1\n%s\n%s\n%s\n\n\n' "$1" "$2" "$EXPIRES" | openssl dgst -sha1 -hmac bench -binary | base64)
  echo "1||bench|$s|$EXPIRES||"
}

# ---- build -------------------------------------------------------------------------------------------------------
if [ "$SKIP_BUILD" != 1 ]; then
  echo "== building bench/social (Release)"
  dotnet build "$root/bench/social/Backend.Bench.Social.csproj" -c Release -nologo -v quiet >"$tmp/build.log" 2>&1 \
    || { cat "$tmp/build.log"; die "build failed"; }
fi
[ -f "$dll" ] || die "missing $dll (build it, or drop SKIP_BUILD=1)"

# ---- request files -----------------------------------------------------------------------------------------------
printf '/bench/bare\t\n' >"$tmp/req.bare"
# 16 centres on a 4x4 grid over the inner half of the seeded square, so every 20 km circle lies inside the data.
for km in 5 20; do
  : >"$tmp/req.loc$km"
  for i in 0 1 2 3; do
    for j in 0 1 2 3; do
      lat=$(awk -v c="$BENCH_LAT" -v s="$BENCH_SPREAD" -v i="$i" 'BEGIN { printf "%.5f", c + s * (i / 3 - 0.5) / 2 }')
      lon=$(awk -v c="$BENCH_LON" -v s="$BENCH_SPREAD" -v j="$j" 'BEGIN { printf "%.5f", c + s * (j / 3 - 0.5) / 2 }')
      q="_count=50&distance=$km&latitude=$lat&longitude=$lon" # sorted: _ < d < la < lo
      printf '/location/get?%s\t%s\n' "$q" "$(sign /location/get "$q")" >>"$tmp/req.loc$km"
    done
  done
done
q="_count=50&type=like"
printf '/connection/select?%s\t%s\n' "$q" "$(sign /connection/select "$q")" >"$tmp/req.conn"

machine_ticks() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat; } # busy total
process_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }                          # utime+stime
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)

# run_wrk NAME DURATION: appends "POOL NAME WRK_RESULT... cpu_server=% cpu_other=%" to $tmp/results (timed runs only)
run_wrk() {
  local name=$1 duration=$2 busy0 total0 busy1 total1 s0 s1 w0 w1
  read -r busy0 total0 <<<"$(machine_ticks)"; s0=$(process_ticks "$server_pid")
  BENCH_REQUESTS="$tmp/req.$name" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -s "$root/bench/social/requests.lua" \
    "http://127.0.0.1:$port" >"$tmp/wrk.out" 2>&1 || { cat "$tmp/wrk.out" >&2; die "wrk failed on $name"; }
  read -r busy1 total1 <<<"$(machine_ticks)"; s1=$(process_ticks "$server_pid")
  [ "$duration" = "$DURATION" ] || return 0
  local line; line=$(grep '^WRK_RESULT' "$tmp/wrk.out") || { cat "$tmp/wrk.out" >&2; die "no wrk result for $name"; }
  # "other": what the rest of the machine (wrk included) took; the machine is shared.
  echo "$pool $name $line $(awk -v b=$((busy1 - busy0)) -v t=$((total1 - total0)) -v s=$((s1 - s0)) \
    'BEGIN { printf "cpu_server=%d cpu_rest=%d", 100 * s / t, 100 * (b - s) / t }') server_ticks=$((s1 - s0))" >>"$tmp/results"
}

: >"$tmp/results"
: >"$tmp/notes"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for pool in $POOLS; do
  case $pool in
    sqlite)
      mkdir -p "$tmp/home-sqlite"; home=$tmp/home-sqlite; poolargs=() ;;
    pgsql)
      url=$(awk '$1 == "pgsql" { print $3 }' "$SERVERS_ENV" 2>/dev/null || true)
      if [ -z "$url" ]; then echo "pgsql: no server in $SERVERS_ENV (scripts/servers start pgsql): skipped" | tee -a "$tmp/notes"; continue; fi
      hostport=${url#postgresql://}; hostport=${hostport#*@}; hostport=${hostport%%/*}
      # Its own database: 200,000 bench rows must not slow the tests' database down.
      if ! psql -X -w -q -h "${hostport%%:*}" -p "${hostport##*:}" -U postgres -d postgres -tAc \
          "SELECT 1 FROM pg_database WHERE datname = 'bkcs_bench_social'" | grep -q 1; then
        psql -X -w -q -h "${hostport%%:*}" -p "${hostport##*:}" -U postgres -d postgres -c "CREATE DATABASE bkcs_bench_social" >/dev/null
      fi
      mkdir -p "$tmp/home-pgsql"; home=$tmp/home-pgsql
      poolargs=(-db-pool pgsql -db-pgsql-pool "${url%/*}/bkcs_bench_social") ;;
    *) die "unknown pool $pool (sqlite or pgsql)" ;;
  esac
  echo "== $pool: seeding"
  t0=$(date +%s)
  dotnet "$dll" seed -home "$home" -log warn "${poolargs[@]}" | tee "$tmp/seed.$pool"
  echo "$pool: seeding took $(( $(date +%s) - t0 )) s: $(tail -n 2 "$tmp/seed.$pool" | paste -sd ';' | sed 's/;/; /')" >>"$tmp/notes"

  # The search and the account List timed in-process, one call at a time: CPU per call, less sensitive to the noise.
  dotnet "$dll" probe -home "$home" -log warn "${poolargs[@]}" | sed "s/^/$pool /" | tee -a "$tmp/notes"

  port=$(free_port)
  dotnet "$dll" serve -home "$home" -api-bind 127.0.0.1 -api-allow-path '^/bench/bare$' -api-allow-path '^/bench/stats$' \
    -log warn "${poolargs[@]}" -api-port "$port" >"$tmp/server.$pool.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/bench/bare" || true)" = 200 ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.$pool.log" >&2; die "the $pool server exited"; }
    sleep 0.1
  done

  endpoints=()
  for name in bare loc5 loc20 conn; do
    IFS=$'\t' read -r path sig <"$tmp/req.$name"
    hdr=(); [ -n "$sig" ] && hdr=(-H "bk-signature: $sig")
    code=$(curl -s -o "$tmp/check.$pool.$name" -w '%{http_code}' "${hdr[@]}" "http://127.0.0.1:$port$path")
    if [ "$code" = 200 ]; then
      endpoints+=("$name")
      rows=$({ grep -o '"id"' "$tmp/check.$pool.$name" || true; } | wc -l)
      [ "$name" = bare ] || echo "$pool $name: first request answered 200 with $rows rows" >>"$tmp/notes"
    elif [ "$name" = conn ]; then
      echo "$pool conn: GET $path answered $code ($(head -c 200 "$tmp/check.$pool.$name")): skipped (no connections API in this build?)" | tee -a "$tmp/notes"
    else
      cat "$tmp/check.$pool.$name" >&2; die "$pool: GET $path answered $code"
    fi
  done
  for name in "${endpoints[@]}"; do
    echo "== $pool: $name: warm-up $WARMUP, then wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
    run_wrk "$name" "$WARMUP"
    run_wrk "$name" "$DURATION"
  done
  stop_server
done

# ---- summary -----------------------------------------------------------------------------------------------------
{
  echo "Backend.cs social API benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); .NET $(dotnet --version 2>/dev/null);" \
    "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- . ':!bench/social/last-run.txt' 2>/dev/null || echo ' (with local changes)');" \
    "load average before: $load_before"
  echo "data: $BENCH_ACCOUNTS accounts uniform over ${BENCH_SPREAD}x${BENCH_SPREAD} degrees around $BENCH_LAT,$BENCH_LON;" \
    "$BENCH_CONNECTIONS like connections of the caller"
  echo "load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency after a $WARMUP warm-up, on the same machine; one server per pool"
  echo
  printf '%-7s %-6s %9s %8s %7s %7s %7s %8s %8s %10s %s\n' pool endpoint 'req/s' 'vs bare' 'p50 ms' 'p90 ms' 'p99 ms' 'max ms' 'non-2xx' 'CPU us/req' 'CPU% server/rest'
  while read -r p name _ rest; do
    line="x $rest"
    rps=$(awk -v n="$(field requests <<<"$line")" -v d="$(field duration_us <<<"$line")" 'BEGIN { printf "%.0f", n / (d / 1e6) }')
    bare=$(awk -v p="$p" '$1 == p && $2 == "bare"' "$tmp/results")
    brps=$(awk -v n="$(field requests <<<"$bare")" -v d="$(field duration_us <<<"$bare")" 'BEGIN { printf "%.0f", n / (d / 1e6) }')
    ms() { awk -v v="$(field "$1" <<<"$line")" 'BEGIN { printf "%.2f", v / 1000 }'; }
    cpu_us=$(awk -v t="$(field server_ticks <<<"$line")" -v hz="$clk_tck" -v n="$(field requests <<<"$line")" 'BEGIN { printf "%.0f", t * 1e6 / hz / (n > 0 ? n : 1) }')
    printf '%-7s %-6s %9s %8.3f %7s %7s %7s %8s %8s %10s %s\n' "$p" "$name" "$rps" "$(awk -v a="$rps" -v b="$brps" 'BEGIN { print a / b }')" \
      "$(ms p50_us)" "$(ms p90_us)" "$(ms p99_us)" "$(ms max_us)" \
      "$(( $(field non2xx <<<"$line") + $(field connect <<<"$line") + $(field read <<<"$line") + $(field timeout <<<"$line") ))" \
      "$cpu_us" "$(field cpu_server <<<"$line")/$(field cpu_rest <<<"$line")"
  done <"$tmp/results"
  echo "(CPU us/req: the server process's CPU time per request (a PostgreSQL server's own work is in \"rest\");"
  echo " CPU%: share of the machine ($(nproc) cores) taken during the timed run by the server / by everything else, wrk included)"
  echo
  cat "$tmp/notes"
  sqlite5=$(awk '$1 == "sqlite" && $2 == "loc5"' "$tmp/results" | field p99_us)
  if [ -n "$sqlite5" ]; then
    echo
    printf 'target: /location/get p99 < 20 ms at -c%s on SQLite (default 5 km radius): %s ms, %s\n' "$CONNECTIONS" \
      "$(awk -v v="$sqlite5" 'BEGIN { printf "%.2f", v / 1000 }')" "$(awk -v v="$sqlite5" 'BEGIN { print (v < 20000 ? "met" : "MISSED") }')"
  fi
} | tee "$tmp/summary"
cp "$tmp/summary" "$OUT"
echo "(written to ${OUT#"$root"/})"
