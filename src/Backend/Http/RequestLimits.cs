using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Backend.Http;

/// <summary>The documented limits on a request's URL and headers, checked by the pipeline so a request over them is
/// answered in the JSON error shape (414, 431). Kestrel itself rejects requests only at twice these sizes
/// (<see cref="KestrelFactor"/>): its own rejections have an empty body, since it answers them before any
/// middleware runs, so they are kept for what no client should send.</summary>
internal static class RequestLimits
{
    /// <summary>Longest URL (path and query, as sent) in bytes: 64 KiB. The reference lets clients put small images
    /// base64-encoded in the query (<c>/message/add?icon=...</c>).</summary>
    public const int MaxUrlLength = 64 * 1024;

    /// <summary>Largest total size of the request headers in bytes (names, values and separators): 96 KiB (node
    /// accepted 80 KB).</summary>
    public const int MaxHeadersSize = 96 * 1024;

    /// <summary>Kestrel's own limits are this many times the documented ones.</summary>
    public const int KestrelFactor = 2;

    /// <summary>The rejection of a request over a limit, or null.</summary>
    internal static (int Status, string Message)? Check(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (target is { Length: > MaxUrlLength }) return (414, $"URI too long: at most {MaxUrlLength} bytes");
        var size = 0;
        foreach (var (name, values) in context.Request.Headers)
        {
            size += name.Length + 4;
            foreach (var v in values) size += v?.Length ?? 0;
        }
        if (size > MaxHeadersSize) return (431, $"Request headers too large: at most {MaxHeadersSize} bytes");
        return null;
    }
}
