using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Backend.Configuration;
using Backend.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Backend.Runtime;

/// <summary>One worker behind the reverse proxy: its loopback port, the requests it has in hand, and the client that
/// holds the proxy's pooled connections to it: when the worker leaves the rotation (a rolling restart) and its last
/// request is done, the client is disposed, which closes those connections, so the draining worker is not kept
/// waiting for idle keep-alive connections until -server-drain-time.</summary>
internal sealed class ProxyDestination(int port, Func<HttpMessageInvoker>? createClient = null)
{
    private readonly Lazy<HttpMessageInvoker> _client = new(createClient ?? ReverseProxy.CreateClient);
    private int _retired;
    private int _disposed;

    public int Port { get; } = port;

    public string Prefix { get; } = $"http://127.0.0.1:{port}/";

    public HttpMessageInvoker Client => _client.Value;

    /// <summary>Requests forwarded to it and not finished (the balancing picks the least busy).</summary>
    public int InFlight;

    /// <summary>A connection to it was refused: skipped until this time (Stopwatch ticks), unless every worker is.</summary>
    public long DownUntil;

    public bool Retired => Volatile.Read(ref _retired) != 0;

    /// <summary>Takes a request; false once it left the rotation.</summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref InFlight);
        if (!Retired) return true;
        Exit();
        return false;
    }

    public void Exit()
    {
        if (Interlocked.Decrement(ref InFlight) == 0 && Retired) CloseConnections();
    }

    /// <summary>Out of the rotation: its connections close once its last request is done.</summary>
    public void Retire()
    {
        Interlocked.Exchange(ref _retired, 1);
        if (Volatile.Read(ref InFlight) == 0) CloseConnections();
    }

    private void CloseConnections()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _client.IsValueCreated) _client.Value.Dispose();
    }
}

/// <summary>The workers that take new requests, as an immutable snapshot swapped whole: a rolling restart puts a
/// replacement in and takes the old worker out before it drains, so no new request reaches a worker that stops.</summary>
internal sealed class ProxyRotation
{
    private static readonly long DownTicks = Stopwatch.Frequency; // 1 s
    private readonly Func<HttpMessageInvoker>? _createClient;
    private ProxyDestination[] _current = [];
    private int _next;

    public ProxyRotation(Func<HttpMessageInvoker>? createClient = null) => _createClient = createClient;

    public IReadOnlyList<ProxyDestination> Current => Volatile.Read(ref _current);

    /// <summary>Sets the serving ports; a port already in the rotation keeps its counters and connections, a port that
    /// left it is retired (<see cref="ProxyDestination.Retire"/>).</summary>
    public void Set(IEnumerable<int> ports)
    {
        lock (this)
        {
            var old = Volatile.Read(ref _current);
            var next = ports.Distinct().Order().Select(p => old.FirstOrDefault(d => d.Port == p) ?? new ProxyDestination(p, _createClient)).ToArray();
            Volatile.Write(ref _current, next);
            foreach (var gone in old.Where(d => !next.Contains(d))) gone.Retire();
        }
    }

    /// <summary>The least busy worker (round robin among equals), skipping ones marked down unless all are; null when
    /// none serves.</summary>
    public ProxyDestination? Pick()
    {
        var all = Volatile.Read(ref _current);
        if (all.Length == 0) return null;
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)all.Length);
        var now = Stopwatch.GetTimestamp();
        ProxyDestination? best = null;
        ProxyDestination? fallback = null;
        for (var i = 0; i < all.Length; i++)
        {
            var d = all[(start + i) % all.Length];
            if (Volatile.Read(ref d.DownUntil) > now)
            {
                fallback ??= d;
                continue;
            }
            if (best is null || Volatile.Read(ref d.InFlight) < Volatile.Read(ref best.InFlight)) best = d;
        }
        return best ?? fallback;
    }

    public static void MarkDown(ProxyDestination d) => Volatile.Write(ref d.DownUntil, Stopwatch.GetTimestamp() + DownTicks);
}

/// <summary>The Web server parent's reverse proxy (<c>-proxy-port</c>, the reference's proxy mode): Kestrel listens on
/// <c>-port</c> (and <c>-ssl-port</c>, <c>-ws-port</c>) in the parent, and YARP's <see cref="IHttpForwarder"/> (the
/// forwarding core without routing or config: the parent has one rule) passes each request to the least busy worker on
/// its loopback port, WebSocket upgrades included. HTTPS ends here; the worker learns the client's address, scheme and
/// port from <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Port</c>, which the proxy sets (never passes on from the
/// client). A request without a body that finds a worker gone (connection refused) is tried on another.</summary>
internal sealed class ReverseProxy : IAsyncDisposable
{
    /// <summary>Long polls and WebSockets may be idle this long between reads; the workers enforce their own limits.</summary>
    private static readonly TimeSpan ActivityTimeout = TimeSpan.FromMinutes(30);

    private readonly WebApplication _web;
    private readonly ProxyRotation _rotation;

    private ReverseProxy(WebApplication web, ProxyRotation rotation)
    {
        _web = web;
        _rotation = rotation;
    }

