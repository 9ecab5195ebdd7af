using System.Globalization;
using Backend.Configuration;
using Backend.Images;
using Microsoft.Extensions.Configuration;

namespace Backend.Api.Icons;

/// <summary>The icon module's parameters as given, bound from the parameter registry; <see cref="IconSettings"/> is
/// what they mean, parsed once at start-up.</summary>
internal sealed class IconsOptions
{
    /// <summary><c>-api-icon-limit</c>: <c>PREFIX:BYTES</c> items.</summary>
    [ConfigurationKeyName("api-icon-limit")]
    public IList<string> Limits { get; set; } = [];

    /// <summary><c>-api-icon-sizes</c>: <c>PREFIX:NAME=W</c> or <c>PREFIX:NAME=WxH</c> items.</summary>
    [ConfigurationKeyName("api-icon-sizes")]
    public IList<string> Sizes { get; set; } = [];

    /// <summary><c>-api-images-url</c>: where the images store is served from (a CDN), or empty.</summary>
    [ConfigurationKeyName("api-images-url")]
    public string? ImagesUrl { get; set; }
}

/// <summary>One extra rendition stored beside each icon of a prefix (<c>-api-icon-sizes</c>): its name and the
/// <c>_width</c>/<c>_height</c> it is made with (negative: never upscaled, as the reference's parameters).</summary>
internal sealed record IconSize(string Name, int Width, int Height);

/// <summary>What the icon parameters mean: the upload limit and the renditions of each prefix, and the images URL.
/// Parsed at start-up so that a bad item stops the server with a <see cref="ConfigException"/> naming it.</summary>
internal sealed class IconSettings
{
    /// <summary>The most renditions a prefix may have.</summary>
    public const int MaxSizesPerPrefix = 8;

    /// <summary>The most bytes any icon limit may give (64 MiB): an image is held in memory while it is processed.</summary>
    public const int MaxLimit = 64 * 1024 * 1024;

    private readonly Dictionary<string, int> _limits;
    private readonly int _defaultLimit;
    private readonly Dictionary<string, IconSize[]> _sizes;

    public IconSettings(IconsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _limits = new(StringComparer.Ordinal);
        _defaultLimit = ImageUpload.MaxBytes;
        foreach (var item in options.Limits)
        {
            var colon = item.LastIndexOf(':');
            var prefix = colon > 0 ? item[..colon].Trim() : "";
            if (colon <= 0 || !(prefix == "*" || IconNames.IsPrefix(prefix))
                || !int.TryParse(item.AsSpan(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) || bytes < 1024 || bytes > MaxLimit)
                throw new ConfigException(string.Create(CultureInfo.InvariantCulture,
                    $"invalid value for -api-icon-limit: \"{item}\" is not PREFIX:BYTES (a prefix of a-z, 0-9, '.', '_', '-' or *, and 1024-{MaxLimit} bytes)"));
            if (prefix == "*") _defaultLimit = bytes;
            else _limits[prefix] = bytes;
        }
        _sizes = new(StringComparer.Ordinal);
        foreach (var item in options.Sizes)
        {
            var size = ParseSize(item, out var prefix);
            var list = _sizes.TryGetValue(prefix, out var l) ? l : [];
            if (list.Any(s => s.Name == size.Name))
                throw new ConfigException($"invalid value for -api-icon-sizes: \"{prefix}:{size.Name}\" is given twice");
            if (list.Length >= MaxSizesPerPrefix)
                throw new ConfigException(string.Create(CultureInfo.InvariantCulture, $"invalid value for -api-icon-sizes: more than {MaxSizesPerPrefix} sizes for the prefix {prefix}"));
            _sizes[prefix] = [.. list, size];
        }
        ImagesUrl = string.IsNullOrWhiteSpace(options.ImagesUrl) ? null : options.ImagesUrl.TrimEnd('/');
    }

    /// <summary>The URL the images store is served from, without a trailing slash, or null.</summary>
    public string? ImagesUrl { get; }

    /// <summary>The largest upload accepted for an icon of <paramref name="prefix"/>.</summary>
    public int LimitOf(string prefix) => _limits.TryGetValue(prefix, out var bytes) ? bytes : _defaultLimit;

    /// <summary>The renditions stored beside each icon of <paramref name="prefix"/>; none by default.</summary>
    public IReadOnlyList<IconSize> SizesOf(string prefix) => _sizes.TryGetValue(prefix, out var sizes) ? sizes : [];

    /// <summary>The rendition named <paramref name="name"/> of <paramref name="prefix"/>; a 400 naming the sizes there
    /// are when there is no such one.</summary>
    public IconSize SizeOf(string prefix, string name)
    {
        foreach (var size in SizesOf(prefix)) if (size.Name == name) return size;
        var names = SizesOf(prefix).Select(s => s.Name).ToList();
        throw Http.ApiException.BadRequest(names.Count == 0
            ? $"size: icons of the prefix {prefix} have no sizes"
            : $"size must be one of {string.Join(", ", names)}");
    }

    private static IconSize ParseSize(string item, out string prefix)
    {
        // PREFIX:NAME=W or PREFIX:NAME=WxH; W and H as _width and _height (0: free, negative: no upscaling).
        var eq = item.IndexOf('=', StringComparison.Ordinal);
        var head = eq > 0 ? item[..eq].Trim() : "";
        var colon = head.IndexOf(':', StringComparison.Ordinal);
        prefix = colon > 0 ? head[..colon] : "";
        var name = colon > 0 ? head[(colon + 1)..] : "";
        var dims = eq > 0 ? item[(eq + 1)..].Trim().Split('x') : [];
        int width = 0, height = 0;
        var ok = IconNames.IsPrefix(prefix) && IsSizeName(name) && dims.Length is 1 or 2
            && int.TryParse(dims[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out width) && Math.Abs(width) <= 100_000
            && (dims.Length == 1 || (int.TryParse(dims[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out height) && Math.Abs(height) <= 100_000))
            && (width != 0 || height != 0);
        if (!ok)
            throw new ConfigException($"invalid value for -api-icon-sizes: \"{item}\" is not PREFIX:NAME=W or PREFIX:NAME=WxH (NAME 1-16 of a-z, 0-9; W and H as _width and _height, not both 0)");
        return new IconSize(name, width, height);
    }

    /// <summary>A rendition's name: 1-16 of a-z, 0-9.</summary>
    public static bool IsSizeName(string? name) =>
        name is { Length: >= 1 and <= 16 } && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));
}
