#!/usr/bin/env bash
# Db facade vs raw client, per driver (BenchmarkDotNet, in-process). Starts the test servers (scripts/servers start,
# idempotent), builds bench/Db in Release, runs Get / Put / Select20 of the facade and of the raw client for SQLite,
# PostgreSQL, MySQL, Redis and DynamoDB, and writes the summary tables plus a ratio table (facade / raw, target <= 1.15)
# to bench/Db/last-run.md. Then (PAIRED=1, the default) the paired mode: the same methods with raw and facade
# alternated in ~150 ms blocks, 24 pairs per operation, median of the per-pair ratios, client CPU and bytes per call;
# on this noisy machine its medians are steadier than BenchmarkDotNet's Ratio (which compares runs a minute apart).
#
# Settings (environment):
#   FILTER='*'     BenchmarkDotNet filter (e.g. '*Postgres*', '*Redis*')
#   ROUNDS=1       run everything this many times; each round gets its own tables (ratios are within a round)
#   OUT=path       default bench/Db/last-run.md
#   PAIRED=0       skip the paired mode (about 2 minutes)
#   SKIP_SERVERS=1 do not run scripts/servers start (servers given by BKCS_TEST_POOL_URL_{POOL} or already running)
#   BENCH_DB_JOB=dry  one invocation per benchmark: a smoke test (seconds), figures meaningless
# The machine is shared and noisy: read the Ratio column, not the absolute times.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
FILTER=${FILTER:-*}
ROUNDS=${ROUNDS:-1}
OUT=${OUT:-$root/bench/Db/last-run.md}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ "${SKIP_SERVERS:-0}" != 1 ]; then
  echo "== starting servers (scripts/servers start)"
  scripts/servers start
fi

echo "== building bench/Db (Release)"
dotnet build -c Release bench/Db -nologo -v q -clp:NoSummary
dll=$root/bench/Db/bin/Release/net10.0/Backend.Benchmarks.dll

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bkcs-bench-db.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Prints "| driver | op | ratio | alloc facade | alloc raw | met |" rows from one BenchmarkDotNet GitHub-markdown report.
ratios() { # ratios DRIVER REPORT
  awk -F'|' -v driver="$1" '
    function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
    /^\| *Method *\|/ { for (i = 2; i < NF; i++) col[trim($i)] = i; next }
    /^\|[ -]*\|/ { next }
    /^\| *Raw(Get|Put|Select) *\|/ { raw[trim($col["Categories"])] = trim($col["Allocated"]) }
    /^\| *Facade/ {
      cat = trim($col["Categories"]); r = trim($col["Ratio"]); a = trim($col["Allocated"])
      met = (r + 0 <= 1.15) ? "yes" : "**no**"
      printf "| %s | %s | %s | %s | %s | %s |\n", driver, cat, r, a, raw[cat], met
    }
    /^\| *RawSelectScript *\|/ { printf "| %s | Select20 (raw Lua script, not the facade) | %s | – | %s | – |\n", driver, trim($col["Ratio"]), trim($col["Allocated"]) }
  ' "$2"
}

{
  echo "# bench/Db last run"
  echo
  echo "Date (UTC): $(date -u '+%Y-%m-%d %H:%M')  "
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)  "
  echo "SDK: $(dotnet --version); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); filter '$FILTER', rounds $ROUNDS, job ${BENCH_DB_JOB:-warmup 3, iterations 10}  "
  echo "src/ files changed but not committed when built: $(git status --porcelain src 2>/dev/null | wc -l)  "
  echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$tmp/head.md"

: >"$tmp/body.md"
for round in $(seq "$ROUNDS"); do
  echo "== round $round of $ROUNDS"
  art=$tmp/artifacts-$round
  start=$(date -u '+%H:%M')
  BENCH_DB_ARTIFACTS=$art dotnet "$dll" --filter "$FILTER" 2>&1 | tee "$tmp/log-$round.txt" | grep -E '^(// \*\*\*\*\* Running|// Benchmark:|Run time:|Global total time:)|Exception' || true
  grep -q 'Global total time' "$tmp/log-$round.txt" || { echo "bench/Db/run.sh: the benchmark run failed, see $tmp/log-$round.txt" >&2; trap - EXIT; exit 1; }
  {
    echo
    echo "## Round $round ($start–$(date -u '+%H:%M') UTC, load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
    echo "Facade / raw (Ratio column; target <= 1.15):"
    echo
    echo "| driver | operation | ratio facade/raw | allocated facade | allocated raw | <= 1.15 |"
    echo "|---|---|---|---|---|---|"
    for kind in Sqlite Postgres MySql Redis DynamoDb; do
      f=$(ls "$art"/results/*."$kind"Bench-report-github.md 2>/dev/null | head -1 || true)
      [ -n "$f" ] && ratios "$kind" "$f"
    done
    for kind in Sqlite Postgres MySql Redis DynamoDb; do
      f=$(ls "$art"/results/*."$kind"Bench-report-github.md 2>/dev/null | head -1 || true)
      [ -n "$f" ] || continue
      echo
      echo "### ${kind}Bench"
      echo
      # the environment block is the same for every driver: keep it for the first one only
      sed -n '/^| *Method/,$p' "$f"
    done
  } >>"$tmp/body.md"
done

if [ "${PAIRED:-1}" = 1 ]; then
  echo "== paired mode (raw and facade alternated)"
  pfilter=$(echo "$FILTER" | tr -d '*')
  start=$(date -u '+%H:%M')
  dotnet "$dll" --paired "${pfilter:-*}" >"$tmp/paired.txt" 2>&1 || true
  sed -n '/^| driver/,$p' "$tmp/paired.txt"
  grep -q '^| driver' "$tmp/paired.txt" || { echo "bench/Db/run.sh: the paired run failed, see $tmp/paired.txt" >&2; trap - EXIT; exit 1; }
  {
    echo
    echo "## Paired mode ($start–$(date -u '+%H:%M') UTC, load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
    echo "Raw and facade alternated in ~150 ms blocks (ABBA), 24 pairs per operation; ratio = facade (or other) / raw per"
    echo "adjacent pair. Client CPU is this process's CPU time (all threads) per call: the server's time is not in it."
    echo
    sed -n '/^| driver/,$p' "$tmp/paired.txt"
  } >>"$tmp/body.md"
fi

first=$(ls "$tmp"/artifacts-1/results/*-report-github.md 2>/dev/null | head -1 || true)
{
  cat "$tmp/head.md"
  if [ -n "$first" ]; then
    echo
    echo '```'
    sed -n '/^```$/,/^```$/p' "$first" | sed '/^```$/d'
    echo '```'
  fi
  cat "$tmp/body.md"
} >"$OUT"
echo "== written $OUT"
sed -n '/^## Round/,/^### /p' "$OUT" | grep -E '^\||^## '
sed -n '/^## Paired/,$p' "$OUT" | grep -E '^\|'
