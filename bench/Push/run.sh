#!/usr/bin/env bash
# Push: APNs throughput (issue 16, point 6). Builds bench/Push in Release and runs it: ApnsSender against a local
# APNs fake in a second process (Kestrel on 127.0.0.1, HTTP/2 + TLS, the provider token verified with the public key),
# one multiplexed HTTP/2 connection against a new connection per notification, interleaved in each round, for each
# concurrency (sends in flight). Writes the output to bench/Push/last-run.md.
#
# Settings (environment):
#   CONCURRENCY="100 200"   sends in flight (one bench run each)
#   SECONDS_PER=5 WARMUP=2  seconds per timed run, seconds of warm-up before each
#   ROUNDS=3                rounds (medians over them; ratios within a round)
#   OUT=path                default bench/Push/last-run.md
# The machine is shared and noisy: read the ratios, not the absolute figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
CONCURRENCY=${CONCURRENCY:-100 200}
SECONDS_PER=${SECONDS_PER:-5}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-$root/bench/Push/last-run.md}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== building bench/Push (Release)"
dotnet build -c Release bench/Push -nologo -v q -clp:NoSummary
dll=$root/bench/Push/bin/Release/net10.0/Backend.Bench.Push.dll

tmp=$(mktemp "${TMPDIR:-/tmp}/bkcs-bench-push.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
  echo "# bench/Push: last run"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg). .NET SDK $(dotnet --version)."
  echo
} > "$tmp"
for c in $CONCURRENCY; do
  echo "== $c sends in flight"
  { dotnet "$dll" --concurrency "$c" --seconds "$SECONDS_PER" --warmup "$WARMUP" --rounds "$ROUNDS"; echo; } | tee -a "$tmp"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)." >> "$tmp"
cp "$tmp" "$OUT"
echo "== wrote $OUT"
