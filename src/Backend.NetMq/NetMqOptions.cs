using System.Globalization;
using System.Net;
using Backend.Configuration;

namespace Backend.NetMq;

/// <summary>Where a node publishes and whom it listens to: <c>-msg-bind</c>, <c>-msg-port</c>, <c>-msg-host</c>.</summary>
internal sealed class NetMqOptions
{
    /// <summary>The reference's default nanomsg port range started here; any free port will do.</summary>
    public const int DefaultPort = 20198;

    /// <summary>The ZeroMQ endpoint the PUB socket binds: <c>tcp://ADDRESS:PORT</c>, or <c>tcp://*:PORT</c>.</summary>
    public required string BindEndpoint { get; init; }

    /// <summary>The port in <see cref="BindEndpoint"/>; 0 binds any free port.</summary>
    public required int Port { get; init; }

    /// <summary>Peers' PUB endpoints (<c>tcp://HOST:PORT</c>), one SUB socket each; the node itself may be among them.</summary>
    public IReadOnlyList<string> Peers { get; init; } = [];

    /// <summary>How long <c>SubscribeAsync</c> waits for a peer to confirm the subscription before it counts the peer
    /// as silent (a peer that is down must not stall every subscription).</summary>
    public TimeSpan ConfirmTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The options of the parameters; a <see cref="ConfigException"/> naming the parameter for a bad value.
    /// A peer without a port uses <paramref name="port"/>: the reference's nodes all listened on the same
    /// <c>-msg-port</c> and listed bare hosts.</summary>
    public static NetMqOptions From(IEnumerable<string> hosts, int port, string? bind)
    {
        if (port is < 0 or > 65535)
            throw new ConfigException(string.Create(CultureInfo.InvariantCulture, $"invalid value for -msg-port: {port} is not a port (0-65535, 0 = any free port)"));
        bind = string.IsNullOrWhiteSpace(bind) ? "127.0.0.1" : bind.Trim();
        string address;
        if (bind is "*" or "0.0.0.0") address = "*";
        else if (bind == "localhost") address = "127.0.0.1";
        else if (IPAddress.TryParse(bind, out var ip)) address = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
        else throw new ConfigException($"invalid value for -msg-bind: \"{bind}\" is not an IP address (or * for every interface)");

        var peers = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in hosts)
        {
            var entry = raw.Trim();
            if (entry.Length == 0) continue;
            var (host, peerPort) = SplitHost(entry, port);
            var endpoint = string.Create(CultureInfo.InvariantCulture, $"tcp://{host}:{peerPort}");
            // The same peer twice would be two SUB sockets on one publisher: every message delivered twice.
            if (!seen.Add(endpoint))
                throw new ConfigException($"invalid value for -msg-host: \"{entry}\" is listed twice");
            peers.Add(endpoint);
        }
        return new NetMqOptions { BindEndpoint = string.Create(CultureInfo.InvariantCulture, $"tcp://{address}:{port}"), Port = port, Peers = peers };
    }

    private static (string Host, int Port) SplitHost(string entry, int defaultPort)
    {
        string host;
        string? portText = null;
        if (entry.StartsWith('['))
        {
            var close = entry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) throw Bad(entry, "an unclosed [");
            host = entry[..(close + 1)];
            var rest = entry[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':') throw Bad(entry, "text after ]");
                portText = rest[1..];
            }
        }
        else
        {
            var colon = entry.LastIndexOf(':');
            if (colon >= 0 && entry.IndexOf(':', StringComparison.Ordinal) != colon)
                throw Bad(entry, "an IPv6 address must be written in brackets: [::1]:port");
            host = colon >= 0 ? entry[..colon] : entry;
            portText = colon >= 0 ? entry[(colon + 1)..] : null;
        }
        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '?' or '#' or '@'))
            throw Bad(entry, "not a host name or address");
        int p;
        if (portText is null)
        {
            if (defaultPort == 0) throw Bad(entry, "no port, and -msg-port is 0 (any free port), so the peer's port must be given");
            p = defaultPort;
        }
        else if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out p) || p is < 1 or > 65535)
            throw Bad(entry, "the port must be 1-65535");
        return (host, p);
    }

    private static ConfigException Bad(string entry, string why) => new($"invalid value for -msg-host: \"{entry}\": {why}");
}
