using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Backend.Http;

/// <summary>Reads the request's parameters once: the query, then a form, JSON object or multipart body. The raw form
/// text and the JSON or multipart bytes are kept because the signature covers them (the form text as the signed query,
/// the bytes through the checksum). Every malformed body is a 400 here, so no later reader of it can fail.</summary>
internal static class RequestBody
{
    /// <param name="Params">Query and body parameters.</param>
    /// <param name="FormText">The body of a form POST.</param>
    /// <param name="RawBytes">The body of a JSON or multipart POST, for its checksum.</param>
    /// <param name="Json">The parsed JSON body.</param>
    public sealed record Parsed(Dictionary<string, string> Params, string? FormText, byte[]? RawBytes, JsonElement? Json);

    /// <summary>Reads the parameters. A multipart body is kept whole in memory only when
    /// <paramref name="keepMultipart"/> (its checksum is to be checked); otherwise it streams, large files spilling to
    /// disk as ASP.NET Core's form reader does.</summary>
    public static async Task<Parsed> ReadAsync(HttpRequest request, bool keepMultipart, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in request.Query) parameters[k] = v.ToString();
        string? formText = null;
        byte[]? rawBytes = null;
        JsonElement? json = null;
        var type = request.ContentType ?? "";
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || request.ContentLength == 0)
            return new Parsed(parameters, null, null, null);

        if (type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            formText = Encoding.UTF8.GetString(await ReadAll(request, cancellationToken));
            // The signature of a form POST covers the body only, so URL parameters must not add to it (the original
            // replaced the query with the body the same way).
            parameters.Clear();
            foreach (var (k, v) in QueryHelpers.ParseQuery(formText)) parameters[k] = v.ToString();
        }
        else if (type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            var jsonBytes = rawBytes = await ReadAll(request, cancellationToken);
            if (jsonBytes.Length > 0)
            {
                // Raw bytes that are not UTF-8 and escapes that are not UTF-16 (a lone surrogate such as \ud800) parse, but
                // fail later when a string is read: both are refused here, once, so no later reader of the body can throw.
                if (!Utf8.IsValid(jsonBytes)) throw ApiException.BadRequest("Invalid JSON body: not UTF-8 text");
                try
                {
                    using var doc = JsonDocument.Parse(jsonBytes);
                    json = doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    throw ApiException.BadRequest("Invalid JSON body");
                }
                if (!IsValidText(json.Value)) throw ApiException.BadRequest("Invalid JSON body: a string is not valid Unicode (lone surrogate escape)");
                if (json.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in json.Value.EnumerateObject())
                        if (ToParam(p.Value) is { } s) parameters[p.Name] = s;
                }
            }
        }
        else if (type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            if (keepMultipart)
            {
                // Read whole first (Kestrel bounds it by -api-upload-limit) so the checksum can cover it, then
                // parsed from memory.
                rawBytes = await ReadAll(request, cancellationToken);
                request.Body = new MemoryStream(rawBytes, writable: false);
            }
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException && ex is not BadHttpRequestException)
            {
                throw ApiException.BadRequest("Invalid multipart body");
            }
            catch (InvalidOperationException)
            {
                // The form reader's answer to a content type it cannot parse (two Content-Type headers joined, a broken
                // boundary parameter): the client's fault.
                throw ApiException.BadRequest("Invalid multipart body: malformed content type");
            }
            foreach (var (k, v) in form) parameters[k] = v.ToString();
        }
        return new Parsed(parameters, formText, rawBytes, json);
    }

    /// <summary>True when every string and property name of the element reads as text (no lone surrogate escape).
    /// Nesting is bounded by the parser's depth limit (64).</summary>
    private static bool IsValidText(JsonElement e)
    {
        try
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    e.GetString();
                    return true;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray())
                        if (!IsValidText(item)) return false;
                    return true;
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        _ = p.Name;
                        if (!IsValidText(p.Value)) return false;
                    }
                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string? ToParam(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Array => string.Join(',', e.EnumerateArray().Select(x => ToParam(x) ?? "")),
        _ => e.GetRawText(),
    };

    private static async Task<byte[]> ReadAll(HttpRequest request, CancellationToken cancellationToken)
    {
        // Kestrel enforces -api-upload-limit while we read (413 through BadHttpRequestException).
        using var ms = new MemoryStream(request.ContentLength is long n && n < int.MaxValue ? (int)n : 4096);
        await request.Body.CopyToAsync(ms, cancellationToken);
        return ms.ToArray();
    }
}
