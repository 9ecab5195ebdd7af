#!/usr/bin/env bash
# Signed GET /account/get per cache kind (issue 11): the real server (bkcs run-backend, SQLite in its temporary home)
# with -cache-type local (the baseline: no shared cache, -msg-type local), -cache-type redis and -cache-type memcache
# (both with -msg-type redis, as a cluster node would run). The three servers run side by side and wrk loads them in
# turn, A B C A B C ..., so the machine's noise falls on all three alike; every ratio is to `local` of the same round.
#
# Two phases, each with its own three servers:
#   l1   one account, default -db-cache-size (10,000 rows): bk_auth is always in the process's own copy (L1 hit).
#        What a cluster node does on most requests; the shared cache is not called at all.
#   l2   ACCOUNTS accounts (500), -db-cache-size 1: the process keeps (almost) no copy, so every signed request
#        misses L1. With local, bk_auth is read from SQLite; with redis/memcache, from the shared cache (3 pipelined
#        GETs: table version, row version, value; a value lives -db-cache-ttl, 5 s, then one SQLite read re-stores it).
#        This is the cold path: a node just started, or more active accounts than -db-cache-size.
# /account/get itself then reads bk_account from SQLite (not cached) in every configuration.
#
# Settings (environment): DURATION=8s WARMUP=8s CONNECTIONS=64 THREADS=2 ROUNDS=3 ACCOUNTS=500 PHASES="l1 l2"
#   SKIP_BUILD=1  use the existing Release build of bkcs
#   REDIS=127.0.0.1:6380 MEMCACHE=127.0.0.1:11212   (default: read from scripts/servers status)
#   OUT=path      the summary (default bench/cluster/last-run.txt)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-8s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
ACCOUNTS=${ACCOUNTS:-500}
PHASES=${PHASES:-l1 l2}
SKIP_BUILD=${SKIP_BUILD:-0}
OUT=${OUT:-$root/bench/cluster/last-run.txt}
EXPIRES=$(( ($(date +%s) + 86400) * 1000 ))
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
bkcs_dll=$root/src/Backend.Cli/bin/Release/net10.0/bkcs.dll

die() { echo "bench/cluster/run.sh: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is required (apt-get install wrk; bench/http/run.sh installs it)"
command -v openssl >/dev/null || die "openssl is required"
server_addr() { scripts/servers status 2>/dev/null | awk -v n="$1" '$1 == n && $2 == "running" { print $3 }'; }
REDIS=${REDIS:-$(server_addr redis)}
MEMCACHE=${MEMCACHE:-$(server_addr memcached)}
[ -n "$REDIS" ] || die "no redis server (scripts/servers start redis, or REDIS=host:port)"
[ -n "$MEMCACHE" ] || die "no memcached server (scripts/servers start memcached, or MEMCACHE=host:port)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bkcs-cluster.XXXXXX")
declare -A pid port
stop_pid() {
  local p=$1 i
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
stop_all() { local c; for c in "${!pid[@]}"; do stop_pid "${pid[$c]}"; unset "pid[$c]"; done; }
cleanup() { stop_all; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local low=32768 p i
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$low" -gt 12000 ] || low=32768
  for i in $(seq 100); do
    p=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free port found"
}
wait_ok() { # URL PID: until a 200, 60 s at most
  local i
  for i in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" 2>/dev/null || true)" = 200 ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

if [ "$SKIP_BUILD" != 1 ]; then
  echo "== building bkcs (Release)"
  dotnet build "$root/src/Backend.Cli/Backend.Cli.csproj" -c Release -nologo -v quiet >"$tmp/build.log" 2>&1 \
    || { cat "$tmp/build.log"; die "build of bkcs failed"; }
fi
[ -f "$bkcs_dll" ] || die "missing $bkcs_dll"

configs=(local redis memcache)
# Each run's keys are its own: the Redis cache in database 9 of the shared server (not the one tests use by
# default), logins made of a run id. The invalidation channel is the same for both shared servers; no write happens
# during the load, so nothing is broadcast.
cfg_args() {
  case $1 in
    local) echo "-cache-type local -msg-type local" ;;
    redis) echo "-cache-type redis -redis-host ${REDIS%:*} -redis-port ${REDIS##*:} -redis-options {\"db\":9} -msg-type redis" ;;
    memcache) echo "-cache-type memcache -memcache-host $MEMCACHE -redis-host ${REDIS%:*} -redis-port ${REDIS##*:} -redis-options {\"db\":9} -msg-type redis" ;;
  esac
}
start_cfg() { # start_cfg CONFIG PHASE EXTRA...
  local c=$1 phase=$2 try p; shift 2
  mkdir -p "$tmp/$phase-$c"
  for try in 1 2 3 4 5; do
    p=$(free_port)
    # shellcheck disable=SC2046
    dotnet "$bkcs_dll" run -home "$tmp/$phase-$c" -bind 127.0.0.1 -port "$p" -log warn -api-allow-path '^/ping$' $(cfg_args "$c") "$@" \
      >"$tmp/$phase-$c.log" 2>&1 &
    pid[$c]=$!
    port[$c]=$p
    wait_ok "http://127.0.0.1:$p/ping" "${pid[$c]}" && return 0
    if ! kill -0 "${pid[$c]}" 2>/dev/null && grep -qi 'address already in use' "$tmp/$phase-$c.log"; then continue; fi
    cat "$tmp/$phase-$c.log" >&2; die "the $c server did not answer /ping"
  done
  die "no port could be bound"
}

