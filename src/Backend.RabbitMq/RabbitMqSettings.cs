using System.Globalization;
using System.Text.Json;
using Backend.Configuration;

namespace Backend.RabbitMq;

/// <summary>Where and how the <c>amqp</c> pub/sub connects: <c>-amqp-host</c> and <c>-amqp-options</c>.</summary>
internal sealed record RabbitMqSettings
{
    public const int DefaultPort = 5672;

    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = DefaultPort;
    public string User { get; init; } = "guest";
    public string Password { get; init; } = "guest";
    public string VirtualHost { get; init; } = "/";
    public string Exchange { get; init; } = "bk.pubsub";
    public bool Ssl { get; init; }

    /// <summary>Connecting (TCP and the AMQP handshake) may take this long before the call fails.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause between reconnection attempts while the broker is away; also how long a failed first connect
    /// makes later calls fail at once rather than try again (so a dead broker costs callers nothing).</summary>
    public TimeSpan RecoveryInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>AMQP heartbeat: a broker that vanishes without closing the socket is noticed within about twice this.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The settings of <c>-amqp-host</c> (host, host:port or [v6]:port) and <c>-amqp-options</c> (a JSON object);
    /// a <see cref="ConfigException"/> for anything else.</summary>
    public static RabbitMqSettings Parse(string? hostPort, string? json)
    {
        var (host, port) = ParseHost(string.IsNullOrWhiteSpace(hostPort) ? "127.0.0.1" : hostPort.Trim());
        var s = new RabbitMqSettings { Host = host, Port = port };
        foreach (var p in ConfigJson.Properties("amqp-options", json))
        {
            s = (p.Name, p.Value.ValueKind) switch
            {
                ("user", JsonValueKind.String) => s with { User = p.Value.GetString()! },
                ("password", JsonValueKind.String) => s with { Password = p.Value.GetString()! },
                ("vhost", JsonValueKind.String) => s with { VirtualHost = p.Value.GetString()! },
                ("exchange", JsonValueKind.String) when p.Value.GetString() is { Length: > 0 and <= 255 } x => s with { Exchange = x },
                ("ssl", JsonValueKind.True or JsonValueKind.False) => s with { Ssl = p.Value.GetBoolean() },
                ("timeout", JsonValueKind.Number) when p.Value.TryGetInt32(out var ms) && ms >= 10 => s with { ConnectTimeout = TimeSpan.FromMilliseconds(ms) },
                ("recovery", JsonValueKind.Number) when p.Value.TryGetInt32(out var ms) && ms >= 10 => s with { RecoveryInterval = TimeSpan.FromMilliseconds(ms) },
                ("heartbeat", JsonValueKind.Number) when p.Value.TryGetInt32(out var sec) && sec >= 0 => s with { Heartbeat = TimeSpan.FromSeconds(sec) },
                _ => throw new ConfigException(string.Create(CultureInfo.InvariantCulture,
                    $"invalid value for -amqp-options: unknown or mistyped option \"{p.Name}\" (user, password, vhost, exchange, ssl, timeout, recovery, heartbeat)")),
            };
        }
        return s;
    }

    private static (string Host, int Port) ParseHost(string value)
    {
        string host;
        string? port = null;
        if (value.StartsWith('['))
        {
            var end = value.IndexOf(']', StringComparison.Ordinal);
            if (end < 2) throw Bad(value);
            host = value[1..end];
            if (end + 1 < value.Length)
            {
                if (value[end + 1] != ':') throw Bad(value);
                port = value[(end + 2)..];
            }
        }
        else
        {
            var colon = value.LastIndexOf(':');
            // More than one colon and no brackets: a bare IPv6 address without a port.
            if (colon >= 0 && value.IndexOf(':', StringComparison.Ordinal) == colon)
            {
                host = value[..colon];
                port = value[(colon + 1)..];
            }
            else host = value;
        }
        if (host.Length == 0 || host.Any(char.IsWhiteSpace)) throw Bad(value);
        if (port is null) return (host, DefaultPort);
        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 65535 ? (host, n) : throw Bad(value);
    }

    private static ConfigException Bad(string value) =>
        new($"invalid value for -amqp-host: \"{value}\" is not host, host:port or [ipv6]:port");
}
