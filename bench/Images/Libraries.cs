using System.Diagnostics;
using ImageMagick;
using SkiaSharp;
using Vips = NetVips;

namespace Backend.Bench.Images;

public enum OutFormat { Jpeg, Png, Webp }

/// <summary>One upload case: an input file, the box the result must fit in (no upscaling) and the output format.</summary>
public sealed record Workload(string Name, string InputFile, int Box, OutFormat Format, int Quality)
{
    public override string ToString() => Name;

    public string Extension => Format switch { OutFormat.Jpeg => "jpg", OutFormat.Png => "png", _ => "webp" };

    /// <summary>The benchmarked cases (the JPEG ones read the orientation-6 photo: a phone photo taken upright).</summary>
    public static readonly Workload[] All =
    [
        new("jpeg-256", "photo-o6.jpg", 256, OutFormat.Jpeg, 80),
        new("jpeg-1024", "photo-o6.jpg", 1024, OutFormat.Jpeg, 80),
        new("png-256", "alpha.png", 256, OutFormat.Png, 0),
        new("png-webp", "alpha.png", 256, OutFormat.Webp, 80),
        new("gif-256", "anim.gif", 256, OutFormat.Png, 0),
    ];

    /// <summary>Also verified, not benchmarked: the same photo with orientation 1.</summary>
    public static readonly Workload[] VerifyOnly =
    [
        new("jpeg-256-o1", "photo.jpg", 256, OutFormat.Jpeg, 80),
        new("jpeg-1024-o1", "photo.jpg", 1024, OutFormat.Jpeg, 80),
    ];

    public static Workload Find(string name) => All.Concat(VerifyOnly).First(w => w.Name == name);
}

/// <summary>decode, auto-orient by EXIF, strip metadata, fit within Box x Box keeping the aspect ratio (never upscale), encode.</summary>
public abstract class Library
{
    public abstract string Name { get; }

    public abstract byte[] Process(byte[] input, Workload w);

    /// <summary>Header only: the pixel count the input declares, read without decoding (how to bound pixels before decode).</summary>
    public abstract long DeclaredPixels(byte[] input);

    public static readonly Library[] All = [new MagickLib(false), new MagickLib(true), new VipsLib(), new SkiaLib(), new ConvertLib(false), new ConvertLib(true)];

    public static Library Find(string name) => All.First(l => l.Name == name);

    /// <summary>Single-threaded per image, no operation cache: every library does one image on one thread.</summary>
    public static void ConfigureAll()
    {
        Vips.Cache.Max = 0;
        Vips.Cache.MaxFiles = 0;
        Vips.Cache.MaxMem = 0;
        Vips.NetVips.Concurrency = 1;
        ResourceLimits.Thread = 1;
    }

    /// <summary>The size that fits (w, h) within box x box, never larger than (w, h).</summary>
    public static (int W, int H) Fit(int w, int h, int box)
    {
        if (w <= box && h <= box)
            return (w, h);
        double s = Math.Min((double)box / w, (double)box / h);
        return (Math.Max(1, (int)Math.Round(w * s)), Math.Max(1, (int)Math.Round(h * s)));
    }
}

/// <summary>libvips through NetVips: thumbnail (shrink-on-load for JPEG, auto-rotate), then save without metadata.</summary>
public sealed class VipsLib : Library
{
    public override string Name => "NetVips";

    public override byte[] Process(byte[] input, Workload w)
    {
        using var img = Vips.Image.ThumbnailBuffer(input, w.Box, height: w.Box, size: Vips.Enums.Size.Down, failOn: Vips.Enums.FailOn.Error);
        return w.Format switch
        {
            OutFormat.Jpeg => img.JpegsaveBuffer(q: w.Quality, keep: Vips.Enums.ForeignKeep.None),
            OutFormat.Png => img.PngsaveBuffer(keep: Vips.Enums.ForeignKeep.None),
            _ => img.WebpsaveBuffer(q: w.Quality, keep: Vips.Enums.ForeignKeep.None),
        };
    }

    public override long DeclaredPixels(byte[] input)
    {
        // Reads the header only; pixels are decoded when something asks for them.
        using var img = Vips.Image.NewFromBuffer(input, access: Vips.Enums.Access.Sequential);
        return (long)img.Width * img.Height;
    }
}

/// <summary>SkiaSharp: SKCodec with a scaled decode (JPEG: 1/8 steps at least the target), resize, orient, encode (Skia's encoders write no metadata).</summary>
public sealed class SkiaLib : Library
{
    public override string Name => "SkiaSharp";