    public IReadOnlyList<string> Urls { get; private init; } = [];

    /// <summary>The workers' ports: <c>-proxy-port</c> up, one per worker and one spare for a rolling restart's
    /// replacement. Checked against the public ports and the port range.</summary>
    public static int[] WorkerPorts(BackendConfig config, int workers)
    {
        ArgumentNullException.ThrowIfNull(config);
        var first = config.GetInt("proxy-port");
        var name = config.GivenName("proxy-port");
        if (first + workers > 65535)
            throw new ConfigException($"invalid value for -{name}: {first}: the {workers} workers and a spare need ports {first}-{first + workers}, past 65535");
        var ports = Enumerable.Range(first, workers + 1).ToArray();
        foreach (var (param, value) in new[] { ("port", config.GetInt("port")), ("ssl-port", config.GetInt("ssl-port")), ("ws-port", config.GetInt("ws-port")) })
        {
            if (value != 0 && ports.Contains(value))
                throw new ConfigException($"invalid value for -{name}: {first}: the workers' ports {first}-{first + workers} include -{config.GivenName(param)} {value}");
        }
        return ports;
    }

    /// <summary>Checks that nothing listens on the workers' loopback ports, so a taken port is one clear error at
    /// start, not a worker that crashes and is restarted forever.</summary>
    public static void CheckFree(BackendConfig config, IEnumerable<int> ports)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var port in ports)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            }
            catch (SocketException ex)
            {
                throw new IOException($"-{config.GivenName("proxy-port")}: the worker port 127.0.0.1:{port} is not free: {ex.Message}", ex);
            }
        }
    }

    /// <summary>Starts listening on the public ports; requests go to <paramref name="rotation"/>'s workers.</summary>
    public static async Task<ReverseProxy> StartAsync(BackendConfig config, ILoggerFactory loggerFactory, ProxyRotation rotation, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        var server = config.Configuration.Get<ServerOptions>() ?? new ServerOptions();
        var https = config.Configuration.Get<HttpsOptions>() ?? new HttpsOptions();
        var ws = config.Configuration.Get<Http.WebSockets.WebSocketServerOptions>() ?? new Http.WebSockets.WebSocketServerOptions();
        var certificate = https.Port != 0 ? https.LoadCertificate(config.GivenName) : null;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        // Its logs go where the parent's go; YARP's and Kestrel's per-request lines are not wanted there.
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ParentLoggerProvider(loggerFactory));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        builder.Services.AddHttpForwarder();
        ConnectionLimits.ApplyBacklog(builder.WebHost, server);
        var urls = new List<string>();
        builder.WebHost.ConfigureKestrel(o =>
        {
            o.AddServerHeader = false;
            // The same limits as the workers: a body or header too large is refused before it is forwarded.
            o.Limits.MaxRequestBodySize = server.UploadLimit;
            o.Limits.MaxRequestLineSize = Http.RequestLimits.KestrelFactor * Http.RequestLimits.MaxUrlLength;
            o.Limits.MaxRequestHeadersTotalSize = Http.RequestLimits.KestrelFactor * Http.RequestLimits.MaxHeadersSize;
            // The connection limits are enforced here, where the clients connect.
            ConnectionLimits.Apply(o.Limits, server);
            BackendApplicationBuilder.Listen(o, server.Bind, server.Port, config.GivenName("bind"), null);
            urls.Add($"http://{server.Bind}:{server.Port}");
            if (ws.Port != 0 && ws.Port != server.Port)
            {
                var bind = string.IsNullOrEmpty(ws.Bind) ? server.Bind : ws.Bind;
                BackendApplicationBuilder.Listen(o, bind, ws.Port, config.GivenName(string.IsNullOrEmpty(ws.Bind) ? "bind" : "ws-bind"), null);
                urls.Add($"ws://{bind}:{ws.Port}");
            }
            if (certificate is not null)
            {
                var bind = string.IsNullOrEmpty(https.Bind) ? server.Bind : https.Bind;
                BackendApplicationBuilder.Listen(o, bind, https.Port, config.GivenName(string.IsNullOrEmpty(https.Bind) ? "bind" : "ssl-bind"), l => l.UseHttps(certificate));
                urls.Add($"https://{bind}:{https.Port}");
            }
        });
        var web = builder.Build();
        var handler = new ProxyHandler(web.Services.GetRequiredService<IHttpForwarder>(), rotation, loggerFactory.CreateLogger("Backend.Proxy"));
        web.Run(handler.HandleAsync);
        try
        {
            await web.StartAsync(ct);
        }
        catch
        {
            await web.DisposeAsync();
            throw;
        }
        return new ReverseProxy(web, rotation) { Urls = urls };
    }

    /// <summary>The client of one worker (it pools connections to its port); as YARP advises for a forwarder: no
    /// proxy, no redirects, no decompression, no cookies, no tracing headers of its own.</summary>
    public static HttpMessageInvoker CreateClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ActivityHeadersPropagator = null,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
    });

    /// <summary>Stops taking connections and waits up to <paramref name="grace"/> for the requests in hand.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _web.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // the rest are cut
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        _rotation.Set([]);
    }

    /// <summary>The proxy's loggers are the parent's (console, syslog or the daemon's log file).</summary>
    private sealed class ParentLoggerProvider(ILoggerFactory factory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);

        public void Dispose()
        {
            // the factory is the parent's
        }
    }

    private sealed class ProxyHandler(IHttpForwarder forwarder, ProxyRotation rotation, ILogger logger)
    {
        private static readonly ForwarderRequestConfig RequestConfig = new()
        {
            ActivityTimeout = ActivityTimeout,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        public async Task HandleAsync(HttpContext context)
        {
            var request = context.Request;
            var retryable = request.ContentLength is null or 0 && request.Headers.TransferEncoding.Count == 0;
            for (var attempt = 0; ; attempt++)
            {
                var destination = rotation.Pick();
                if (destination is null)
                {
                    await Http.JsonReply.Error(context, 503, "No worker is serving, try again");
                    return;
                }
                if (!destination.TryEnter())
                {
                    // It left the rotation between the pick and now: pick again.
                    if (attempt < 8) continue;
                    await Http.JsonReply.Error(context, 503, "No worker is serving, try again");
                    return;
                }
                ForwarderError error;
                try
                {
                    error = await forwarder.SendAsync(context, destination.Prefix, destination.Client, RequestConfig, ForwardedHeaders.Instance);
                }
                finally
                {
                    destination.Exit();
                }
                if (error == ForwarderError.None) return;
                var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
                if (error == ForwarderError.Request && IsRefused(exception) && !context.Response.HasStarted)
                {
                    // The worker is gone (killed, or exiting): nothing reached it.
                    ProxyRotation.MarkDown(destination);
                    if (retryable && attempt < rotation.Current.Count)
                    {
                        context.Response.Clear();
                        continue;
                    }
                }
                if (logger.IsEnabled(LogLevel.Debug))
                    logger.LogDebug("forwarding {Method} {Path} to 127.0.0.1:{Port}: {Error} {Message}", request.Method, request.Path, destination.Port, error, exception?.Message);
                if (!context.Response.HasStarted && error is not (ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled))
                {
                    context.Response.Clear();
                    await Http.JsonReply.Error(context, 502, "The worker did not answer, try again");
                }
                return;
            }
        }

        private static bool IsRefused(Exception? ex)
        {
            for (; ex is not null; ex = ex.InnerException)
            {
                if (ex is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.ConnectionReset }) return true;
            }
            return false;
        }
    }

    /// <summary>Copies the request as it came (the Host header too: signatures cover it) and sets the
    /// <c>X-Forwarded-*</c> headers from the connection, replacing any the client sent.</summary>
    private sealed class ForwardedHeaders : HttpTransformer
    {
        public static readonly ForwardedHeaders Instance = new();

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            var headers = proxyRequest.Headers;
            headers.Host = httpContext.Request.Host.Value;
            headers.Remove(ProxiedRequest.ForwardedFor);
            headers.Remove(ProxiedRequest.ForwardedProto);
            headers.Remove(ProxiedRequest.ForwardedPort);
            headers.Remove("X-Forwarded-Host");
            headers.Remove("X-Forwarded-Prefix");
            var connection = httpContext.Connection;
            if (connection.RemoteIpAddress is { } ip) headers.TryAddWithoutValidation(ProxiedRequest.ForwardedFor, ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4().ToString() : ip.ToString());
            headers.TryAddWithoutValidation(ProxiedRequest.ForwardedProto, httpContext.Request.Scheme);
            headers.TryAddWithoutValidation(ProxiedRequest.ForwardedPort, connection.LocalPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}

/// <summary>A worker behind the parent's proxy takes the client's address, scheme and port from the headers the proxy
/// set: the connection itself is the parent's, on loopback. Only a loopback peer is believed (the worker listens on
/// 127.0.0.1 only); the parent always replaces these headers, so a client cannot set them. Not ASP.NET Core's
/// ForwardedHeadersMiddleware: it has no port, which the separate <c>-ws-port</c> needs, and the parent sets one value
/// of each, never a chain.</summary>
internal sealed class ProxiedRequest(RequestDelegate next)
{
    public const string ForwardedFor = "X-Forwarded-For";
    public const string ForwardedProto = "X-Forwarded-Proto";
    public const string ForwardedPort = "X-Forwarded-Port";

    public Task InvokeAsync(HttpContext context)
    {
        var connection = context.Connection;
        if (connection.RemoteIpAddress is { } peer && IPAddress.IsLoopback(peer))
        {
            var headers = context.Request.Headers;
            if (IPAddress.TryParse(headers[ForwardedFor].ToString(), out var client)) connection.RemoteIpAddress = client;
            var scheme = headers[ForwardedProto].ToString();
            if (scheme is "http" or "https") context.Request.Scheme = scheme;
            if (int.TryParse(headers[ForwardedPort].ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
                connection.LocalPort = port;
        }
        return next(context);
    }
}
