using System.Text;
using Vips = NetVips;

namespace Backend.Bench.Images;

/// <summary>
/// --verify: every library on every workload (and the orientation-1 photo), output checked with libvips: format, size
/// (fits the box, aspect kept, no upscaling), orientation applied (the corner markers are where they are displayed) and
/// metadata stripped (no EXIF/XMP/IPTC, no GPS, camera or comment text left in the bytes). Exit code 1 on any failure.
/// </summary>
public static class Verify
{
    public static int Run(string[] libs)
    {
        Library.ConfigureAll();
        int failures = 0;
        var sb = new StringBuilder();
        sb.AppendLine("| library | workload | output | bytes | checks |");
        sb.AppendLine("|---|---|---|---:|---|");
        foreach (var w in Workload.All.Concat(Workload.VerifyOnly))
        {
            var input = Inputs.Get(w.InputFile);
            using var src = Vips.Image.NewFromBuffer(input);
            int orientation = src.Contains("orientation") ? (int)src.Get("orientation") : 1;
            bool swap = orientation is 5 or 6 or 7 or 8;
            var (ew, eh) = Library.Fit(swap ? src.Height : src.Width, swap ? src.Width : src.Height, w.Box);
            foreach (var lib in Library.All.Where(l => libs.Length == 0 || libs.Contains(l.Name)))
            {
                var errors = new List<string>();
                string dims = "-";
                int len = 0;
                try
                {
                    var output = lib.Process(input, w);
                    len = output.Length;
                    string ext = Inputs.DetectExtension(output);
                    if (ext != w.Extension)
                        errors.Add($"format {ext}, expected {w.Extension}");
                    using var img = Vips.Image.NewFromBuffer(output);
                    dims = $"{img.Width}x{img.Height}";
                    if (Math.Abs(img.Width - ew) > 1 || Math.Abs(img.Height - eh) > 1)
                        errors.Add($"size {dims}, expected {ew}x{eh}");
                    if (!Corner(img, 0.03, 0.03, 0) || !Corner(img, 0.97, 0.03, 1) || !Corner(img, 0.03, 0.97, 2))
                        errors.Add("orientation: markers not at red top-left, green top-right, blue bottom-left");
                    foreach (var f in img.GetFields())
                        if (f is "exif-data" or "xmp-data" or "iptc-data" || f.StartsWith("exif-ifd", StringComparison.Ordinal))
                        {
                            errors.Add("metadata kept: " + f);
                            break;
                        }
                    foreach (var s in new[] { "Exif", "GPS", "BenchCam", "Issue14", "secret", "eXIf", "zTXt" })
                        if (Contains(output, s))
                            errors.Add($"bytes contain \"{s}\"");
                    if (w.Format != OutFormat.Jpeg && w.InputFile.EndsWith(".png", StringComparison.Ordinal) && !img.HasAlpha())
                        errors.Add("alpha lost");
                }
                catch (Exception e)
                {
                    errors.Add(e.GetType().Name + ": " + e.Message.Split('\n')[0]);
                }
                failures += errors.Count > 0 ? 1 : 0;
                sb.AppendLine($"| {lib.Name} | {w.Name} | {dims} (expected {ew}x{eh}) | {len} | {(errors.Count == 0 ? "ok" : "**FAIL** " + string.Join("; ", errors))} |");
            }
        }
        Console.WriteLine(sb.ToString());
        Console.WriteLine(failures == 0 ? "verify: all outputs ok" : $"verify: {failures} FAILED");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Is the pixel at (fx, fy) of the image (fractions) mostly red (0), green (1) or blue (2)?</summary>
    private static bool Corner(Vips.Image img, double fx, double fy, int channel)
    {
        var p = img.Getpoint((int)(fx * (img.Width - 1)), (int)(fy * (img.Height - 1)));
        if (p.Length < 3)
            return false;
        for (int c = 0; c < 3; c++)
            if (c == channel ? p[c] < 160 : p[c] > 100)
                return false;
        return true;
    }

    private static bool Contains(byte[] hay, string needle) => hay.AsSpan().IndexOf(Encoding.ASCII.GetBytes(needle)) >= 0;
}
