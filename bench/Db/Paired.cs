using System.Diagnostics;
using System.Globalization;

namespace Backend.Benchmarks;

/// <summary><c>--paired</c>: the same benchmark methods, but raw and facade alternate in short blocks (ABBA order, about
/// <see cref="BlockMs"/> ms each) and the ratio is taken per pair of neighbouring blocks; the median of those ratios is
/// what is reported. On this shared, noisy machine BenchmarkDotNet measures the raw method and then the facade method
/// a minute apart, so load that comes and goes lands in the Ratio column; adjacent blocks see nearly the same load.
/// It also reports the client process's CPU time per call (all threads: socket readers, thread pool), which leaves
/// the server's time out and so shows the facade's own cost, and the bytes allocated per call.</summary>
internal static class Paired
{
    private const int BlockMs = 150;
    private const int Pairs = 24;

    private sealed record Variant(string Name, Func<int, Task> Run);

    private static Variant V<T>(string name, Func<ValueTask<T>> f) => new(name, async n =>
    {
        for (var i = 0; i < n; i++) await f();
    });

    private static Variant V<T>(string name, Func<Task<T>> f) => new(name, async n =>
    {
        for (var i = 0; i < n; i++) await f();
    });

    private sealed class Stats
    {
        public double Seconds;
        public double Cpu;
        public long Bytes;
        public long Calls;
        public readonly List<double> BlockUs = [];
    }

    public static async Task RunAsync(string[] args)
    {
        var filter = args.SkipWhile(a => a != "--paired").Skip(1).FirstOrDefault(a => !a.StartsWith('-')) ?? "*";
        var rows = new List<string>();
        DbBenchBase[] all = [new SqliteBench(), new PostgresBench(), new MySqlBench(), new RedisBench(), new DynamoDbBench()];
        Console.WriteLine($"paired run: blocks of ~{BlockMs} ms, {Pairs} raw/facade pairs per operation (ABBA order), ratios per adjacent pair");
        foreach (var bench in all)
        {
            var kind = bench.GetType().Name.Replace("Bench", "", StringComparison.Ordinal);
            if (filter != "*" && !kind.Contains(filter.Trim('*'), StringComparison.OrdinalIgnoreCase)) continue;
            await bench.SetupAsync();
            try
            {
                var ops = new List<(string Op, Variant Raw, Variant[] Others)>
                {
                    ("Get", V("RawGet", bench.RawGet), [V("FacadeGet", bench.FacadeGet)]),
                    ("Put", V("RawPut", bench.RawPut), [V("FacadePut", bench.FacadePut)]),
                    ("Select20", V("RawSelect", bench.RawSelect), bench is RedisBench redis
                        ? [V("FacadeSelect", bench.FacadeSelect), V("RawSelectScript", redis.RawSelectScript)]
                        : [V("FacadeSelect", bench.FacadeSelect)]),
                };
                foreach (var (op, raw, others) in ops)
                    foreach (var other in others)
                        rows.Add(await MeasureAsync(kind, op, raw, other));
            }
            finally
            {
                await bench.CleanupAsync();
            }
        }
        Console.WriteLine();
        Console.WriteLine("| driver | operation | vs raw | median ratio | ratio q1–q3 | best-block ratio | raw μs/call | other μs/call | client CPU μs/call raw / other (ratio) | B/call raw / other |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows) Console.WriteLine(r);
    }

    private static async Task<string> MeasureAsync(string kind, string op, Variant raw, Variant other)
    {
        // Warm up both (JIT tiering, pools), then size a block from the raw side.
        var n = 16;
        for (var w = 0; w < 2; w++)
        {
            await raw.Run(n);
            await other.Run(n);
        }
        var sw = Stopwatch.StartNew();
        await raw.Run(n);
        n = Math.Max(1, (int)(n * BlockMs / Math.Max(0.001, sw.Elapsed.TotalMilliseconds)));
        await raw.Run(n);
        await other.Run(n);

        var a = new Stats();
        var b = new Stats();
        var ratios = new List<double>();
        for (var p = 0; p < Pairs; p++)
        {
            // ABBA: raw first in even pairs, the other first in odd ones, so neither always runs after a GC of the other.
            double ta, tb;
            if (p % 2 == 0)
            {
                ta = await BlockAsync(raw, n, a);
                tb = await BlockAsync(other, n, b);
            }
            else
            {
                tb = await BlockAsync(other, n, b);
                ta = await BlockAsync(raw, n, a);
            }
            ratios.Add(tb / ta);
        }
        ratios.Sort();
        double Q(double q) => ratios[(int)Math.Round(q * (ratios.Count - 1))];
        var best = b.BlockUs.Min() / a.BlockUs.Min();
        var cpuA = a.Cpu / a.Calls * 1e6;
        var cpuB = b.Cpu / b.Calls * 1e6;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"| {kind} | {op} | {other.Name} | **{Q(0.5):F2}** | {Q(0.25):F2}–{Q(0.75):F2} | {best:F2} | {Median(a.BlockUs):F1} | {Median(b.BlockUs):F1} | {cpuA:F1} / {cpuB:F1} ({cpuB / cpuA:F2}) | {a.Bytes / a.Calls:N0} / {b.Bytes / b.Calls:N0} |");
        Console.WriteLine(line);
        return line;
    }

    /// <summary>Runs one block; returns μs per call and adds to the totals.</summary>
    private static async Task<double> BlockAsync(Variant v, int n, Stats s)
    {
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var bytes0 = GC.GetTotalAllocatedBytes(precise: true);
        var t0 = Stopwatch.GetTimestamp();
        await v.Run(n);
        var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        s.Bytes += GC.GetTotalAllocatedBytes(precise: true) - bytes0;
        s.Cpu += (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        s.Seconds += elapsed;
        s.Calls += n;
        var us = elapsed / n * 1e6;
        s.BlockUs.Add(us);
        return us;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
