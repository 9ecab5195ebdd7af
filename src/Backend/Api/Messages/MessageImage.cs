using Backend.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Backend.Api.Messages;

/// <summary>A message image as uploaded: its bytes and what kind of image the bytes say it is. Only JPEG, PNG, GIF
/// and WebP are accepted, recognised by their magic bytes (never by a client-given name or content type), and at
/// most <see cref="MaxBytes"/>.</summary>
internal sealed record MessageImage(byte[] Bytes, string Extension, string ContentType)
{
    /// <summary>Largest image accepted (1 MiB); larger is a 413. Note that <c>-api-upload-limit</c> (1 MiB by
    /// default) also bounds the whole request, and a base64 image is a third bigger than its bytes.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>The image of a <c>/message/add</c> request, or null when it has none: a multipart file <c>icon</c>, else
    /// the parameter <c>icon</c> as base64 (query, form or JSON string; a <c>data:</c> URL prefix, URL-safe
    /// characters and missing padding are accepted). 400 when it is not base64 or not an image, 413 when too big.</summary>
    public static async Task<MessageImage?> ReadAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Only a multipart body has files, and only the one the access pipeline parsed counts: the body is never read
        // here (a GET's body is ignored everywhere, and reading it now could fail on a broken one after the checks).
        if (context.Features.Get<IFormFeature>()?.Form?.Files.GetFile("icon") is { } file)
        {
            if (file.Length > MaxBytes) throw TooLarge();
            using var ms = new MemoryStream((int)file.Length);
            await using (var stream = file.OpenReadStream()) await stream.CopyToAsync(ms, cancellationToken);
            return FromBytes(ms.ToArray());
        }
        return context.Api().Get("icon") is { } text ? FromBase64(text) : null;
    }

    /// <summary>Decodes base64 text (see <see cref="ReadAsync"/>) and checks the image.</summary>
    public static MessageImage FromBase64(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var comma = text.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? text.IndexOf(',', StringComparison.Ordinal) : -1;
        var span = comma >= 0 ? text.AsSpan(comma + 1) : text.AsSpan();
        // Checked before decoding so a huge parameter is refused without allocating its bytes.
        if (span.Length > (MaxBytes + 2) / 3 * 4 + 64) throw TooLarge();
        var chars = new char[span.Length + 3];
        var n = 0;
        foreach (var c in span)
        {
            switch (c)
            {
                // A '+' sent unencoded in a query or form arrives as a space.
                case ' ': chars[n++] = '+'; break;
                case '-': chars[n++] = '+'; break;
                case '_': chars[n++] = '/'; break;
                case '\r' or '\n' or '\t': break;
                default: chars[n++] = c; break;
            }
        }
        while (n % 4 != 0) chars[n++] = '=';
        var bytes = new byte[n / 4 * 3];
        if (!Convert.TryFromBase64Chars(chars.AsSpan(0, n), bytes, out var written) || written == 0)
            throw ApiException.BadRequest("icon must be a base64 encoded image");
        return FromBytes(written == bytes.Length ? bytes : bytes[..written]);
    }

    /// <summary>Checks raw bytes: a 413 when too big, a 400 when not a JPEG, PNG, GIF or WebP image.</summary>
    public static MessageImage FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length > MaxBytes) throw TooLarge();
        var (ext, type) = Sniff(bytes) ?? throw ApiException.BadRequest("icon must be a JPEG, PNG, GIF or WebP image");
        return new MessageImage(bytes, ext, type);
    }

    /// <summary>The extension and content type the magic bytes announce, or null for anything else.</summary>
    public static (string Extension, string ContentType)? Sniff(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ("jpg", "image/jpeg");
        if (b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return ("png", "image/png");
        if (b.StartsWith("GIF87a"u8) || b.StartsWith("GIF89a"u8)) return ("gif", "image/gif");
        if (b.Length >= 12 && b.StartsWith("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8)) return ("webp", "image/webp");
        return null;
    }

    /// <summary>The content type of a stored image by its extension (the store names files after what was sniffed).</summary>
    public static string ContentTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" => "image/jpeg",
        ".png" => "image/png",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        _ => "application/octet-stream",
    };

    private static ApiException TooLarge() => new(413, $"icon is too large: at most {MaxBytes} bytes");
}
