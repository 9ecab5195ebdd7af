using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Backend.Http;

/// <summary>Reads the request's parameters once: the query, then a form or JSON object body. The raw form text and
/// the JSON bytes are kept because the signature covers them.</summary>
internal static class RequestBody
{
    public sealed record Parsed(Dictionary<string, string> Params, string? FormText, byte[]? JsonBytes, JsonElement? Json);

    public static async Task<Parsed> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in request.Query) parameters[k] = v.ToString();
        string? formText = null;
        byte[]? jsonBytes = null;
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
            jsonBytes = await ReadAll(request, cancellationToken);
            if (jsonBytes.Length > 0)
            {
                try
                {
                    using var doc = JsonDocument.Parse(jsonBytes);
                    json = doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    throw ApiException.BadRequest("Invalid JSON body");
                }
                if (json.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in json.Value.EnumerateObject())
                        if (ToParam(p.Value) is { } s) parameters[p.Name] = s;
                }
            }
        }
        else if (type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException && ex is not BadHttpRequestException)
            {
                throw ApiException.BadRequest("Invalid multipart body");
            }
            foreach (var (k, v) in form) parameters[k] = v.ToString();
        }
        return new Parsed(parameters, formText, jsonBytes, json);
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
        // Kestrel enforces -api-max-request-size while we read (413 through BadHttpRequestException).
        using var ms = new MemoryStream(request.ContentLength is long n && n < int.MaxValue ? (int)n : 4096);
        await request.Body.CopyToAsync(ms, cancellationToken);
        return ms.ToArray();
    }
}
