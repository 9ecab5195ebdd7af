using ImageMagick;
using ImageMagick.Drawing;

namespace Backend.Bench.Images;

/// <summary>
/// The test inputs, generated deterministically (fixed random seed) with Magick.NET into BENCH_IMAGES_INPUTS (default
/// bin/.../inputs, not in git) the first time: a photo-like plasma + blur + grain. Every image has coloured corner markers
/// in its displayed orientation (red top-left, green top-right, blue bottom-left) so that --verify can check the
/// orientation of the outputs, and the JPEGs and the PNG carry EXIF with GPS tags so that it can check they were stripped.
/// </summary>
public static class Inputs
{
    public static string Dir => Environment.GetEnvironmentVariable("BENCH_IMAGES_INPUTS") is { Length: > 0 } d
        ? d
        : Path.Combine(AppContext.BaseDirectory, "inputs");

    private static readonly Dictionary<string, byte[]> Cache = [];

    public static byte[] Get(string file)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(file, out var b))
            {
                EnsureGenerated();
                Cache[file] = b = File.ReadAllBytes(Path.Combine(Dir, file));
            }
            return b;
        }
    }

    public static string PathOf(string file)
    {
        EnsureGenerated();
        return Path.Combine(Dir, file);
    }

    public static string DetectExtension(byte[] b) =>
        b.Length > 3 && b[0] == 0xFF && b[1] == 0xD8 ? "jpg"
        : b.Length > 3 && b[0] == 0x89 && b[1] == (byte)'P' ? "png"
        : b.Length > 3 && b[0] == (byte)'G' && b[1] == (byte)'I' ? "gif"
        : b.Length > 12 && b[8] == (byte)'W' && b[9] == (byte)'E' ? "webp"
        : "bin";

    public static void EnsureGenerated()
    {
        string dir = Dir;
        string[] files = ["photo.jpg", "photo-o6.jpg", "alpha.png", "anim.gif"];
        if (files.All(f => File.Exists(Path.Combine(dir, f))))
            return;
        Directory.CreateDirectory(dir);
        Console.Error.WriteLine($"generating inputs in {dir} ...");
        MagickNET.SetRandomSeed(20140614);

        using var base4k = new MagickImage("plasma:fractal", new MagickReadSettings { Width = 4000, Height = 3000 });
        base4k.Blur(0, 1.5);
        base4k.AddNoise(NoiseType.Gaussian, 0.35); // film grain: JPEG sizes like a real photo's

        // Orientation 1: stored as displayed.
        using (var photo = (MagickImage)base4k.Clone())
        {
            Markers(photo);
            Exif(photo, 1);
            photo.Quality = 92;
            photo.Write(Path.Combine(dir, "photo.jpg"), MagickFormat.Jpeg);
        }
        // Orientation 6: displayed portrait 3000x4000, stored rotated 90 degrees counter-clockwise (4000x3000), as a phone held upright writes it.
        using (var portrait = (MagickImage)base4k.Clone())
        {
            portrait.Rotate(90);
            Markers(portrait);
            portrait.Rotate(270);
            Exif(portrait, 6);
            portrait.Quality = 92;
            portrait.Write(Path.Combine(dir, "photo-o6.jpg"), MagickFormat.Jpeg);
        }
        // 1600x1200 RGBA: a radial alpha (opaque centre, transparent corners), opaque markers.
        using (var png = (MagickImage)base4k.Clone())
        {
            png.Resize(1600, 1200);
            using var mask = new MagickImage("radial-gradient:white-black", new MagickReadSettings { Width = 1600, Height = 1200 });
            png.Alpha(AlphaAction.Set);
            png.Composite(mask, CompositeOperator.CopyAlpha);
            Markers(png);
            Exif(png, 1);
            png.SetAttribute("comment", "GPS 48.8567 2.3508 secret");
            png.Write(Path.Combine(dir, "alpha.png"), MagickFormat.Png32);
        }
        // 800x600 GIF, 3 frames (the first one has the markers), 256 colours.
        using (var frames = new MagickImageCollection())
        {
            for (int i = 0; i < 3; i++)
            {
                var f = (MagickImage)base4k.Clone();
                f.Resize(800, 600);
                if (i > 0)
                    f.Roll(i * 40, i * 30);
                Markers(f);
                f.AnimationDelay = 20;
                frames.Add(f);
            }
            frames.Quantize(new QuantizeSettings { Colors = 256, DitherMethod = DitherMethod.No });
            frames.Write(Path.Combine(dir, "anim.gif"), MagickFormat.Gif);
        }
        foreach (var f in files)
            Console.Error.WriteLine($"  {f}: {new FileInfo(Path.Combine(dir, f)).Length / 1024} KiB");
    }

    private static void Markers(MagickImage img)
    {
        double w = img.Width, h = img.Height, mw = w * 0.08, mh = h * 0.08;
        new Drawables()
            .FillColor(new MagickColor("#FF0000")).Rectangle(0, 0, mw, mh)
            .FillColor(new MagickColor("#00FF00")).Rectangle(w - mw, 0, w, mh)
            .FillColor(new MagickColor("#0000FF")).Rectangle(0, h - mh, mw, h)
            .Draw(img);
    }

    private static void Exif(MagickImage img, ushort orientation)
    {
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.Orientation, orientation);
        exif.SetValue(ExifTag.Make, "BenchCam");
        exif.SetValue(ExifTag.Model, "Issue14");
        exif.SetValue(ExifTag.DateTimeOriginal, "2026:12:03 10:00:00");
        exif.SetValue(ExifTag.GPSLatitudeRef, "N");
        exif.SetValue(ExifTag.GPSLatitude, [new Rational(48, 1), new Rational(51, 1), new Rational(2412, 100)]);
        exif.SetValue(ExifTag.GPSLongitudeRef, "E");
        exif.SetValue(ExifTag.GPSLongitude, [new Rational(2, 1), new Rational(21, 1), new Rational(300, 100)]);
        img.SetProfile(exif);
        img.Orientation = orientation == 6 ? Orientation.RightTop : Orientation.TopLeft;
    }
}
