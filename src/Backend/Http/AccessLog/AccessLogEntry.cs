using System.Net;
using Microsoft.Extensions.Primitives;

namespace Backend.Http.AccessLog;

/// <summary>What the request path hands the access log: references to what the request already holds (no string is
/// built for it) and two timestamps; the writer formats it later, off the request path.</summary>
/// <param name="Start">The <see cref="TimeProvider.GetTimestamp"/> when the request reached the server's pipeline.</param>
/// <param name="End">The timestamp when the pipeline was done with it.</param>
/// <param name="Client">The client's address (the real client's behind the reverse proxy of <c>-proxy-port</c>).</param>
/// <param name="Method">The request method.</param>
/// <param name="Target">The request target as sent (path and query, still percent-encoded).</param>
/// <param name="Protocol">HTTP/1.1, HTTP/2, ...</param>
/// <param name="Status">The status sent.</param>
/// <param name="Bytes">The reply's Content-Length, -1 when it set none (a streamed JSON reply).</param>
/// <param name="Referer">The Referer header.</param>
/// <param name="UserAgent">The User-Agent header.</param>
/// <param name="AccountId">The authenticated account's id, null for an anonymous request.</param>
internal readonly record struct AccessLogEntry(
    long Start,
    long End,
    IPAddress? Client,
    string Method,
    string Target,
    string Protocol,
    int Status,
    long Bytes,
    StringValues Referer,
    StringValues UserAgent,
    string? AccountId);
