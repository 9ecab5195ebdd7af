using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetVips;
using Vips = NetVips;

namespace Backend.Images;

/// <summary>The default <see cref="IImageProcessor"/>, on libvips through NetVips (chosen by measurement:
/// bench/README.md, "Images"; docs/images.md). Per image: the format by its magic bytes, the header read alone and its
/// size checked against <c>-api-image-max-pixels</c> and <c>-api-image-max-side</c> before any pixel is decoded, then
/// one <c>thumbnail</c> (shrink-on-load, EXIF auto-rotation) decoding strictly (<c>fail-on warning</c>: a truncated or
/// corrupt image is a 400), then the encoder with no metadata kept (EXIF, GPS, XMP, IPTC, ICC profile, comments).
/// At most <c>-api-image-concurrency</c> images are processed at once, each on a thread-pool thread and on one libvips
/// thread, with libvips's operation cache off.</summary>
internal sealed partial class VipsImageProcessor : IImageProcessor, IDisposable
{
    /// <summary>Longest time one image may take; beyond it libvips is told to stop and the image is refused (413).</summary>
    internal static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(30);

    // libvips's warnings ("not enough data", "error in tile") are about clients' images: not logged. The delegate is
    // kept here so the native side never calls a collected one.
    private static readonly Log.LogDelegate Quiet = static (_, _, _) => { };

    private static readonly Lazy<string?> Unavailable = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly ImageOptions options;
    private readonly ILogger logger;
    private readonly SemaphoreSlim gate;
    private int unavailableLogged;

    public VipsImageProcessor(IOptions<ImageOptions> options, ILogger<VipsImageProcessor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        this.logger = logger;
        var n = this.options.Concurrency > 0 ? this.options.Concurrency : Environment.ProcessorCount;
        gate = new SemaphoreSlim(n, n);
    }

    /// <summary>Null when libvips is loaded and set up, else why it is not (no native library for this platform).</summary>
    internal static string? UnavailableReason => Unavailable.Value;