    public override byte[] Process(byte[] input, Workload w)
    {
        using var data = SKData.CreateCopy(input);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("SKCodec.Create: not an image");
        var info = codec.Info;
        var origin = codec.EncodedOrigin;
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        // The target in the stored (unrotated) orientation.
        var (ow, oh) = Fit(swap ? info.Height : info.Width, swap ? info.Width : info.Height, w.Box);
        int tw = swap ? oh : ow, th = swap ? ow : oh;
        float scale = Math.Min(1f, Math.Max((float)tw / info.Width, (float)th / info.Height));
        var sampled = codec.GetScaledDimensions(scale);
        var alpha = info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Premul;
        var decodeInfo = new SKImageInfo(sampled.Width, sampled.Height, SKColorType.Rgba8888, alpha);
        using var decoded = new SKBitmap(decodeInfo);
        var r = codec.GetPixels(decodeInfo, decoded.GetPixels());
        if (r is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new InvalidDataException("SKCodec.GetPixels: " + r);
        if (r == SKCodecResult.IncompleteInput)
            throw new InvalidDataException("SKCodec.GetPixels: IncompleteInput");
        // Small ratios (after a scaled JPEG decode): Mitchell cubic; large ones (PNG, GIF): mipmaps, as cubic alone would alias.
        double ratio = Math.Max((double)sampled.Width / tw, (double)sampled.Height / th);
        var sampling = ratio > 2 ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear) : new SKSamplingOptions(SKCubicResampler.Mitchell);
        using var resized = tw == sampled.Width && th == sampled.Height ? null : decoded.Resize(new SKImageInfo(tw, th, SKColorType.Rgba8888, alpha), sampling)
            ?? throw new InvalidOperationException("SKBitmap.Resize failed");
        var src = resized ?? decoded;
        using var oriented = Orient(src, origin);
        var final = oriented ?? src;
        using var pixmap = final.PeekPixels();
        using var encoded = w.Format switch
        {
            OutFormat.Jpeg => pixmap.Encode(new SKJpegEncoderOptions(w.Quality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore)),
            OutFormat.Png => pixmap.Encode(SKPngEncoderOptions.Default),
            _ => pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, w.Quality)),
        } ?? throw new InvalidOperationException("Skia encode failed");
        return encoded.ToArray();
    }

    /// <summary>Applies the EXIF orientation; null when it is TopLeft.</summary>
    private static SKBitmap? Orient(SKBitmap src, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or SKEncodedOrigin.Default)
            return null;
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int w = swap ? src.Height : src.Width, h = swap ? src.Width : src.Height;
        var dst = new SKBitmap(new SKImageInfo(w, h, src.ColorType, src.AlphaType));
        using var canvas = new SKCanvas(dst);
        // Maps stored pixel (x, y) to displayed pixel, per the EXIF orientation values 2..8.
        var m = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, w, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, w, -1, 0, h, 0, 0, 1),
            _ => new SKMatrix(0, 1, 0, -1, 0, h, 0, 0, 1), // LeftBottom (8)
        };
        canvas.SetMatrix(m);
        canvas.DrawBitmap(src, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest));
        canvas.Flush();
        return dst;
    }

    public override long DeclaredPixels(byte[] input)
    {
        using var data = SKData.CreateCopy(input);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("SKCodec.Create: not an image");
        return (long)codec.Info.Width * codec.Info.Height;
    }
}

/// <summary>Magick.NET (ImageMagick 7, Q8): read, AutoOrient, Strip, Thumbnail (what convert -thumbnail does); optionally the jpeg:size hint (2x the box, as ImageMagick recommends).</summary>
public sealed class MagickLib(bool sizeHint) : Library
{
    public override string Name => sizeHint ? "Magick.NET+hint" : "Magick.NET";

    public override byte[] Process(byte[] input, Workload w)
    {
        var settings = new MagickReadSettings();
        if (sizeHint)
            settings.SetDefine(MagickFormat.Jpeg, "size", $"{2 * w.Box}x{2 * w.Box}");
        using var img = new MagickImage(input, settings);
        img.AutoOrient();
        img.Strip();
        img.Thumbnail(new MagickGeometry((uint)w.Box, (uint)w.Box) { Greater = true });
        switch (w.Format)
        {
            case OutFormat.Jpeg:
                img.Quality = (uint)w.Quality;
                return img.ToByteArray(MagickFormat.Jpeg);
            case OutFormat.Png:
                return img.ToByteArray(MagickFormat.Png);
            default:
                img.Quality = (uint)w.Quality;
                return img.ToByteArray(MagickFormat.WebP);
        }
    }

    public override long DeclaredPixels(byte[] input)
    {
        var info = new MagickImageInfo(input); // a "ping": the header, no pixels
        return (long)info.Width * info.Height;
    }
}

/// <summary>ImageMagick's convert (Debian's imagemagick, 6.9, Q16) as a process per image, files in and out, one thread.</summary>
public sealed class ConvertLib(bool sizeHint) : Library
{
    public const string Exe = "/usr/bin/convert";

    public override string Name => sizeHint ? "convert+hint" : "convert";

    private static readonly string Dir = Directory.CreateTempSubdirectory("bkcs-bench-images-convert.").FullName;
    private readonly Dictionary<byte[], string> _inputs = new(ReferenceEqualityComparer.Instance);

    public override byte[] Process(byte[] input, Workload w)
    {
        string inPath;
        lock (_inputs)
        {
            if (!_inputs.TryGetValue(input, out inPath!))
            {
                inPath = Path.Combine(Dir, $"in-{_inputs.Count}-{Inputs.DetectExtension(input)}");
                File.WriteAllBytes(inPath, input);
                _inputs[input] = inPath;
            }
        }
        string outPath = Path.Combine(Dir, $"out-{Environment.CurrentManagedThreadId}.{w.Extension}");
        var psi = new ProcessStartInfo(Exe) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in Args(inPath, outPath, w, sizeHint))
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("convert did not start");
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidDataException($"convert exited {p.ExitCode}: {err.Trim()}");
        return File.ReadAllBytes(outPath);
    }

    public static List<string> Args(string inPath, string outPath, Workload w, bool sizeHint)
    {
        var a = new List<string> { "-limit", "thread", "1" };
        if (sizeHint)
            a.AddRange(["-define", $"jpeg:size={2 * w.Box}x{2 * w.Box}"]);
        a.AddRange([inPath + (w.InputFile.EndsWith(".gif", StringComparison.Ordinal) ? "[0]" : ""), "-auto-orient", "-strip", "-thumbnail", $"{w.Box}x{w.Box}>"]);
        if (w.Format != OutFormat.Png)
            a.AddRange(["-quality", w.Quality.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        a.Add(outPath);
        return a;
    }

    public override long DeclaredPixels(byte[] input) => throw new NotSupportedException("identify -ping would do it; not probed in process");
}
