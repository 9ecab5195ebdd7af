namespace Backend.Images;

/// <summary>The image formats uploads may be in and be written as, recognised by their magic bytes (never by a
/// client-given name or content type).</summary>
internal static class ImageFormats
{
    /// <summary>The extension (<c>jpg</c>, <c>png</c>, <c>gif</c>, <c>webp</c>) and content type the magic bytes
    /// announce, or null for anything else.</summary>
    public static (string Extension, string ContentType)? Sniff(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ("jpg", "image/jpeg");
        if (b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return ("png", "image/png");
        if (b.StartsWith("GIF87a"u8) || b.StartsWith("GIF89a"u8)) return ("gif", "image/gif");
        if (b.Length >= 12 && b.StartsWith("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8)) return ("webp", "image/webp");
        return null;
    }

    /// <summary>The canonical extension of a requested output format (<c>jpeg</c> is <c>jpg</c>), or null when it is
    /// not one that can be written.</summary>
    public static string? Normalize(string? format) => format?.Trim().ToLowerInvariant() switch
    {
        "jpg" or "jpeg" or ".jpg" or ".jpeg" => "jpg",
        "png" or ".png" => "png",
        "gif" or ".gif" => "gif",
        "webp" or ".webp" => "webp",
        _ => null,
    };

    /// <summary>The content type of an extension.</summary>
    public static string ContentTypeOfExtension(string extension) => extension switch
    {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    };

    /// <summary>The content type of a stored image by its file extension.</summary>
    public static string ContentTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        _ => "application/octet-stream",
    };
}
