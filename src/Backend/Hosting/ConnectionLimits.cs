using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Backend.Hosting;

/// <summary>The connection limits (docs/operations.md, "Limits") on Kestrel, where clients connect: the process that
/// serves, a Web worker sharing the port, or the parent's reverse proxy with <c>-proxy-port</c> (its workers then
/// keep Kestrel's defaults: their clients are the proxy's pooled connections, and the proxy enforces these).</summary>
internal static class ConnectionLimits
{
    /// <summary>The grace period of the minimum data rates (Kestrel's default).</summary>
    public static readonly TimeSpan RateGrace = TimeSpan.FromSeconds(5);

    /// <summary>Sets the limits of <paramref name="server"/> on <paramref name="limits"/>.</summary>
    public static void Apply(KestrelServerLimits limits, ServerOptions server)
    {
        limits.MaxConcurrentConnections = server.MaxConnections > 0 ? server.MaxConnections : null;
        limits.KeepAliveTimeout = TimeSpan.FromMilliseconds(server.KeepAliveTimeoutMs);
        limits.RequestHeadersTimeout = TimeSpan.FromMilliseconds(server.HeadersTimeoutMs);
        limits.MinRequestBodyDataRate = server.MinBodyRate > 0 ? new MinDataRate(server.MinBodyRate, RateGrace) : null;
        limits.MinResponseDataRate = server.MinResponseRate > 0 ? new MinDataRate(server.MinResponseRate, RateGrace) : null;
    }

    /// <summary>The listening sockets' backlog (<c>-backlog</c>).</summary>
    public static void ApplyBacklog(IWebHostBuilder web, ServerOptions server) => web.UseSockets(o => o.Backlog = server.Backlog);
}
