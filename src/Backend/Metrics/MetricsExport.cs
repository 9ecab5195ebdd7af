using System.Net;
using System.Net.Sockets;
using Backend.Configuration;
using Backend.Runtime;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Backend.Metrics;

/// <summary>The Prometheus endpoint's parameters (docs/metrics.md, "Export").</summary>
internal sealed class PrometheusOptions
{
    /// <summary>Port of <c>/metrics</c>; 0: no endpoint. A Web worker N listens on this port + N - 1.</summary>
    [ConfigurationKeyName("prometheus-port")]
    public int Port { get; set; }

    [ConfigurationKeyName("prometheus-bind")]
    public string Bind { get; set; } = "127.0.0.1";

    /// <summary>Meters exported besides <see cref="PrometheusExporter.DefaultMeters"/>.</summary>
    [ConfigurationKeyName("prometheus-meters")]
    public IList<string> Meters { get; set; } = [];
}

/// <summary>The reference's statistics collector parameters: where and how often the statistics are posted.</summary>
internal sealed class CollectOptions
{
    /// <summary>The URL the samples are POSTed to (JSON); empty: none.</summary>
    [ConfigurationKeyName("collect-host")]
    public string Host { get; set; } = "";

    /// <summary>Seconds between two samples (the reference's unit).</summary>
    [ConfigurationKeyName("collect-interval")]
    public double IntervalSeconds { get; set; } = 30;

    /// <summary>Seconds between two posts of the samples taken since the last one.</summary>
    [ConfigurationKeyName("collect-send-interval")]
    public double SendIntervalSeconds { get; set; } = 300;

    public TimeSpan Interval => TimeSpan.FromSeconds(IntervalSeconds);

    /// <summary>Samples per post: the send interval in whole sample intervals, at least 1.</summary>
    public int SamplesPerSend => Math.Max(1, (int)Math.Round(SendIntervalSeconds / IntervalSeconds));
}

/// <summary>Registers the export of the statistics: the Prometheus endpoint (<c>-prometheus-port</c>, in each process
/// that serves HTTP) and the collector posts (<c>-collect-host</c>, by the process whose figures are the machine's: a
/// single server, or the Web server parent merging its workers'). Checks the ports and the address at start.</summary>
internal static class MetricsExport
{
    public static void AddServices(IServiceCollection services, BackendConfig config, RuntimePlan plan)
    {
        AddPrometheus(services, config, plan);
        AddCollect(services, config, plan);
    }

