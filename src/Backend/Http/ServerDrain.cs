using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace Backend.Http;

/// <summary>How a web worker stops without failing a request: its listening sockets close first (with SO_REUSEPORT the
/// kernel sends new connections to the other workers), every reply from then on carries <c>Connection: close</c> so
/// each keep-alive connection ends cleanly after its next reply, WebSockets are closed with 1012 (service restart) and
/// long polls answer what they have, and once no connection is left (or -server-drain-time has passed) the server
/// stops.</summary>
internal sealed class ServerDrain : IDisposable
{
    private readonly List<Socket> _listeners = [];
    private readonly CancellationTokenSource _draining = new();
    private int _connections;

    /// <summary>True once draining began.</summary>
    public bool Draining => _draining.IsCancellationRequested;

    /// <summary>Fires when draining begins (WebSockets and long polls end on it).</summary>
    public CancellationToken Token => _draining.Token;

    /// <summary>Open client connections.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>A listening socket for Kestrel, SO_REUSEPORT set before bind so every worker binds the same port, kept
    /// to be closed when draining begins.</summary>
    public Socket CreateSharedListenSocket(EndPoint endpoint)
    {
        Socket socket;
        if (endpoint is IPEndPoint ip)
        {
            socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (ip.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.NoDelay = true;
        }
        else
        {
            throw new NotSupportedException($"a shared listening socket needs an IP endpoint, not {endpoint}");
        }
        // SOL_SOCKET = 1, SO_REUSEPORT = 15 on Linux.
        socket.SetRawSocketOption(1, 15, BitConverter.GetBytes(1));
        try
        {
            socket.Bind(endpoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        lock (_listeners) _listeners.Add(socket);
        return socket;
    }

    /// <summary>Counts a connection for the lifetime of <paramref name="connection"/>.</summary>
    public async Task TrackAsync(Func<Task> connection)
    {
        Interlocked.Increment(ref _connections);
        try
        {
            await connection();
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
        }
    }

    /// <summary>Begins draining and waits until no connection is open or <paramref name="limit"/> passed.</summary>
    public async Task DrainAsync(TimeSpan limit, TimeProvider time)
    {
        lock (_listeners)
        {
            // Kestrel's accept loop ends quietly on a disposed socket. Connections still in this socket's accept queue are
            // moved to another worker's socket when net.ipv4.tcp_migrate_req is 1 (docs/operations.md), else reset.
            foreach (var s in _listeners) s.Dispose();
            _listeners.Clear();
        }
        await _draining.CancelAsync();
        var deadline = time.GetUtcNow() + limit;
        while (Connections > 0 && time.GetUtcNow() < deadline) await Task.Delay(TimeSpan.FromMilliseconds(20), time);
    }

    public void Dispose() => _draining.Dispose();
}

/// <summary>While draining, every HTTP/1.x reply says <c>Connection: close</c>. Only in web workers.</summary>
internal sealed class DrainMiddleware(RequestDelegate next, ServerDrain drain)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (drain.Draining && !HttpProtocol.IsHttp2(context.Request.Protocol) && !HttpProtocol.IsHttp3(context.Request.Protocol))
            context.Response.Headers.Connection = "close";
        return next(context);
    }
}
