using Microsoft.Extensions.Configuration;

namespace Backend.Images;

/// <summary>Limits and defaults of <see cref="VipsImageProcessor"/>, bound from the parameter registry.</summary>
internal sealed class ImageOptions
{
    /// <summary>Most pixels (width x height) an input may declare, and an output may have; more is a 413, refused on
    /// the header, before any pixel is decoded.</summary>
    [ConfigurationKeyName("api-image-max-pixels")]
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>Longest side in pixels of an input or an output.</summary>
    [ConfigurationKeyName("api-image-max-side")]
    public int MaxSide { get; set; } = 20_000;

    /// <summary>Encoder quality of JPEG and WebP when the request gives none.</summary>
    [ConfigurationKeyName("api-image-quality")]
    public int Quality { get; set; } = 80;

    /// <summary>Images processed at once in the process; 0 is the number of cores.</summary>
    [ConfigurationKeyName("api-image-concurrency")]
    public int Concurrency { get; set; }
}
