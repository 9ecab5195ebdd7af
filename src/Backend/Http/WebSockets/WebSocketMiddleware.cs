using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backend.Http.WebSockets;

/// <summary>WebSockets on the same routes as HTTP, as the reference served them: each text message a client sends is
/// a request URL (path and query, signed in the query like a GET), run through the rest of the pipeline (error
/// handler, access gate, static files, routing, endpoint) as a GET with the upgrade request's headers (so a
/// <c>bk_session</c> cookie applies to every message); each reply is one message with the body an HTTP GET would get,
/// errors included (<c>{"status":401,"message":...}</c>). Replies come in the order of the requests; up to
/// <c>-ws-max-inflight</c> requests of a socket run at once, one more is answered 429. A message over
/// <c>-ws-max-message</c> bytes closes the socket with 1009, a binary one with 1003, invalid UTF-8 with 1007, no message
/// for <c>-ws-idle-timeout</c> ms (nothing in flight) with 1000, the server stopping with 1001. With
/// <c>-ws-max-connections</c>, an upgrade when that many sockets are open is answered 503 in the JSON shape (counted
/// here, not by Kestrel's upgraded-connection limit, whose refusal is an exception and an empty 500).</summary>
internal sealed partial class WebSocketMiddleware(
    RequestDelegate next,
    IHttpContextFactory contexts,
    IOptions<WebSocketServerOptions> options,
    IOptions<WebSocketPorts> ports,
    IWebSocketAuthenticator authenticator,
    IHostApplicationLifetime lifetime,
    ServerDrain drain,
    TimeProvider time,
    ILogger<WebSocketMiddleware> logger)
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(250);
    private const string SignatureName = "bk-signature";
    private const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;

    private readonly WebSocketServerOptions _options = options.Value;
    private readonly int _port = ports.Value.WebSocketPort;
    private readonly bool _separate = ports.Value.Separate;
    private int _open;

    public Task InvokeAsync(HttpContext context)
    {
        var onWsPort = !_separate || context.Connection.LocalPort == _port;
        if (!onWsPort) return next(context);
        if (context.WebSockets.IsWebSocketRequest) return _options.MaxConnections > 0 ? Counted(context) : Serve(context);
        // A separate WebSocket port serves upgrades only.
        return _separate ? JsonReply.Error(context, 426, "WebSocket upgrade required") : next(context);
    }

    private async Task Counted(HttpContext upgrade)
    {
        if (Interlocked.Increment(ref _open) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _open);
            await JsonReply.Error(upgrade, 503, $"Too many WebSockets: at most {_options.MaxConnections} open");
            return;
        }
        try
        {
            await Serve(upgrade);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    private async Task Serve(HttpContext upgrade)
    {
        // A signed upgrade is checked once, like any request, and refused with the same JSON error; its account is then
        // the socket's for every message without a signature of its own.
        WebSocketIdentity? identity = null;
        if (!string.IsNullOrEmpty(upgrade.Request.Headers[SignatureName]) || !string.IsNullOrEmpty(upgrade.Request.Query[SignatureName]))
        {
            int status;
            string text;
            WebSocketIdentity? id;
            try
            {
                (status, text, id) = await authenticator.AuthenticateUpgradeAsync(upgrade);
            }
            catch (Data.DbException ex)
            {
                // This runs before the error handler: the same answers it gives (503 when the database is down).
                status = DbErrorStatus.Of(ex.Kind);
                (text, id) = (status < 500 || ex.Kind == Data.DbErrorKind.Unavailable ? ex.Message : "Database error", null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFault(logger, ex);
                (status, text, id) = (500, "Internal error", null);
            }
            if (id is null)
            {
                await JsonReply.Error(upgrade, status, text);
                return;
            }
            identity = id;
        }
        using var socket = await upgrade.WebSockets.AcceptWebSocketAsync();
        var connection = new WebSocketConnection();
        var inflight = 0;
        ITimer? idle = null;
        idle = _options.IdleTimeoutMs > 0
            ? time.CreateTimer(_ => OnIdle(), null, TimeSpan.FromMilliseconds(_options.IdleTimeoutMs), Timeout.InfiniteTimeSpan)
            : null;
        using var stopping = lifetime.ApplicationStopping.Register(() => connection.Close(WebSocketCloseStatus.EndpointUnavailable, "server stopping"));
        // A worker draining for a restart: 1012 (service restart) tells the client to reconnect, which reaches another worker.
        using var draining = drain.Token.Register(() => connection.Close(ServiceRestart, "server restarting"));
        var writer = Write(socket, connection);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(_options.MaxMessage, 16 * 1024) + 1);
        var message = new ArrayBufferWriter<byte>();
        var broken = false;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), connection.Ended.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    connection.Close(WebSocketCloseStatus.NormalClosure, "");
                    break;
                }
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    connection.Close(WebSocketCloseStatus.InvalidMessageType, "binary messages are not accepted");
                    break;
                }
                if (message.WrittenCount + result.Count > _options.MaxMessage)
                {
                    connection.Close(WebSocketCloseStatus.MessageTooBig, $"a message is at most {_options.MaxMessage} bytes");
                    break;
                }
                message.Write(buffer.AsSpan(0, result.Count));
                if (!result.EndOfMessage) continue;
                string url;
                try
                {
                    url = StrictUtf8.GetString(message.WrittenSpan);
                }
                catch (DecoderFallbackException)
                {
                    connection.Close(WebSocketCloseStatus.InvalidPayloadData, "a message must be UTF-8 text");
                    break;
                }
                message.ResetWrittenCount();
                if (socket.State != WebSocketState.Open) continue; // closing: the client's close frame is awaited
                idle?.Change(TimeSpan.FromMilliseconds(_options.IdleTimeoutMs), Timeout.InfiniteTimeSpan);
                if (Volatile.Read(ref inflight) >= _options.MaxInflight)
                {
                    connection.Enqueue(Task.FromResult(ErrorFrame(429, $"Too many requests in flight: at most {_options.MaxInflight} per socket")));
                    continue;
                }
                Interlocked.Increment(ref inflight);
                connection.Enqueue(Run(upgrade, connection, identity, url, () =>
                {
                    Interlocked.Decrement(ref inflight);
                    idle?.Change(TimeSpan.FromMilliseconds(_options.IdleTimeoutMs), Timeout.InfiniteTimeSpan);
                }));
            }
        }
        catch (OperationCanceledException)
        {
            // the socket ended
        }
        catch (WebSocketException ex)
        {
            // The client went away, or broke the protocol (the framework already sent the close frame, 1007 for bad UTF-8).
            LogSocketError(logger, ex.WebSocketErrorCode);
            broken = true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (idle is not null) await idle.DisposeAsync();
        }
        // Replies still running are sent, then the close frame; then the client's close is awaited for a while.
        connection.Close(WebSocketCloseStatus.NormalClosure, "");
        await writer;
        await connection.DisposeAsync();
        if (socket.State == WebSocketState.CloseSent)
        {
            using var wait = new CancellationTokenSource(CloseWait, time);
            var drain = new byte[256];
            try
            {
                while (socket.State == WebSocketState.CloseSent) await socket.ReceiveAsync(drain.AsMemory(), wait.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                // gone without its close frame
            }
        }
        if (broken && socket.State != WebSocketState.Closed)
        {
            // The framework sent its close frame (1007) and will read no more: linger a moment so the frame reaches the
            // client before the connection ends, rather than a reset overtaking it.
            await Task.Delay(Linger, time);
        }

        void OnIdle()
        {
            if (Volatile.Read(ref inflight) > 0)
            {
                idle?.Change(TimeSpan.FromMilliseconds(_options.IdleTimeoutMs), Timeout.InfiniteTimeSpan);
                return;
            }
            connection.Close(WebSocketCloseStatus.NormalClosure, "idle timeout");
        }
    }

    // Sends the queued frames in order; the close frame ends it.
    private static async Task Write(WebSocket socket, WebSocketConnection connection)
    {
        try
        {
            await foreach (var pending in connection.Outgoing.ReadAllAsync())
            {
                var frame = await pending;
                if (frame.CloseStatus is { } status)
                {
                    if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                        await socket.CloseOutputAsync(status, frame.Reason, CancellationToken.None);
                    // The reader goes on until the client's close frame, for a while.
                    connection.Ended.CancelAfter(CloseWait);
                    return;
                }
                if (frame.IsEvent) connection.EventSent();
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    await socket.SendAsync(frame.Data, frame.Type, true, CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client went away
        }
        await connection.Ended.CancelAsync();
    }

    // One message: a GET of its URL through the rest of the pipeline, with the upgrade's headers. Never throws.
    private async Task<WebSocketConnection.Frame> Run(HttpContext upgrade, WebSocketConnection connection, WebSocketIdentity? identity, string url, Action done)
    {
        try
        {
            if (url.Length == 0 || url[0] != '/') return ErrorFrame(400, "Invalid request: a message is a URL path starting with /");
            var hash = url.IndexOf('#', StringComparison.Ordinal);
            var target = hash < 0 ? url : url[..hash];
            var q = target.IndexOf('?', StringComparison.Ordinal);
            var rawPath = q < 0 ? target : target[..q];
            var request = new HttpRequestFeature
            {
                Method = HttpMethods.Get,
                Scheme = upgrade.Request.Scheme,
                Protocol = upgrade.Request.Protocol,
                PathBase = upgrade.Request.PathBase,
                Path = PathString.FromUriComponent(rawPath),
                QueryString = q < 0 ? "" : target[q..],
                RawTarget = target,
                // The upgrade's signature was for the upgrade: with an identity it is never sent again.
                Headers = CopyHeaders(upgrade.Request.Headers, identity is not null || HasQuerySignature(target, q)),
            };
            var body = new MemoryStream();
            var features = new FeatureCollection();
            features.Set<IHttpRequestFeature>(request);
            features.Set<IHttpResponseFeature>(new HttpResponseFeature());
            features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
            features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = connection.Ended.Token });
            if (upgrade.Features.Get<IHttpConnectionFeature>() is { } conn) features.Set(conn);
            features.Set(connection);
            if (identity is not null) features.Set(identity);
            var context = contexts.Create(features);
            try
            {
                await next(context);
                var type = context.Response.ContentType;
                var binary = type is not null && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) && !type.StartsWith("text/", StringComparison.OrdinalIgnoreCase);
                return new(body.ToArray(), binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text);
            }
            finally
            {
                contexts.Dispose(context);
            }
        }
        catch (Exception ex)
        {
            // The error handler answers every failure of the pipeline; this is a fault around it.
            LogFault(logger, ex);
            return ErrorFrame(500, "Internal error");
        }
        finally
        {
            done();
        }
    }

    // The upgrade's headers apply to every message, except its bk-signature when the message carries its own, and
    // the upgrade's own framing headers.
    private static HeaderDictionary CopyHeaders(IHeaderDictionary upgrade, bool dropSignature)
    {
        var headers = new HeaderDictionary(upgrade.Count);
        foreach (var (name, value) in upgrade)
        {
            if (name.StartsWith("Sec-WebSocket", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                || (dropSignature && name.Equals("bk-signature", StringComparison.OrdinalIgnoreCase))) continue;
            headers[name] = value;
        }
        return headers;
    }

    private static bool HasQuerySignature(string target, int q) =>
        q >= 0 && (target.Contains("?bk-signature=", StringComparison.OrdinalIgnoreCase) || target.Contains("&bk-signature=", StringComparison.OrdinalIgnoreCase));

    private static WebSocketConnection.Frame ErrorFrame(int status, string message) =>
        new(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(status, message), ErrorContext.Default.ErrorBody), WebSocketMessageType.Text);

    [LoggerMessage(Level = LogLevel.Debug, Message = "websocket ended: {Error}")]
    private static partial void LogSocketError(ILogger logger, WebSocketError error);

    [LoggerMessage(Level = LogLevel.Error, Message = "websocket request failed")]
    private static partial void LogFault(ILogger logger, Exception ex);
}

/// <summary>Where WebSockets are served: the port, and whether it is separate from the HTTP port.</summary>
internal sealed class WebSocketPorts
{
    /// <summary>The port upgrades are accepted on.</summary>
    public int WebSocketPort { get; set; }

    /// <summary>True when it is not the HTTP port (it then serves upgrades only).</summary>
    public bool Separate { get; set; }
}