    /// <inheritdoc />
    public async Task<ProcessedImage> ProcessAsync(ReadOnlyMemory<byte> input, ImageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (inExt, _) = ImageFormats.Sniff(input.Span) ?? throw new ImageException(415, "Unsupported image format: only JPEG, PNG, GIF and WebP are accepted");
        string outExt;
        if (string.IsNullOrEmpty(request.Format)) outExt = inExt;
        else outExt = ImageFormats.Normalize(request.Format) ?? throw new ImageException(415, "Unsupported output format: jpg, png, gif or webp");
        if (request.Quality is < 0 or > 100) throw new ImageException(400, "Image quality must be between 1 and 100");
        if (Math.Abs((long)request.Width) > options.MaxSide || Math.Abs((long)request.Height) > options.MaxSide)
            throw new ImageException(413, $"Requested image size is too large: at most {options.MaxSide} pixels a side");
        if (Unavailable.Value is { } reason)
        {
            if (Interlocked.Exchange(ref unavailableLogged, 1) == 0 && logger.IsEnabled(LogLevel.Error)) LogUnavailable(logger, reason);
            throw new ImageException(503, "Image processing is not available on this server");
        }

        var bytes = MemoryMarshal.TryGetArray(input, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : input.ToArray();
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Process(bytes, request, outExt), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private ProcessedImage Process(byte[] bytes, ImageRequest request, string outExt)
    {
        try
        {
            // 1. The header only: a sequential load reads no pixel until something asks for them.
            int width, height, orientation;
            using (var header = Image.NewFromBuffer(bytes, access: Enums.Access.Sequential, failOn: Enums.FailOn.Warning))
            {
                width = header.Width;
                height = header.Height;
                orientation = header.Contains("orientation") && header.Get("orientation") is int o ? o : 1;
            }
            if (width <= 0 || height <= 0) throw new ImageException(400, "Not a valid image");
            if ((long)width * height > options.MaxPixels || width > options.MaxSide || height > options.MaxSide)
                throw new ImageException(413, $"Image is too large: {width}x{height} pixels, at most {options.MaxPixels} pixels and {options.MaxSide} a side");

            // 2. The size it is displayed at (orientations 5-8 swap the sides), and the size asked for.
            var (dw, dh) = orientation is >= 5 and <= 8 ? (height, width) : (width, height);
            var (tw, th) = TargetSize(dw, dh, request.Width, request.Height);
            if ((long)tw * th > options.MaxPixels || tw > options.MaxSide || th > options.MaxSide)
                throw new ImageException(413, $"Requested image size is too large: {tw}x{th} pixels, at most {options.MaxPixels} pixels and {options.MaxSide} a side");

            // 3. Decode (shrinking on load where the format can), orient, scale; then encode without metadata.
            // fail_on goes to the loader through the option string: thumbnail's own failOn argument does not make a
            // truncated PNG fail (measured with libvips 8.18.7; VipsImageProcessorTests.A_truncated_png_is_refused).
            using var thumb = Image.ThumbnailBuffer(bytes, tw, optionString: "[fail_on=warning]", height: th, size: Enums.Size.Force);
            var quality = request.Quality > 0 ? request.Quality : options.Quality;
            var data = Encode(thumb, outExt, quality);
            return new ProcessedImage(data, outExt, ImageFormats.ContentTypeOfExtension(outExt), tw, th);
        }
        catch (VipsException ex)
        {
            if (ex.Message.Contains("killed", StringComparison.OrdinalIgnoreCase))
                throw new ImageException(413, "Image took too long to process", ex);
            throw new ImageException(400, "Not a valid image: corrupt, truncated or unsupported", ex);
        }
        catch (Exception ex) when (ex is not ImageException)
        {
            // The contract: bad input is an ImageException, whatever the binding throws on it.
            if (logger.IsEnabled(LogLevel.Warning)) LogUnexpected(logger, ex.GetType().Name, ex);
            throw new ImageException(400, "Not a valid image", ex);
        }
    }

    /// <summary>The output size by the reference's <c>_width</c>/<c>_height</c> rules, for an image displayed at
    /// <paramref name="dw"/>x<paramref name="dh"/>: a positive side is scaled to (up or down), a negative one only
    /// shrinks to its absolute value, 0 follows the other side; with both, the image fits in the box keeping its
    /// aspect ratio. Never below 1 pixel.</summary>
    internal static (int Width, int Height) TargetSize(int dw, int dh, int w, int h)
    {
        double? bw = w > 0 ? w : w < 0 ? Math.Min(-(long)w, dw) : null;
        double? bh = h > 0 ? h : h < 0 ? Math.Min(-(long)h, dh) : null;
        double scale;
        if (bw is null && bh is null) return (dw, dh);
        if (bh is null) scale = bw!.Value / dw;
        else if (bw is null) scale = bh.Value / dh;
        else scale = Math.Min(bw.Value / dw, bh.Value / dh);
        if (scale == 1) return (dw, dh);
        // The side that was asked for is exact; the other follows the aspect ratio.
        var tw = bw is { } x && (bh is null || x / dw <= bh.Value / dh) ? (int)x : (int)Math.Round(dw * scale, MidpointRounding.AwayFromZero);
        var th = bh is { } y && (bw is null || y / dh <= bw.Value / dw) ? (int)y : (int)Math.Round(dh * scale, MidpointRounding.AwayFromZero);
        return (Math.Max(1, tw), Math.Max(1, th));
    }

    private static byte[] Encode(Image thumb, string format, int quality)
    {
        var owned = new List<Image>(3);
        try
        {
            var img = thumb;
            Image Own(Image next)
            {
                owned.Add(next);
                return next;
            }
            // CMYK, Lab and the like become sRGB; 16-bit stays only in PNG.
            var space = img.Interpretation;
            if (space is not (Enums.Interpretation.Srgb or Enums.Interpretation.Bw or Enums.Interpretation.Rgb16 or Enums.Interpretation.Grey16))
                img = Own(img.Colourspace(Enums.Interpretation.Srgb));
            else if (format != "png" && space == Enums.Interpretation.Rgb16)
                img = Own(img.Colourspace(Enums.Interpretation.Srgb));
            else if (format != "png" && space == Enums.Interpretation.Grey16)
                img = Own(img.Colourspace(Enums.Interpretation.Bw));
            // JPEG has no alpha: flattened on white. PNG, WebP and GIF keep it (GIF as one transparent colour).
            if (format == "jpg" && img.HasAlpha())
                img = Own(img.Flatten(background: Enumerable.Repeat(255.0, img.Bands - 1).ToArray()));
            // A time limit: libvips checks its kill flag between tiles, so a pathological image ends with an error.
            using var limit = new CancellationTokenSource(TimeLimit);
            img.SetProgress(null, limit.Token);
            return format switch
            {
                "jpg" => img.JpegsaveBuffer(q: quality, keep: Enums.ForeignKeep.None),
                "png" => img.PngsaveBuffer(keep: Enums.ForeignKeep.None),
                "webp" => img.WebpsaveBuffer(q: quality, keep: Enums.ForeignKeep.None),
                "gif" => img.GifsaveBuffer(keep: Enums.ForeignKeep.None),
                _ => throw new ImageException(415, "Unsupported output format: jpg, png, gif or webp"),
            };
        }
        finally
        {
            foreach (var i in owned) i.Dispose();
        }
    }

    private static string? Initialize()
    {
        try
        {
            if (!ModuleInitializer.VipsInitialized)
                return $"libvips could not be loaded ({ModuleInitializer.Exception?.Message ?? "no native library for " + RuntimeInformation.RuntimeIdentifier}); NetVips.Native ships linux-x64 only in this build";
            // No operation cache (every upload is new; the cache would only hold memory), one libvips thread per
            // image (the gate bounds images at once), and only the loaders libvips considers fuzzed and safe.
            Vips.Cache.Max = 0;
            Vips.Cache.MaxFiles = 0;
            Vips.Cache.MaxMem = 0;
            Vips.NetVips.Concurrency = 1;
            Vips.NetVips.BlockUntrusted = true;
            Log.SetLogHandler("VIPS", Enums.LogLevelFlags.Warning | Enums.LogLevelFlags.Message | Enums.LogLevelFlags.Info, Quiet);
            return null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            return $"libvips could not be loaded: {ex.GetBaseException().Message}";
        }
    }

    public void Dispose() => gate.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "Image processing is not available: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image processing failed with {Type}; answered as an invalid image")]
    private static partial void LogUnexpected(ILogger logger, string type, Exception ex);
}
