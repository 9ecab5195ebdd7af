namespace Backend.Images;

/// <summary>Turns an uploaded image into the one that is stored (icons, message images): decoded with its pixel count
/// bounded before any pixel is decoded, turned upright by its EXIF orientation, stripped of every metadata block (EXIF
/// with GPS, XMP, IPTC, comments: a location inside a photo is a private column too), scaled by
/// <see cref="ImageRequest"/>, and encoded. The default is libvips (<c>VipsImageProcessor</c>, chosen by measurement:
/// bench/README.md, "Images"); an app may register another before the built-in modules are added.</summary>
public interface IImageProcessor
{
    /// <summary>Processes <paramref name="input"/>. Bad input (not an image, truncated or corrupt, too many pixels, an
    /// unsupported output format) is an <see cref="ImageException"/>, never another exception.</summary>
    Task<ProcessedImage> ProcessAsync(ReadOnlyMemory<byte> input, ImageRequest request, CancellationToken cancellationToken = default);
}

/// <summary>What to make of an upload, in the reference's terms (<c>_width</c>, <c>_height</c>, <c>_ext</c>,
/// <c>_quality</c>).</summary>
public sealed record ImageRequest
{
    /// <summary>Keep the size and the input's format (as far as it can be written), strip metadata and orient.</summary>
    public static readonly ImageRequest AsIs = new();

    /// <summary>Desired width in pixels: positive scales to it (up or down); negative scales down to its absolute value
    /// only when the image is wider ("do not upscale"); 0 leaves the width to the height and the aspect ratio. With
    /// both width and height set, the image fits inside the box, keeping its aspect ratio.</summary>
    public int Width { get; init; }

    /// <summary>Desired height, with the same rules as <see cref="Width"/>.</summary>
    public int Height { get; init; }

    /// <summary>Output format: <c>jpg</c>, <c>png</c>, <c>gif</c>, <c>webp</c>; null keeps the input's.</summary>
    public string? Format { get; init; }

    /// <summary>Encoder quality 1-100 for the lossy formats; 0 takes the processor's default.</summary>
    public int Quality { get; init; }
}

/// <summary>A processed image: its encoded bytes, format (the file extension, as <see cref="ImageRequest.Format"/>),
/// content type and size.</summary>
public sealed record ProcessedImage(byte[] Data, string Format, string ContentType, int Width, int Height);

/// <summary>Why an image was refused; the HTTP layer answers <see cref="Status"/> (400: not an image or corrupt, 413:
/// too many pixels or bytes, 415: a format that cannot be read or written) in the JSON error shape.</summary>
public sealed class ImageException : Exception
{
    /// <summary>A refusal with its status and a message safe to show to the client.</summary>
    public ImageException(int status, string message)
        : base(message) => Status = status;

    /// <summary>A refusal with the error that caused it (kept for the log, never shown to the client).</summary>
    public ImageException(int status, string message, Exception inner)
        : base(message, inner) => Status = status;

    /// <inheritdoc />
    public ImageException()
        : this(400, "not an image")
    {
    }

    /// <inheritdoc />
    public ImageException(string message)
        : this(400, message)
    {
    }

    /// <inheritdoc />
    public ImageException(string message, Exception innerException)
        : this(400, message, innerException)
    {
    }

    /// <summary>The HTTP status: 400, 413 or 415.</summary>
    public int Status { get; }
}
