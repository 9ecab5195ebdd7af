using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using ImageMagick;
using Vips = NetVips;

namespace Backend.Bench.Images;

/// <summary>
/// --robustness: not a benchmark. Per library, in a child process of its own (--robustness-one LIB FROM) so that a crash
/// is seen as one: 201 damaged inputs (67 each from a 1600 px JPEG with EXIF, the RGBA PNG and the GIF: truncated,
/// bits flipped in the headers or anywhere, or both; fixed seed), each processed as an upload (to a 256 px PNG) with a
/// 10 s limit, then a decompression bomb (a 3 KB PNG declaring 50000x50000 RGBA, 10 GB of pixels): the header check
/// (how long it takes to learn the size without decoding), then the unguarded decode (20 s limit, peak RSS), then the
/// library's own limit where it has one (Magick.NET ResourceLimits). Prints a table.
/// </summary>
public static class Robustness
{
    private const int PerSource = 67;
    private static readonly string[] Sources = ["jpeg", "png", "gif"];

    public static string Run()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| library | source | decoded (output produced) | rejected (exception types) | hang > 10 s | crash |");
        sb.AppendLine("|---|---|---:|---|---:|---|");
        var bombs = new StringBuilder();
        bombs.AppendLine("| library | header check (pixels before decode) | unguarded decode of the bomb | peak RSS MiB | with the library's limit |");
        bombs.AppendLine("|---|---|---|---:|---|");
        foreach (var lib in Library.All.Where(l => l is not ConvertLib && l.Name != "Magick.NET+hint"))
        {
            var lines = new List<string>();
            var crashes = new List<string>();
            int from = 0;
            while (true)
            {
                var (exe, pre) = Memory.Self();
                var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true };
                foreach (var a in pre.Concat(["--robustness-one", lib.Name, from.ToString(CultureInfo.InvariantCulture)]))
                    psi.ArgumentList.Add(a);
                string tmp = Directory.CreateTempSubdirectory("bkcs-bench-images-magicktmp.").FullName;
                psi.Environment["MAGICK_TMPDIR"] = tmp;
                using var p = Process.Start(psi)!;
                string? l;
                int last = from - 1;
                while ((l = p.StandardOutput.ReadLine()) != null)
                {
                    lines.Add(l);
                    if (l.StartsWith("CASE ", StringComparison.Ordinal))
                        last = int.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture);
                }
                p.WaitForExit();
                Directory.Delete(tmp, true);
                if (p.ExitCode == 0)
                    break;
                crashes.Add($"case {last + 1} ({CaseName(last + 1)}): exit {p.ExitCode}");
                Console.Error.WriteLine($"  {lib.Name}: child exited {p.ExitCode} after case {last}");
                lines.Add($"CASE {last + 1} {Sources[Math.Min((last + 1) / PerSource, 2)]} crash exit{p.ExitCode}");
                from = last + 2;
                if (from >= PerSource * Sources.Length)
                    break;
            }
            foreach (var src in Sources)
            {
                var cases = lines.Where(x => x.StartsWith("CASE ", StringComparison.Ordinal)).Select(x => x.Split(' ', 5)).Where(f => f[2] == src).ToList();
                int ok = cases.Count(f => f[3] == "ok");
                int hang = cases.Count(f => f[3] == "hang");
                var errs = cases.Where(f => f[3] == "error").GroupBy(f => f[4].Split(':')[0]).Select(g => $"{g.Key} {g.Count()}");
                var cr = cases.Where(f => f[3] == "crash").Select(f => "case " + f[1] + " " + f[4]);
                sb.AppendLine($"| {lib.Name} | {src} | {ok} | {string.Join(", ", errs)} | {hang} | {(cr.Any() ? string.Join("; ", cr) : "none")} |");
            }
            string Get(string key) => lines.FirstOrDefault(x => x.StartsWith(key + " ", StringComparison.Ordinal))?[(key.Length + 1)..] ?? "(child did not get there)";
            bombs.AppendLine($"| {lib.Name} | {Get("BOMB-HEADER")} | {Get("BOMB-DECODE")} | {Get("BOMB-RSS")} | {Get("BOMB-LIMIT")} |");
        }
        return sb + Environment.NewLine + bombs;
    }

    private static string CaseName(int i) => i < PerSource * Sources.Length ? $"{Sources[i / PerSource]} #{i % PerSource}" : "bomb";

    public static int RunOne(string libName, int from)
    {
        Library.ConfigureAll();
        var lib = Library.Find(libName);
        var w = new Workload("robust", "x.png", 256, OutFormat.Png, 0);
        byte[][] sources = [SmallJpeg(), Inputs.Get("alpha.png"), Inputs.Get("anim.gif")];
        var rnd = new Random(1414);
        for (int i = 0; i < PerSource * Sources.Length; i++)
        {
            var src = sources[i / PerSource];
            var bad = Damage(src, rnd, i % PerSource);
            if (i < from)
                continue;
            var t = Task.Run(() => lib.Process(bad, w));
            string result;
            try
            {
                result = t.Wait(TimeSpan.FromSeconds(10)) ? "ok -" : "hang -";
            }
            catch (AggregateException e)
            {
                var x = e.InnerException!;
                result = $"error {x.GetType().Name}: {x.Message.Split('\n')[0]}";
            }
            Console.WriteLine($"CASE {i} {Sources[i / PerSource]} {result}");
            Console.Out.Flush();
        }
        var bomb = PngBomb(50000, 50000);
        var sw = Stopwatch.StartNew();
        try
        {
            long px = lib.DeclaredPixels(bomb);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BOMB-HEADER {px / 1e6:F0} MP declared, read in {sw.Elapsed.TotalMilliseconds:F1} ms ({bomb.Length} B file)"));
        }
        catch (Exception e)
        {
            Console.WriteLine($"BOMB-HEADER {e.GetType().Name}: {e.Message.Split('\n')[0]} ({sw.Elapsed.TotalMilliseconds:F1} ms)");
        }
        Console.Out.Flush();
        Memory.ResetPeak();
        long rss0 = Memory.Status("VmRSS");
        sw.Restart();
        var bt = Task.Run(() => lib.Process(bomb, w));
        string outcome;
        try
        {
            outcome = bt.Wait(TimeSpan.FromSeconds(20))
                ? string.Create(CultureInfo.InvariantCulture, $"produced an output in {sw.Elapsed.TotalSeconds:F1} s")
                : "still running after 20 s (process ended)";
        }
        catch (AggregateException e)
        {
            outcome = string.Create(CultureInfo.InvariantCulture, $"{e.InnerException!.GetType().Name} after {sw.Elapsed.TotalSeconds:F1} s: {e.InnerException.Message.Split('\n')[0]}");
        }
        Console.WriteLine($"BOMB-DECODE {outcome.Replace('|', '/')}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BOMB-RSS {(Memory.Status("VmHWM") - rss0) / 1024.0:F0}"));
        if (lib is MagickLib)
        {
            ResourceLimits.Area = 40_000_000;
            ResourceLimits.Width = 12_000;
            ResourceLimits.Height = 12_000;
            sw.Restart();
            try
            {
                lib.Process(bomb, w);
                Console.WriteLine("BOMB-LIMIT ResourceLimits.Width/Height/Area set: decoded anyway");
            }
            catch (Exception e)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BOMB-LIMIT ResourceLimits.Width/Height/Area: {e.GetType().Name} in {sw.Elapsed.TotalMilliseconds:F0} ms"));
            }
        }
        else
        {
            Console.WriteLine("BOMB-LIMIT none built in: check the header first");
        }
        Console.Out.Flush();
        Environment.Exit(0); // a hung decode thread must not keep the process alive
        return 0;
    }

    private static byte[] Damage(byte[] src, Random rnd, int k)
    {
        var b = (byte[])src.Clone();
        int len = b.Length;
        int mode = k % 3;
        if (mode != 1) // truncate
            len = rnd.Next(1, b.Length);
        if (mode != 0) // flip 1-8 bits, half the time within the first 2 KB (headers, tables)
        {
            int n = rnd.Next(1, 9);
            int range = k % 2 == 0 ? Math.Min(2048, len) : len;
            for (int j = 0; j < n; j++)
                b[rnd.Next(2, Math.Max(3, range))] ^= (byte)(1 << rnd.Next(8));
        }
        return b.AsSpan(0, len).ToArray();
    }

    /// <summary>A 1600 px JPEG with EXIF (orientation 6, GPS) made from the photo: faster to damage 67 times than 12 MP.</summary>
    private static byte[] SmallJpeg()
    {
        using var img = Vips.Image.ThumbnailBuffer(Inputs.Get("photo-o6.jpg"), 1600, noRotate: true);
        return img.JpegsaveBuffer(q: 90, keep: Vips.Enums.ForeignKeep.All);
    }

    /// <summary>A valid PNG header for width x height RGBA 8-bit, a little compressed zero data, IEND.</summary>
    public static byte[] PngBomb(int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 6; // RGBA
        Chunk(ms, "IHDR", ihdr);
        using var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.SmallestSize, leaveOpen: true))
            zs.Write(new byte[3 * (4 * width + 1)]); // three rows of zeros
        Chunk(ms, "IDAT", z.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var td = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(td);
        var crc = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(td));
        s.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var x in data)
        {
            c ^= x;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}
