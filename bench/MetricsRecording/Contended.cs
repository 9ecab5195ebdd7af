using System.Diagnostics;
using System.Globalization;

namespace Backend.Bench.MetricsRecording;

/// <summary><c>--contended [SECONDS]</c>: each of RequestBench's methods on 1 thread, then on as many threads as cores,
/// per mode, each for SECONDS (default 2); prints the process's CPU time per call (CPU, not wall time: on this shared
/// machine the threads are preempted). With several threads, StatsCollector's shared stats (one lock per histogram
/// and reservoir, interlocked counters) are written from every core, as Kestrel's threads do under load.</summary>
internal static class Contended
{
    public static void Run(string[] args)
    {
        var rest = args.SkipWhile(a => a != "--contended").Skip(1).ToArray();
        var seconds = rest.Length > 0 ? double.Parse(rest[0], CultureInfo.InvariantCulture) : 2;
        var cores = Environment.ProcessorCount;
        (string Name, Action<RequestBench> Call)[] methods =
        [
            ("AccountGet", b => b.AccountGet()),
            ("Ping", b => b.Ping()),
            ("HttpActive", b => b.HttpActive()),
            ("HttpDuration", b => b.HttpDuration()),
            ("Db", b => b.Db()),
            ("DbCacheHit", b => b.DbCacheHit()),
        ];
        Console.WriteLine($"RequestBench, process CPU ns per call; {seconds} s per run; {cores} cores; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"| method | mode | 1 thread | {cores} threads |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, call) in methods)
        {
            foreach (var mode in Enum.GetValues<ListenMode>())
            {
                var bench = new RequestBench { Mode = mode };
                bench.Setup();
                try
                {
                    Measure(bench, call, 1, 0.5);
                    var one = Measure(bench, call, 1, seconds);
                    var many = Measure(bench, call, cores, seconds);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {mode} | {one:F1} | {many:F1} |"));
                }
                finally
                {
                    bench.Cleanup();
                }
            }
        }
    }

    private static double Measure(RequestBench bench, Action<RequestBench> call, int threads, double seconds)
    {
        using var process = Process.GetCurrentProcess();
        var stop = 0;
        var counts = new long[threads * 16]; // one cache line apart
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            long n = 0;
            while (Volatile.Read(ref stop) == 0)
            {
                for (var i = 0; i < 1000; i++) call(bench);
                n += 1000;
            }
            counts[t * 16] = n;
        })).ToList();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        workers.ForEach(w => w.Start());
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        Volatile.Write(ref stop, 1);
        workers.ForEach(w => w.Join());
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalMilliseconds * 1e6;
        return cpu / counts.Sum();
    }
}
