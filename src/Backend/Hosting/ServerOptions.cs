using Microsoft.Extensions.Configuration;

namespace Backend.Hosting;

/// <summary>The HTTP server: <c>-port</c>, <c>-bind</c>, <c>-api-upload-limit</c>, <c>-web-dir</c>,
/// <c>-api-no-static</c>, <c>-api-disable</c>. Bound from the parameter registry.</summary>
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
}
