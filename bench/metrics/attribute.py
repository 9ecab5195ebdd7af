#!/usr/bin/env python3
"""Where the statistics' CPU goes in a perf profile of a bkcs server (bench/metrics/profile.sh).

Input: `perf script -F comm,tid,ip,sym` of `perf record -g -p PID` (JIT frames named through DOTNET_PerfMapEnabled=1).
Output, as shares of all the process's samples (user and kernel):
  1. by code: each sample goes to the first frame, from the leaf up, that belongs to one of GROUPS (so the lock, clock
     and exp() calls under DecayingReservoir.Update count as the reservoir's);
  2. by leaf, for the samples with a Backend.Metrics frame on the stack: what the statistics' code spends its time in
     (reading the clock, taking locks, its own instructions, exp(), the reservoir's heap).
What the JIT inlined into a caller outside these groups (DbMeter into Db.GetAsync, the instruments' dispatch to the
listener into the caller of Add/Record) cannot be told apart: the figures are a lower bound.
"""
import collections
import re
import sys

GROUPS = [
    ("StatsCollector: DecayingReservoir.Update", r"Backend\.Metrics\.DecayingReservoir::Update"),
    ("StatsCollector: HistogramStat.Update (without the reservoir)", r"Backend\.Metrics\.HistogramStat::Update"),
    ("StatsCollector: MeterStat.Mark / TickIfDue", r"Backend\.Metrics\.(MeterStat|Ewma)::"),
    ("StatsCollector: TimerStat / QueueStat (the rest)", r"Backend\.Metrics\.(TimerStat|QueueStat)::"),
    ("StatsCollector: OnDouble / OnLong (switch on the name, tags, dictionaries)", r"Backend\.Metrics\.StatsCollector::"),
    ("DbMeter (where not inlined)", r"Backend\.Metrics\.DbMeter::"),
    ("System.Diagnostics.Metrics (where not inlined)", r"System\.Diagnostics\.Metrics\."),
    ("ASP.NET Core HostingMetrics (RequestStart / RequestEnd: tags)", r"Microsoft\.AspNetCore\.Hosting\.(HostingMetrics::|HostingApplicationDiagnostics::RecordRequestStartMetrics)"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in GROUPS]


def read_samples(path):
    samples, frames = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip() or line[0] not in " \t":
                if frames:
                    samples.append(frames)
                frames = []
            else:
                frames.append(line.strip())
    if frames:
        samples.append(frames)
    return samples


def leaf_kind(leaf):
    if "clock_gettime" in leaf or "GetTimestamp" in leaf:
        return "reading the clock (clock_gettime)"
    if "System.Threading.Lock::" in leaf:
        return "System.Threading.Lock enter/exit"
    if "exp" in leaf and ("ieee754" in leaf or "GLIBC" in leaf):
        return "exp()"
    if "PriorityQueue" in leaf:
        return "PriorityQueue (the reservoir's heap)"
    if "ConcurrentDictionary" in leaf:
        return "ConcurrentDictionary"
    m = re.search(r"Backend\.Metrics\.(\w+)::(\w+)", leaf)
    if m:
        return f"own instructions: {m.group(1)}.{m.group(2)}"
    return "other: " + re.sub(r"^[0-9a-f]+ ", "", leaf)[:60]


def main(path):
    samples = read_samples(path)
    total = len(samples)
    if total == 0:
        print("no samples")
        return 1
    by_group = collections.Counter()
    by_leaf = collections.Counter()
    with_metrics = 0
    for frames in samples:
        for frame in frames:  # leaf first
            hit = next((name for name, rx in COMPILED if rx.search(frame)), None)
            if hit:
                by_group[hit] += 1
                break
        if any("Backend.Metrics." in f for f in frames):
            with_metrics += 1
            by_leaf[leaf_kind(frames[0])] += 1
    clock = sum(1 for frames in samples if "clock_gettime" in frames[0])
    print(f"samples of the server process: {total}")
    print("by code (first matching frame from the leaf up):")
    for name, _ in GROUPS:
        print(f"  {100 * by_group[name] / total:5.2f}%  {name}")
    print(f"  {100 * sum(by_group.values()) / total:5.2f}%  all of the above")
    print(f"by leaf, samples with a Backend.Metrics frame on the stack ({100 * with_metrics / total:.2f}% of all):")
    for kind, n in by_leaf.most_common(12):
        print(f"  {100 * n / total:5.2f}%  {kind}")
    print(f"(clock_gettime as the leaf anywhere in the process: {100 * clock / total:.2f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