    private static void AddPrometheus(IServiceCollection services, BackendConfig config, RuntimePlan plan)
    {
        var options = config.Configuration.Get<PrometheusOptions>() ?? new PrometheusOptions();
        if (options.Port == 0) return;
        var web = plan.Role is ProcessRole.Server or ProcessRole.Worker;
        var count = web ? WebServerRunner.WorkerCount(config) : 1;
        CheckPorts(config, options.Port, count, web);
        var address = Address(config, options.Bind);
        if (!plan.ServesHttp) return;
        var port = plan.Role == ProcessRole.Worker ? options.Port + WorkerIndex(plan) : options.Port;
        services.AddBackendOptions<PrometheusOptions>(config);
        services.TryAddSingleton(sp => new PrometheusExporter([.. PrometheusExporter.DefaultMeters, .. options.Meters], sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddTransient<IStartupFilter>(sp => new PrometheusStartupFilter(port, sp.GetRequiredService<PrometheusExporter>(), sp.GetRequiredService<Http.ServerDrain>()));
        services.Configure<KestrelServerOptions>(o => o.Listen(address, port));
        if (plan.Role == ProcessRole.Worker)
        {
            // A replacement worker binds its port while the one it replaces still listens (a rolling restart): the port is
            // shared (SO_REUSEPORT), and the old worker's socket closes when it starts draining (Http/ServerDrain), with or
            // without -proxy-port.
            services.AddOptions<SocketTransportOptions>().PostConfigure<Http.ServerDrain>((o, drain) =>
            {
                var inner = o.CreateBoundListenSocket;
                o.CreateBoundListenSocket = endpoint => endpoint is IPEndPoint ip && ip.Port == port ? drain.CreateSharedListenSocket(endpoint) : inner(endpoint);
            });
        }
    }

    private static void AddCollect(IServiceCollection services, BackendConfig config, RuntimePlan plan)
    {
        var options = config.Configuration.Get<CollectOptions>() ?? new CollectOptions();
        if (options.Host.Length == 0) return;
        if (!Uri.TryCreate(options.Host, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new ConfigException($"invalid value for -{config.GivenName("collect-host")}: \"{options.Host}\" is not an http or https URL");
        if (config.GetBool("api-no-metrics"))
            throw new ConfigException($"-{config.GivenName("collect-host")} posts the statistics that -{config.GivenName("api-no-metrics")} turns off");
        foreach (var (name, seconds) in new[] { ("collect-interval", options.IntervalSeconds), ("collect-send-interval", options.SendIntervalSeconds) })
        {
            if (seconds < 0.1) throw new ConfigException($"invalid value for -{config.GivenName(name)}: {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} is less than 0.1 s");
        }
        // A Web worker's figures are part of the machine's, which its parent posts; the master, monitor and jobs serve no API.
        if (plan.Role is not (ProcessRole.Single or ProcessRole.Server)) return;
        services.AddBackendOptions<CollectOptions>(config);
        services.TryAddSingleton<StatsReporter>();
        // The Web server parent runs no hosted services: WebServerRunner runs the reporter on the merged figures.
        if (plan.Role == ProcessRole.Single) services.AddHostedService<StatsReporterService>();
    }

    /// <summary>0 for Web worker <c>web-1</c>, 1 for <c>web-2</c>...: the slot of <see cref="WebServerRunner"/> in the
    /// child id its supervisor gives (<c>web-2.7</c>: slot web-2, the 7th process started), so a replacement has the
    /// port of the worker it replaces.</summary>
    internal static int WorkerIndex(RuntimePlan plan)
    {
        if (plan.ChildId is not { } id || !id.StartsWith("web-", StringComparison.Ordinal)) return 0;
        var slot = id.AsSpan(4);
        if (slot.IndexOf('.') is >= 0 and var dot) slot = slot[..dot];
        return int.TryParse(slot, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n - 1 : 0;
    }

    /// <summary>The endpoint's ports (one per Web worker) are within range and none is another port of the server.</summary>
    private static void CheckPorts(BackendConfig config, int first, int count, bool web)
    {
        var name = config.GivenName("prometheus-port");
        var last = first + count - 1;
        if (last > 65535) throw new ConfigException($"invalid value for -{name}: {first} + {count} Web workers goes past port 65535");
        var taken = new List<(string Name, int Port)> { ("port", config.GetInt("port")), ("ssl-port", config.GetInt("ssl-port")), ("ws-port", config.GetInt("ws-port")) };
        if (web && config.GetInt("proxy-port") is > 0 and var proxy)
        {
            // The proxied workers' ports: one each and a spare (Runtime/ReverseProxy).
            for (var p = proxy; p <= proxy + count; p++) taken.Add(("proxy-port", p));
        }
        foreach (var (other, port) in taken)
        {
            if (port >= first && port <= last)
            {
                var range = count == 1 ? $"{first}" : $"{first}-{last} (one port per Web worker)";
                throw new ConfigException($"invalid value for -{name}: {range} takes {port} of -{config.GivenName(other)}");
            }
        }
    }

    private static IPAddress Address(BackendConfig config, string bind)
    {
        if (bind is "0.0.0.0" or "*" or "") return IPAddress.Any;
        if (bind == "localhost") return IPAddress.Loopback;
        if (IPAddress.TryParse(bind, out var ip) && ip.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6) return ip;
        throw new ConfigException($"invalid value for -{config.GivenName("prometheus-bind")}: \"{bind}\" is not an IP address");
    }
}
