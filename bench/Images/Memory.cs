using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Vips = NetVips;

namespace Backend.Bench.Images;

/// <summary>
/// --memory: native + managed memory per image, each library and workload in a fresh process (--memory-one LIB WORKLOAD):
/// the library is first warmed on a 16x16 image of the same format (code loaded, codecs initialised), then the peak
/// RSS is reset (write 5 to /proc/self/clear_refs) and the baseline RSS read; one real image is processed and the peak
/// (VmHWM) read: "peak +MiB, 1st image"; 19 more and "peak +MiB, 20 images" and "RSS +MiB after 20" (what stays: caches,
/// allocator arenas, leaks). libvips also reports its own tracked highwater (NetVips.Stats.MemHighwater, pixel buffers
/// only). convert: the peak RSS of the convert process itself (getrusage RUSAGE_CHILDREN ru_maxrss), not a growth.
/// </summary>
public static class Memory
{
    public static string Run()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| workload | library | peak +MiB, 1st image | peak +MiB, 20 images | RSS +MiB after 20 | libvips tracked highwater MiB | baseline RSS MiB |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var w in Workload.All)
            foreach (var lib in Library.All)
            {
                var (exe, pre) = Self();
                var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true };
                foreach (var a in pre.Concat(["--memory-one", lib.Name, w.Name]))
                    psi.ArgumentList.Add(a);
                using var p = Process.Start(psi)!;
                string output = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("MEM ", StringComparison.Ordinal));
                if (line is null)
                {
                    sb.AppendLine($"| {w.Name} | {lib.Name} | failed (exit {p.ExitCode}) | | | | |");
                    continue;
                }
                var f = line.Split(' ');
                sb.AppendLine($"| {w.Name} | {lib.Name} | {f[1]} | {f[2]} | {f[3]} | {f[4]} | {f[5]} |");
                Console.Error.WriteLine($"  {w.Name} {lib.Name}: {line}");
            }
        return sb.ToString();
    }

    public static (string Exe, string[] Pre) Self()
    {
        string exe = Environment.ProcessPath!;
        return Path.GetFileNameWithoutExtension(exe) == "dotnet" ? (exe, [typeof(Memory).Assembly.Location]) : (exe, []);
    }

    public static int RunOne(string libName, string workload)
    {
        Library.ConfigureAll();
        var lib = Library.Find(libName);
        var w = Workload.Find(workload);
        var input = Inputs.Get(w.InputFile);
        lib.Process(Tiny(w.InputFile), w);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        ResetPeak();
        long baseKb = Status("VmRSS");
        static string Mib(long kb) => (kb / 1024.0).ToString("F1", CultureInfo.InvariantCulture);
        if (lib is ConvertLib)
        {
            lib.Process(input, w);
            long peak1 = ChildMaxRssKb();
            for (int i = 0; i < 19; i++)
                lib.Process(input, w);
            Console.WriteLine($"MEM {Mib(peak1)}(process) {Mib(ChildMaxRssKb())}(process) - - {Mib(baseKb)}");
            return 0;
        }
        lib.Process(input, w);
        long hwm1 = Status("VmHWM");
        string vipsHigh = lib is VipsLib ? (Vips.Stats.MemHighwater / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) : "-";
        for (int i = 0; i < 19; i++)
            lib.Process(input, w);
        long hwm20 = Status("VmHWM");
        GC.Collect();
        long rss20 = Status("VmRSS");
        Console.WriteLine($"MEM {Mib(hwm1 - baseKb)} {Mib(hwm20 - baseKb)} {Mib(rss20 - baseKb)} {vipsHigh} {Mib(baseKb)}");
        return 0;
    }

    /// <summary>A 16x16 image of the input's format, to load and initialise the library before the baseline.</summary>
    private static byte[] Tiny(string file)
    {
        using var img = Vips.Image.Black(16, 16, bands: file.EndsWith(".png", StringComparison.Ordinal) ? 4 : 3) + 128;
        using var u8 = img.Cast(Vips.Enums.BandFormat.Uchar);
        return file.EndsWith(".jpg", StringComparison.Ordinal) ? u8.JpegsaveBuffer()
            : file.EndsWith(".png", StringComparison.Ordinal) ? u8.PngsaveBuffer()
            : u8.GifsaveBuffer();
    }

    public static long Status(string key)
    {
        foreach (var l in File.ReadLines("/proc/self/status"))
            if (l.StartsWith(key + ":", StringComparison.Ordinal))
                return long.Parse(l.AsSpan(key.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
        return -1;
    }

    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UtimeSec, UtimeUsec, StimeSec, StimeUsec, MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NvCsw, NivCsw;
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable CA5392, SYSLIB1054 // a libc call for a benchmark
    private static extern int getrusage(int who, out RUsage usage);
#pragma warning restore CA5392, SYSLIB1054

    /// <summary>Largest peak RSS (KiB) of the children this process has waited for.</summary>
    public static long ChildMaxRssKb() => getrusage(-1, out var u) == 0 ? u.MaxRss : -1;
}
