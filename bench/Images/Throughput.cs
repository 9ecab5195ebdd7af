using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Backend.Bench.Images;

/// <summary>
/// --throughput [SECONDS] [ROUNDS]: images per second, wall and CPU, per library and workload, the libraries interleaved
/// (Magick.NET, NetVips, SkiaSharp, convert, ... per round) so that each ratio compares runs seconds apart on this shared
/// machine. CPU = utime+stime of this process and of its waited-for children (convert) from /proc/self/stat; managed bytes
/// allocated per image from GC.GetTotalAllocatedBytes. One image at a time on one thread. Ratios: median over rounds of
/// the per-round ratio to Magick.NET and to convert.
/// </summary>
public static class Throughput
{
    private sealed record Sample(double Wall, double Cpu, double Alloc);

    public static string Run(double seconds, int rounds)
    {
        Library.ConfigureAll();
        var results = new Dictionary<(string W, string L), List<Sample>>();
        foreach (var w in Workload.All)
        {
            var input = Inputs.Get(w.InputFile);
            foreach (var lib in Library.All)
                lib.Process(input, w); // warm-up: JIT, native libraries loaded, convert's input file written
            for (int r = 0; r < rounds; r++)
            {
                foreach (var lib in Library.All)
                {
                    var s = Measure(lib, input, w, seconds);
                    if (!results.TryGetValue((w.Name, lib.Name), out var list))
                        results[(w.Name, lib.Name)] = list = [];
                    list.Add(s);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {r + 1} {w.Name,-10} {lib.Name,-16} {1 / s.Wall,8:F2} img/s wall {1 / s.Cpu,8:F2} img/s CPU {s.Alloc / 1024,9:F1} KiB managed"));
                }
            }
        }
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Images per second, median of {rounds} rounds of {seconds} s per library (one image at a time, one thread); ratios are medians of per-round ratios.");
        sb.AppendLine();
        sb.AppendLine("| workload | library | img/s wall | img/s CPU | ms CPU/img | managed KiB/img | wall vs Magick.NET | CPU vs Magick.NET | wall vs convert | CPU vs convert |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var w in Workload.All)
        {
            var magick = results[(w.Name, "Magick.NET")];
            var convert = results[(w.Name, "convert")];
            foreach (var lib in Library.All)
            {
                var s = results[(w.Name, lib.Name)];
                double Ratio(List<Sample> b, Func<Sample, double> f) => Median(s.Select((x, i) => f(b[i]) / f(x)));
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {w.Name} | {lib.Name} | {1 / Median(s.Select(x => x.Wall)):F2} | {1 / Median(s.Select(x => x.Cpu)):F2} | {1000 * Median(s.Select(x => x.Cpu)):F1} | {Median(s.Select(x => x.Alloc)) / 1024:F1} | {Ratio(magick, x => x.Wall):F2}x | {Ratio(magick, x => x.Cpu):F2}x | {Ratio(convert, x => x.Wall):F2}x | {Ratio(convert, x => x.Cpu):F2}x |"));
            }
        }
        return sb.ToString();
    }

    private static Sample Measure(Library lib, byte[] input, Workload w, double seconds)
    {
        GC.Collect();
        long alloc0 = GC.GetTotalAllocatedBytes(true);
        double cpu0 = CpuSeconds();
        var sw = Stopwatch.StartNew();
        int n = 0;
        do
        {
            lib.Process(input, w);
            n++;
        } while (sw.Elapsed.TotalSeconds < seconds || n < 2);
        double wall = sw.Elapsed.TotalSeconds;
        double cpu = CpuSeconds() - cpu0;
        long alloc = GC.GetTotalAllocatedBytes(true) - alloc0;
        return new Sample(wall / n, Math.Max(cpu, 0.01) / n, (double)alloc / n);
    }

    /// <summary>utime + stime + cutime + cstime of this process, in seconds (clock ticks of 1/100 s).</summary>
    public static double CpuSeconds()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14..17 of proc(5) are at 11..14 once pid and comm (fields 1, 2) are cut off.
        long ticks = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)
            + long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
        return ticks / 100.0;
    }

    public static double Median(IEnumerable<double> xs)
    {
        var a = xs.OrderBy(x => x).ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }
}
