using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Backend.Http;

/// <summary>Conditional GETs of stored content (icons, files): whether the client's copy is current.</summary>
internal static class ConditionalGet
{
    /// <summary>True when <paramref name="request"/> already has the content tagged <paramref name="etag"/> and last
    /// modified at <paramref name="modified"/>: If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2) and is
    /// compared weakly, as for GET; HTTP dates have whole seconds.</summary>
    public static bool NotModified(HttpRequest request, EntityTagHeaderValue etag, DateTimeOffset modified)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(etag);
        var headers = request.GetTypedHeaders();
        var match = headers.IfNoneMatch;
        if (match.Count > 0) return match.Any(m => m.Equals(EntityTagHeaderValue.Any) || m.Compare(etag, useStrongComparison: false));
        return headers.IfModifiedSince is { } since && modified.ToUnixTimeSeconds() <= since.ToUnixTimeSeconds();
    }
}
