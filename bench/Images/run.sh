#!/usr/bin/env bash
# Choosing the imaging library (issue 14, point 4). Builds bench/Images in Release, generates the inputs (once, into
# $BENCH_IMAGES_INPUTS or bin/.../inputs, not in git), then: --verify (outputs checked; stops on a failure),
# --throughput (img/s wall and CPU, libraries interleaved, ratios within rounds), --memory (peak RSS per image, a fresh
# process each), --robustness (damaged inputs, decompression bomb) and BenchmarkDotNet (time + managed allocations, Magick.NET
# the baseline). Writes everything to bench/Images/last-run.md. Installs Debian's imagemagick (the convert baseline) if missing.
#
# Settings (environment):
#   SECONDS_PER=3 ROUNDS=3   --throughput: seconds per library per round, rounds
#   PARTS="verify throughput memory robustness bdn"
#   FILTER='*'               BenchmarkDotNet filter
#   OUT=path                 default bench/Images/last-run.md
#   BENCH_IMAGES_JOB=dry     one invocation per benchmark: a smoke test, figures meaningless
# The machine is shared and noisy: read the ratios, not the absolute figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
SECONDS_PER=${SECONDS_PER:-3}
ROUNDS=${ROUNDS:-3}
PARTS=${PARTS:-verify throughput memory robustness bdn}
FILTER=${FILTER:-*}
OUT=${OUT:-$root/bench/Images/last-run.md}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! [ -x /usr/bin/convert ]; then
  echo "== installing imagemagick (the convert baseline)"
  apt-get install -y imagemagick >/dev/null
fi

echo "== building bench/Images (Release)"
dotnet build -c Release bench/Images -nologo -v q -clp:NoSummary
bin=$root/bench/Images/bin/Release/net10.0/linux-x64
run() { dotnet "$bin/Backend.Bench.Images.dll" "$@"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bkcs-bench-images.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
has() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

{
  echo "# bench/Images: last run"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg). $(dotnet --version | sed 's/^/.NET SDK /'); $(/usr/bin/convert -version | head -1)."
  echo "Packages: $(grep -A6 'bench/Images' Directory.Packages.props | grep -o 'Include="[^"]*" Version="[^"]*"' | sed 's/Include="\([^"]*\)" Version="\([^"]*\)"/\1 \2/' | paste -sd, | sed 's/,/, /g')."
  echo
} > "$tmp/out.md"

if has verify; then
  echo "== verify"
  { echo "## --verify"; echo; run --verify; echo; } | tee -a "$tmp/out.md"
fi
if has throughput; then
  echo "== throughput (${SECONDS_PER} s x ${ROUNDS} rounds per library and workload)"
  { echo "## --throughput $SECONDS_PER $ROUNDS"; echo; run --throughput "$SECONDS_PER" "$ROUNDS"; echo; } | tee -a "$tmp/out.md"
fi
if has memory; then
  echo "== memory (a process per library and workload)"
  { echo "## --memory"; echo; run --memory; echo; } | tee -a "$tmp/out.md"
fi
if has robustness; then
  echo "== robustness"
  { echo "## --robustness"; echo; run --robustness; echo; } | tee -a "$tmp/out.md"
fi
if has bdn; then
  echo "== BenchmarkDotNet"
  arts=$tmp/bdn
  BENCH_IMAGES_ARTIFACTS=$arts run --filter "$FILTER"
  { echo "## BenchmarkDotNet (Magick.NET = 1.00; MemoryDiagnoser's Allocated is managed bytes only)"; echo
    for f in "$arts"/results/*-report-github.md; do cat "$f"; echo; done; } >> "$tmp/out.md"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)." >> "$tmp/out.md"
cp "$tmp/out.md" "$OUT"
echo "== wrote $OUT"
