using Backend.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Backend.Api.Files;

/// <summary>Reads the content of a <c>/file/put</c>, whole, before anything is written (so a bad or oversized upload
/// writes nothing). The field is <c>_name</c> when given (and only that one); otherwise the field named as the
/// <c>name</c> parameter's value, then <c>data</c>. Sources, in this order:
/// <list type="bullet">
/// <item>a multipart body: the file of that field; without <c>_name</c>, else the first file;</item>
/// <item>a POST whose body is not a form, JSON or multipart (any other content type, or none): the raw body;</item>
/// <item>otherwise the parameter of that field (query, form or JSON string) as base64 (a <c>data:</c> URL prefix,
/// URL-safe characters and missing padding are accepted).</item>
/// </list>
/// Larger than <c>-api-upload-limit</c> is a 413, no content or bad base64 a 400.</summary>
internal static class FileUpload
{
    public static async Task<byte[]> ReadAsync(HttpContext context, string name, long limit, CancellationToken cancellationToken)
    {
        var api = context.Api();
        var explicitField = api.Get("_name");
        string[] fields = explicitField is not null ? [explicitField] : [name, "data"];
        var request = context.Request;
        if (context.Features.Get<IFormFeature>()?.Form?.Files is { Count: > 0 } files)
        {
            var file = fields.Select(files.GetFile).FirstOrDefault(f => f is not null) ?? (explicitField is null ? files[0] : null);
            if (file is not null)
            {
                if (file.Length > limit) throw TooLarge(limit);
                if (file.Length == 0) throw Empty();
                using var ms = new MemoryStream((int)file.Length);
                await using (var stream = file.OpenReadStream()) await stream.CopyToAsync(ms, cancellationToken);
                return ms.ToArray();
            }
        }
        else if (IsRaw(request))
        {
            var raw = await ReadRaw(request, limit, cancellationToken);
            if (raw.Length > 0) return raw;
        }
        foreach (var field in fields)
            if (api.Get(field) is { } text) return FromBase64(text, field, limit);
        throw ApiException.BadRequest(explicitField is not null
            ? $"no file content in {explicitField}"
            : $"no file content: send a multipart file, a raw POST body, or base64 in {name} or data (or name the field with _name)");
    }

    // A POST body the access pipeline did not parse: anything but a form, JSON or multipart.
    private static bool IsRaw(HttpRequest request)
    {
        if (!HttpMethods.IsPost(request.Method) || request.ContentLength == 0) return false;
        var type = request.ContentType ?? "";
        return !type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            && !type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<byte[]> ReadRaw(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit) throw TooLarge(limit);
        // Kestrel also stops the body at -api-upload-limit (413 through the error handler); counted here as well, so an
        // app with a larger server limit still gets the files API's.
        using var ms = new MemoryStream(request.ContentLength is long n ? (int)n : 8192);
        var buffer = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (ms.Length + read > limit) throw TooLarge(limit);
            ms.Write(buffer, 0, read);
        }
        return ms.ToArray();
    }

    /// <summary>Decodes base64 text (standard or URL-safe, padding optional, whitespace ignored, a <c>data:</c> URL
    /// prefix dropped).</summary>
    public static byte[] FromBase64(string text, string field, long limit)
    {
        var comma = text.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? text.IndexOf(',', StringComparison.Ordinal) : -1;
        var span = comma >= 0 ? text.AsSpan(comma + 1) : text.AsSpan();
        // Checked before decoding so a huge parameter is refused without allocating its bytes.
        if (span.Length / 4 * 3 > limit + 3) throw TooLarge(limit);
        var chars = new char[span.Length + 3];
        var n = 0;
        foreach (var c in span)
        {
            switch (c)
            {
                // A '+' sent unencoded in a query or form arrives as a space.
                case ' ' or '-': chars[n++] = '+'; break;
                case '_': chars[n++] = '/'; break;
                case '\r' or '\n' or '\t': break;
                default: chars[n++] = c; break;
            }
        }
        while (n % 4 != 0) chars[n++] = '=';
        var bytes = new byte[n / 4 * 3];
        if (!Convert.TryFromBase64Chars(chars.AsSpan(0, n), bytes, out var written))
            throw ApiException.BadRequest($"{field} must be base64 encoded file content");
        if (written == 0) throw Empty();
        if (written > limit) throw TooLarge(limit);
        return written == bytes.Length ? bytes : bytes[..written];
    }

    private static ApiException TooLarge(long limit) => new(413, $"file is too large: at most {limit} bytes");

    private static ApiException Empty() => ApiException.BadRequest("file is empty");
}
