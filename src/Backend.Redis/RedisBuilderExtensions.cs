using System.Globalization;
using System.Text.Json;
using Backend.Cache;
using Backend.Configuration;
using Backend.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Backend.Hosting;

/// <summary>Registers the Redis driver and the Redis cache on the builder.</summary>
public static class RedisBuilderExtensions
{
    /// <summary>Adds the <c>redis</c> pool kind (the pool is created when <c>-db-redis-pool</c> is set), the
    /// <c>redis</c> cache kind (<c>-cache-type redis</c>) and the <c>redis</c> pub/sub kind (<c>-msg-type redis</c>),
    /// both on the server of the reference's <c>-redis-host</c>, <c>-redis-port</c> and <c>-redis-options</c>.</summary>
    public static BackendApplicationBuilder AddRedis(this BackendApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        const string S = "cache";
        builder.Parameters.Add(new("redis-host", ConfigType.String, "127.0.0.1", "Redis server of the redis cache (-cache-type redis) and pub/sub (-msg-type redis)", S) { Dns = true });
        builder.Parameters.Add(new("redis-port", ConfigType.Int, "6379", "Port of -redis-host", S) { Min = 1, Max = 65535, Dns = true });
        builder.Parameters.Add(new("redis-options", ConfigType.String, null,
            "Options of the redis cache's connection as a JSON object: password, user, db (number), ssl (bool), timeout (ms, default 1000)", S));
        builder.AddCache("redis", sp =>
        {
            var config = sp.GetRequiredService<BackendConfig>();
            return new RedisCache(CacheOptions(config.Get("redis-host") ?? "127.0.0.1", config.GetInt("redis-port"), config.Get("redis-options")));
        });
        builder.AddPubSub("redis", sp =>
        {
            var config = sp.GetRequiredService<BackendConfig>();
            return new RedisPubSub(CacheOptions(config.Get("redis-host") ?? "127.0.0.1", config.GetInt("redis-port"), config.Get("redis-options")),
                sp.GetRequiredService<ILogger<RedisPubSub>>());
        });
        return builder.AddDbDriver(new RedisDriverFactory());
    }

    /// <summary>The cache's connection options; a <see cref="ConfigException"/> for options that are not a JSON object
    /// of the documented keys.</summary>
    internal static ConfigurationOptions CacheOptions(string host, int port, string? json)
    {
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectRetry = 1,
            BacklogPolicy = BacklogPolicy.FailFast,
            ClientName = "backendcs-cache",
        };
        var timeout = 1000;
        foreach (var p in ConfigJson.Properties("redis-options", json))
        {
            switch (p.Name, p.Value.ValueKind)
            {
                case ("password", JsonValueKind.String): options.Password = p.Value.GetString(); break;
                case ("user", JsonValueKind.String): options.User = p.Value.GetString(); break;
                case ("db", JsonValueKind.Number) when p.Value.TryGetInt32(out var db) && db >= 0: options.DefaultDatabase = db; break;
                case ("ssl", JsonValueKind.True or JsonValueKind.False): options.Ssl = p.Value.GetBoolean(); break;
                case ("timeout", JsonValueKind.Number) when p.Value.TryGetInt32(out var ms) && ms >= 10: timeout = ms; break;
                default:
                    throw new ConfigException(string.Create(CultureInfo.InvariantCulture,
                        $"invalid value for -redis-options: unknown or mistyped option \"{p.Name}\" (password, user, db, ssl, timeout)"));
            }
        }
        // Commands wait at most the timeout (a cache that is slow is worse than none: the caller reads the database);
        // connecting may take longer, since calls fail fast meanwhile and nobody waits on it.
        options.SyncTimeout = options.AsyncTimeout = timeout;
        options.ConnectTimeout = Math.Max(timeout, 5000);
        options.ReconnectRetryPolicy = new LinearRetry(timeout);
        options.EndPoints.Add(host, port);
        return options;
    }
}
