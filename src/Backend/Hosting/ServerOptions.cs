using Microsoft.Extensions.Configuration;

namespace Backend.Hosting;

/// <summary>The HTTP server: <c>-port</c>, <c>-bind</c>, <c>-api-upload-limit</c>, <c>-web-dir</c>,
/// <c>-api-no-static</c>, <c>-api-disable</c>, and Kestrel's connection limits (<see cref="ConnectionLimits"/>). Bound
/// from the parameter registry.</summary>
internal sealed class ServerOptions
{
    /// <summary>TCP port.</summary>
    [ConfigurationKeyName("port")]
    public int Port { get; set; } = 8000;

    /// <summary>Address to listen on.</summary>
    [ConfigurationKeyName("bind")]
    public string Bind { get; set; } = "127.0.0.1";

    /// <summary>Largest request body in bytes.</summary>
    [ConfigurationKeyName("api-upload-limit")]
    public long UploadLimit { get; set; } = 1_048_576;

    /// <summary>Extra static files (an absolute path: path parameters are resolved against the home).</summary>
    [ConfigurationKeyName("web-dir")]
    public string? WebDir { get; set; }

    /// <summary>Serve no static files.</summary>
    [ConfigurationKeyName("api-no-static")]
    public bool NoStatic { get; set; }

    /// <summary>Built-in API modules turned off.</summary>
    [ConfigurationKeyName("api-disable")]
    public IList<string> Disable { get; set; } = [];

    /// <summary>Length of the listening sockets' queue of connections not yet accepted.</summary>
    [ConfigurationKeyName("backlog")]
    public int Backlog { get; set; } = 512;

    /// <summary>Milliseconds an idle keep-alive connection is kept open between requests.</summary>
    [ConfigurationKeyName("timeout")]
    public int KeepAliveTimeoutMs { get; set; } = 61_000;

    /// <summary>Milliseconds a client has to send a request's headers.</summary>
    [ConfigurationKeyName("api-headers-timeout")]
    public int HeadersTimeoutMs { get; set; } = 30_000;

    /// <summary>Most open connections; 0 is no limit.</summary>
    [ConfigurationKeyName("api-max-connections")]
    public long MaxConnections { get; set; }

    /// <summary>Slowest accepted request body, bytes a second (after a 5 s grace); 0 is no limit.</summary>
    [ConfigurationKeyName("api-min-body-rate")]
    public long MinBodyRate { get; set; } = 240;

    /// <summary>Slowest accepted reading of a response, bytes a second (after a 5 s grace); 0 is no limit.</summary>
    [ConfigurationKeyName("api-min-response-rate")]
    public long MinResponseRate { get; set; } = 240;
}
