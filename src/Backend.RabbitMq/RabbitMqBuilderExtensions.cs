using Backend.Configuration;
using Backend.RabbitMq;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backend.Hosting;

/// <summary>Registers the RabbitMQ pub/sub on the builder.</summary>
public static class RabbitMqBuilderExtensions
{
    /// <summary>Adds the <c>amqp</c> pub/sub kind (used with <c>-msg-type amqp</c>, on the broker of the reference's
    /// <c>-amqp-host</c> and <c>-amqp-options</c>).</summary>
    public static BackendApplicationBuilder AddRabbitMq(this BackendApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        const string S = "msg";
        builder.Parameters.Add(new("amqp-host", ConfigType.String, "127.0.0.1:5672", "RabbitMQ broker of the amqp pub/sub (-msg-type amqp): host or host:port", S));
        builder.Parameters.Add(new("amqp-options", ConfigType.String, null,
            "Options of the amqp pub/sub as a JSON object: user, password, vhost (default guest, guest, /), exchange (default bk.pubsub), " +
            "ssl (bool), timeout (connect ms, default 5000), recovery (ms between reconnects, default 2000), heartbeat (s, default 10)", S));
        // Read when the pub/sub is first needed (as the redis cache does): parameters may still be set after this call.
        return builder.AddPubSub("amqp", sp =>
        {
            var config = sp.GetRequiredService<BackendConfig>();
            return new RabbitMqPubSub(RabbitMqSettings.Parse(config.Get("amqp-host"), config.Get("amqp-options")),
                sp.GetRequiredService<ILogger<RabbitMqPubSub>>());
        });
    }
}
