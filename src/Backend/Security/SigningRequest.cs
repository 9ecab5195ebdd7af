namespace Backend.Security;

/// <summary>
/// What the server knows of a request, as needed to compute its string to sign.
/// </summary>
/// <param name="Method">The HTTP method as sent (not case-folded, like the 2014 server).</param>
/// <param name="Host">The Host header as sent, possibly with a port; the string to sign lower-cases it and drops the port.</param>
/// <param name="Path">The raw URL path without the query (not decoded).</param>
/// <param name="Query">The raw, unsorted query that is signed: the URL query, or the body of a form POST.</param>
/// <param name="ContentType">The Content-Type header, lower-cased, parameters kept; empty when absent.</param>
/// <param name="Checksum">The CHECKSUM field of the signature header (base64 SHA-1 of a JSON body), or empty.</param>
public sealed record SigningRequest(string Method, string Host, string Path, string Query, string ContentType, string Checksum)
{
    private const string FormMediaType = "application/x-www-form-urlencoded";

    /// <summary>
    /// Builds the request from its raw parts with the 2014 server's rules:
    /// <list type="bullet">
    /// <item>When the media type (the content type before any ';', compared case-insensitively) is
    /// <c>application/x-www-form-urlencoded</c> and <paramref name="formBody"/> is given, the body replaces
    /// the URL query entirely: a URL query on a form POST is not signed.</item>
    /// <item>Otherwise the URL query is signed. A JSON POST therefore signs an empty query when, as clients
    /// do, it has no URL query; its body is covered by <paramref name="checksum"/> instead.</item>
    /// <item>The content type is lower-cased but otherwise kept as sent, parameters included
    /// ("application/x-www-form-urlencoded; charset=UTF-8" signs as "...; charset=utf-8"), whatever the
    /// method; a GET normally has none, so it is empty.</item>
    /// </list>
    /// </summary>
    /// <param name="method">HTTP method as sent.</param>
    /// <param name="host">Host header as sent; may carry a port.</param>
    /// <param name="path">Raw URL path, without the query; empty means "/".</param>
    /// <param name="rawQuery">URL query without '?', not decoded (a leading '?' is tolerated).</param>
    /// <param name="contentType">Content-Type header, or null.</param>
    /// <param name="formBody">The body text of a form-urlencoded request, or null when there is none or it is not a form.</param>
    /// <param name="checksum">The CHECKSUM field of the parsed signature header, or null.</param>
    public static SigningRequest From(string method, string host, string path, string rawQuery, string? contentType, string? formBody, string checksum)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(path);

        var type = string.IsNullOrEmpty(contentType) ? "" : contentType.ToLowerInvariant();
        var query = formBody is not null && IsForm(type) ? formBody : WithoutQuestionMark(rawQuery ?? "");
        return new SigningRequest(method, host, path.Length == 0 ? "/" : path, query, type, checksum ?? "");
    }

    private static bool IsForm(string contentType)
    {
        var media = contentType.AsSpan();
        var semicolon = media.IndexOf(';');
        if (semicolon >= 0)
            media = media[..semicolon];
        return media.Trim().SequenceEqual(FormMediaType);
    }

    private static string WithoutQuestionMark(string query) =>
        query.StartsWith('?') ? query[1..] : query;
}
