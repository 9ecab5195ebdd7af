using Microsoft.Extensions.Configuration;

namespace Backend.Http.WebSockets;

/// <summary>WebSockets: <c>-ws-port</c>, <c>-ws-bind</c>, <c>-ws-max-message</c>, <c>-ws-max-inflight</c>,
/// <c>-ws-idle-timeout</c>, <c>-ws-max-connections</c>. Bound from the parameter registry.</summary>
internal sealed class WebSocketServerOptions
{
    /// <summary>Port of the WebSocket upgrade; 0 is the HTTP port (the upgrade is served on the main port).</summary>
    [ConfigurationKeyName("ws-port")]
    public int Port { get; set; }

    /// <summary>Address of a separate WebSocket port; empty is the HTTP bind.</summary>
    [ConfigurationKeyName("ws-bind")]
    public string? Bind { get; set; }

    /// <summary>Largest message in bytes; a bigger one closes the socket with 1009.</summary>
    [ConfigurationKeyName("ws-max-message")]
    public int MaxMessage { get; set; } = 65_536;

    /// <summary>Most requests of one socket in flight; one more is answered 429.</summary>
    [ConfigurationKeyName("ws-max-inflight")]
    public int MaxInflight { get; set; } = 16;

    /// <summary>Milliseconds without a message (and nothing in flight) after which the server closes the socket with
    /// 1000; 0 never.</summary>
    [ConfigurationKeyName("ws-idle-timeout")]
    public long IdleTimeoutMs { get; set; } = 300_000;

    /// <summary>Most sockets open at once in this process; an upgrade beyond it is answered 503; 0 is no limit.</summary>
    [ConfigurationKeyName("ws-max-connections")]
    public long MaxConnections { get; set; }
}
