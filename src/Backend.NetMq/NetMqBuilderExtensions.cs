using Backend.Configuration;
using Backend.NetMq;
using Backend.PubSub;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backend.Hosting;

/// <summary>Registers the brokerless pub/sub on the builder.</summary>
public static class NetMqBuilderExtensions
{
    /// <summary>Adds the <c>zmq</c> pub/sub kind (<c>-msg-type zmq</c>, also accepted as <c>nanomsg</c>, the reference's
    /// name for the same role): nodes publish to each other directly, no server runs. Each node listens on
    /// <c>-msg-bind</c>:<c>-msg-port</c> and receives from every peer in <c>-msg-host</c>.</summary>
    public static BackendApplicationBuilder AddNetMq(this BackendApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        const string S = "msg";
        builder.Parameters.Add(new("msg-host", ConfigType.List, null,
            "Peers of the zmq pub/sub (-msg-type zmq): host or host:port each (a bare host uses -msg-port); this node receives every peer's messages, and may list itself", S) { Dns = true });
        builder.Parameters.Add(new("msg-port", ConfigType.Int, NetMqOptions.DefaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "Port the zmq pub/sub publishes on (peers connect to it); 0 = any free port", S) { Min = 0, Max = 65535 });
        builder.Parameters.Add(new("msg-bind", ConfigType.String, "127.0.0.1",
            "Address the zmq pub/sub listens on: an IP address, or * for every interface (needed for peers on other hosts)", S));
        builder.AddPubSub("zmq", Create);
        builder.AddPubSub("nanomsg", Create);
        // A node must listen before its first message, or peers would miss what it publishes while they connect.
        builder.Services.AddHostedService<NetMqStartup>();
        return builder;
    }

    private static NetMqPubSub Create(IServiceProvider sp) =>
        new(Options(sp.GetRequiredService<BackendConfig>()), sp.GetRequiredService<ILogger<NetMqPubSub>>());

    /// <summary>The node's options from the parameters; a <see cref="ConfigException"/> naming the bad one.</summary>
    internal static NetMqOptions Options(BackendConfig config) =>
        NetMqOptions.From(config.GetList("msg-host"), config.GetInt("msg-port"), config.Get("msg-bind"));

    /// <summary>Creates the pub/sub when the host starts, when it is this kind, so the node listens from the start and
    /// a bad parameter stops start-up.</summary>
    private sealed class NetMqStartup(IServiceProvider services, BackendConfig config) : Microsoft.Extensions.Hosting.IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (config.Get("msg-type") is "zmq" or "nanomsg") services.GetRequiredService<IPubSub>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
