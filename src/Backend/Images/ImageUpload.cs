using Backend.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Backend.Images;

/// <summary>An uploaded image as received: its bytes and what kind of image the bytes say it is. Only JPEG, PNG, GIF
/// and WebP are accepted, recognised by their magic bytes (never by a client-given name or content type), and at most
/// <see cref="MaxBytes"/>. Shared by the endpoints that take images (message images, icons); what is stored is what
/// <see cref="IImageProcessor"/> makes of it (<see cref="ProcessAsync"/>).</summary>
internal sealed record ImageUpload(byte[] Bytes, string Extension, string ContentType)
{
    /// <summary>Largest image accepted unless the caller gives another limit (1 MiB; icons: <c>-api-icon-limit</c>);
    /// larger is a 413. Note that <c>-api-upload-limit</c> (1 MiB by default) also bounds the whole request, and a
    /// base64 image is a third bigger than its bytes.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>The image of a request, or null when it has none: a multipart file named <paramref name="name"/>,
    /// else the parameter <paramref name="name"/> as base64 (query, form or JSON string; a <c>data:</c> URL prefix,
    /// URL-safe characters and missing padding are accepted), else the raw body of a POST or PUT whose content type is
    /// <c>image/*</c>. 400 when it is not base64 or not an image, 413 when larger than <paramref name="maxBytes"/>.</summary>
    public static async Task<ImageUpload?> ReadAsync(HttpContext context, string name, CancellationToken cancellationToken, int maxBytes = MaxBytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        // Only a multipart body has files, and only the one the access pipeline parsed counts: the body is never read
        // here (a GET's body is ignored everywhere, and reading it now could fail on a broken one after the checks).
        if (context.Features.Get<IFormFeature>()?.Form?.Files.GetFile(name) is { } file)
        {
            if (file.Length > maxBytes) throw TooLarge(name, maxBytes);
            using var ms = new MemoryStream((int)file.Length);
            await using (var stream = file.OpenReadStream()) await stream.CopyToAsync(ms, cancellationToken);
            return FromBytes(ms.ToArray(), name, maxBytes);
        }
        if (context.Api().Get(name) is { } text) return FromBase64(text, name, maxBytes);
        var request = context.Request;
        // A raw image body: the access pipeline leaves a body it does not parse (not a form, JSON or multipart) unread.
        // Kestrel bounds it by -api-upload-limit; it is not covered by the signature's checksum.
        if ((HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method))
            && request.ContentType is { } type && type.StartsWith("image/", StringComparison.OrdinalIgnoreCase))
        {
            if (request.ContentLength > maxBytes) throw TooLarge(name, maxBytes);
            // Grown as the body arrives (not one buffer of the limit per request: limits may be large).
            using var ms = new MemoryStream((int)Math.Min(request.ContentLength ?? 64 * 1024, maxBytes + 1L));
            var chunk = new byte[64 * 1024];
            int read;
            while (ms.Length <= maxBytes && (read = await request.Body.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, maxBytes + 1L - ms.Length)), cancellationToken)) > 0)
                ms.Write(chunk, 0, read);
            if (ms.Length > maxBytes) throw TooLarge(name, maxBytes);
            return ms.Length == 0 ? null : FromBytes(ms.ToArray(), name, maxBytes);
        }
        return null;
    }

    /// <summary>Decodes base64 text (see <see cref="ReadAsync"/>) and checks the image.</summary>
    public static ImageUpload FromBase64(string text, string name = "icon", int maxBytes = MaxBytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        var comma = text.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? text.IndexOf(',', StringComparison.Ordinal) : -1;
        var span = comma >= 0 ? text.AsSpan(comma + 1) : text.AsSpan();
        // Checked before decoding so a huge parameter is refused without allocating its bytes.
        if (span.Length > (maxBytes + 2L) / 3 * 4 + 64) throw TooLarge(name, maxBytes);
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
            throw ApiException.BadRequest($"{name} must be a base64 encoded image");
        return FromBytes(written == bytes.Length ? bytes : bytes[..written], name, maxBytes);
    }

    /// <summary>Checks raw bytes: a 413 when too big, a 400 when not a JPEG, PNG, GIF or WebP image.</summary>
    public static ImageUpload FromBytes(byte[] bytes, string name = "icon", int maxBytes = MaxBytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length > maxBytes) throw TooLarge(name, maxBytes);
        var (ext, type) = ImageFormats.Sniff(bytes) ?? throw ApiException.BadRequest($"{name} must be a JPEG, PNG, GIF or WebP image");
        return new ImageUpload(bytes, ext, type);
    }

    /// <summary>What the request asks of the image, in the reference's parameters: <c>_width</c>, <c>_height</c>
    /// (see <see cref="ImageRequest"/>), <c>_ext</c> (jpg, png, gif, webp) and <c>_quality</c> (1-100).</summary>
    public static ImageRequest RequestOf(ApiRequest api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var ext = api.Get("_ext");
        if (ext is not null && ImageFormats.Normalize(ext) is null) throw new ApiException(415, "_ext must be jpg, png, gif or webp");
        return new ImageRequest
        {
            Width = api.Int("_width", 0, -100_000, 100_000),
            Height = api.Int("_height", 0, -100_000, 100_000),
            Format = ext is null ? null : ImageFormats.Normalize(ext),
            Quality = api.Int("_quality", 0, 0, 100),
        };
    }

    /// <summary>Runs the upload through <paramref name="processor"/>, answering a refused image in the API's error shape
    /// (an <see cref="ApiException"/> with the <see cref="ImageException"/>'s status and message).</summary>
    public async Task<ProcessedImage> ProcessAsync(IImageProcessor processor, ImageRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(processor);
        try
        {
            return await processor.ProcessAsync(Bytes, request, cancellationToken);
        }
        catch (ImageException ex)
        {
            throw new ApiException(ex.Status, ex.Message);
        }
    }

    private static ApiException TooLarge(string name, int maxBytes) => new(413, $"{name} is too large: at most {maxBytes} bytes");
}