# One signature serves every account: a v1 signature covers method, host, path, query and expiry, not the login,
# and every account has the secret "bench". The login is in the header.
sig=$(printf 'GET\n127.0.0.1\n/account/get\n\n%s\n\n\n' "$EXPIRES" | openssl dgst -sha1 -hmac bench -binary | base64)
run_id=$(printf '%04x%04x' $RANDOM $RANDOM)

process_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
machine_ticks() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat; }
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
# Hits and misses of the shared cache's server, to check the l2 phase reads it (the servers are shared with other
# programs, so this is an indication, not an exact count): "hits misses".
shared_stats() {
  case $1 in
    redis) redis-cli -h "${REDIS%:*}" -p "${REDIS##*:}" info stats 2>/dev/null | tr -d '\r' | awk -F: '/^keyspace_hits/ { h = $2 } /^keyspace_misses/ { m = $2 } END { print h + 0, m + 0 }' ;;
    memcache) { exec 3<>"/dev/tcp/${MEMCACHE%:*}/${MEMCACHE##*:}" && printf 'stats\r\nquit\r\n' >&3 && tr -d '\r' <&3; exec 3<&-; } 2>/dev/null \
      | awk '$2 == "get_hits" { h = $3 } $2 == "get_misses" { m = $3 } END { print h + 0, m + 0 }' ;;
    *) echo 0 0 ;;
  esac
}

wrk_run() { # CONFIG DURATION SIGFILE: the WRK_RESULT line on stdout
  SIGS=$3 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2" --latency -s "$root/bench/cluster/accounts.lua" "http://127.0.0.1:${port[$1]}/account/get" \
    >"$tmp/wrk.out" 2>&1 || { cat "$tmp/wrk.out" >&2; die "wrk failed on $1"; }
  grep '^WRK_RESULT' "$tmp/wrk.out" || { cat "$tmp/wrk.out" >&2; die "no wrk result for $1"; }
}

echo "== $(date -u '+%F %T') UTC, commit $(git rev-parse --short HEAD), redis $REDIS (db 9), memcached $MEMCACHE, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   wrk -t$THREADS -c$CONNECTIONS -d$DURATION after a $WARMUP warm-up per server, $ROUNDS rounds alternating ${configs[*]}; SQLite in each server's home"
: >"$tmp/results"
for phase in $PHASES; do
  case $phase in
    l1) n=1; extra=() ;;
    l2) n=$ACCOUNTS; extra=(-db-cache-size 1) ;;
    *) die "unknown phase $phase" ;;
  esac
  : >"$tmp/sigs-$phase"
  urls=()
  for i in $(seq "$n"); do
    login="c${run_id}${phase}a$i"
    echo "1||$login|$sig|$EXPIRES||" >>"$tmp/sigs-$phase"
    urls+=("/account/add?login=$login&secret=bench&name=A$i")
  done
  for c in "${configs[@]}"; do
    start_cfg "$c" "$phase" "${extra[@]}"
    base="http://127.0.0.1:${port[$c]}"
    # The accounts, over one keep-alive connection; every answer must be a 200.
    printf "url = \"$base%s\"\noutput = /dev/null\n" "${urls[@]}" >"$tmp/add.curl"
    bad=$(curl -s -K "$tmp/add.curl" -w '%{http_code}\n' | grep -vc '^200$' || true)
    [ "$bad" = 0 ] || die "$bad of $n /account/add calls failed on $c"
    code=$(curl -s -o "$tmp/check" -w '%{http_code}' -H "bk-signature: $(head -1 "$tmp/sigs-$phase")" "$base/account/get")
    [ "$code" = 200 ] || { cat "$tmp/check"; die "signed /account/get answered $code on $c"; }
    echo "   $phase: $c server pid ${pid[$c]} on port ${port[$c]}: $(cfg_args "$c") ${extra[*]}; $n account(s)"
  done
  for c in "${configs[@]}"; do wrk_run "$c" "$WARMUP" "$tmp/sigs-$phase" >/dev/null; done
  for round in $(seq "$ROUNDS"); do
    for c in "${configs[@]}"; do
      read -r h0 m0 <<<"$(shared_stats "$c")"
      read -r busy0 total0 <<<"$(machine_ticks)"; s0=$(process_ticks "${pid[$c]}")
      line=$(wrk_run "$c" "$DURATION" "$tmp/sigs-$phase")
      read -r busy1 total1 <<<"$(machine_ticks)"; s1=$(process_ticks "${pid[$c]}")
      read -r h1 m1 <<<"$(shared_stats "$c")"
      req=$(field requests <<<"$line"); dur=$(field duration_us <<<"$line")
      errs=$(( $(field non2xx <<<"$line") + $(field connect <<<"$line") + $(field read <<<"$line") + $(field write <<<"$line") + $(field timeout <<<"$line") ))
      rps=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
      cpu=$(awk -v t=$((s1 - s0)) -v hz="$clk_tck" -v r="$req" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
      mcpu=$(awk -v b=$((busy1 - busy0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')
      echo "$phase $round $c $rps $(field p50_us <<<"$line") $(field p99_us <<<"$line") $cpu $mcpu $errs" >>"$tmp/results"
      shared=$(awk -v h=$((h1 - h0)) -v m=$((m1 - m0)) -v r="$req" 'BEGIN { printf "%.2f hits %.2f misses", h / r, m / r }')
      printf '   %s round %s %-8s %8s req/s  p50 %5.2f ms  p99 %6.2f ms  server CPU %6s us/req  machine busy %3s%%  errors %s  shared cache per req: %s\n' \
        "$phase" "$round" "$c" "$rps" "$(awk -v u="$(field p50_us <<<"$line")" 'BEGIN { print u / 1000 }')" \
        "$(awk -v u="$(field p99_us <<<"$line")" 'BEGIN { print u / 1000 }')" "$cpu" "$mcpu" "$errs" "$shared"
    done
  done
  for c in "${configs[@]}"; do
    grep -iE 'warn|fail|error' "$tmp/$phase-$c.log" | head -3 | sed "s/^/   $phase $c log: /" || true
  done
  stop_all
done

# Summary: per phase and config, the medians over rounds; the ratio is to local of the same round, then the median.
{
  echo
  echo "| phase | cache | req/s (median) | vs local (median of per-round ratios) | per-round ratios | p50 ms | p99 ms | server CPU us/req | errors |"
  echo "|---|---|---|---|---|---|---|---|---|"
  awk '
    function median(s,   n, a, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    { key = $1 " " $3; rps[key] = rps[key] " " $4; p50[key] = p50[key] " " $5; p99[key] = p99[key] " " $6; cpu[key] = cpu[key] " " $7; err[key] += $9
      r[$1 " " $2 " " $3] = $4; if (!($1 in seen)) { seen[$1] = 1; phases[++np] = $1 } if (!($3 in cs)) { cs[$3] = 1; cfgs[++nc] = $3 } if ($2 > nr) nr = $2 }
    END { for (p = 1; p <= np; p++) for (c = 1; c <= nc; c++) { key = phases[p] " " cfgs[c]; ratios = ""; list = ""
        for (k = 1; k <= nr; k++) { x = r[phases[p] " " k " " cfgs[c]] / r[phases[p] " " k " local"]; ratios = ratios " " x; list = list (k > 1 ? ", " : "") sprintf("%.2f", x) }
        printf "| %s | %s | %.0f | %.2f | %s | %.2f | %.2f | %.1f | %d |\n", phases[p], cfgs[c], median(rps[key]), median(ratios), list, median(p50[key]) / 1000, median(p99[key]) / 1000, median(cpu[key]), err[key] } }
  ' "$tmp/results"
} | tee "$tmp/summary"
{
  echo "bench/cluster/run.sh, $(date -u '+%F %T') UTC, commit $(git rev-parse --short HEAD), ROUNDS=$ROUNDS DURATION=$DURATION CONNECTIONS=$CONNECTIONS ACCOUNTS=$ACCOUNTS"
  echo "rows: phase round config req/s p50_us p99_us server_cpu_us_per_req machine_busy_% errors"
  cat "$tmp/results"
  cat "$tmp/summary"
} >"$OUT"
echo "== written to $OUT"
