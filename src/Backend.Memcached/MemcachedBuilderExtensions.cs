using System.Text.Json;
using Backend.Configuration;
using Backend.Memcached;
using Backend.Memcached.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Hosting;

/// <summary>Registers the memcached cache on the builder.</summary>
public static class MemcachedBuilderExtensions
{
    /// <summary>Adds the <c>memcache</c> cache kind (used with <c>-cache-type memcache</c>) on the servers of the
    /// reference's <c>-memcache-host</c> (a list of host:port), with <c>-memcache-options</c>.</summary>
    public static BackendApplicationBuilder AddMemcached(this BackendApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        const string S = "cache";
        builder.Parameters.Add(new("memcache-host", ConfigType.List, "127.0.0.1:11211",
            "memcached servers of the memcache cache (-cache-type memcache), host:port each; keys are spread over them by consistent hashing, so every node must list them the same way", S) { Dns = true });
        builder.Parameters.Add(new("memcache-options", ConfigType.String, null,
            "Options of the memcache cache as a JSON object: timeout (ms per call, default 1000), retryInterval (ms a failed server is left alone, default 2000), maxValueSize (bytes, default 1048576)", S));
        return builder.AddCache("memcache", sp =>
        {
            var config = sp.GetRequiredService<BackendConfig>();
            return new MemcacheCache(new MemcachedClient(ClientOptions(config.GetList("memcache-host"), config.Get("memcache-options"))));
        });
    }

    /// <summary>The client's settings; a <see cref="ConfigException"/> for bad servers or options.</summary>
    internal static MemcachedClientOptions ClientOptions(IEnumerable<string> hosts, string? json)
    {
        var options = new MemcachedClientOptions();
        foreach (var host in hosts) options.Servers.Add(host);
        foreach (var p in ConfigJson.Properties("memcache-options", json))
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out var n) || n <= 0)
                throw new ConfigException($"invalid value for -memcache-options: \"{p.Name}\" must be a positive whole number");
            switch (p.Name)
            {
                case "timeout": options.Timeout = TimeSpan.FromMilliseconds(n); break;
                case "retryInterval": options.RetryInterval = TimeSpan.FromMilliseconds(n); break;
                case "maxValueSize": options.MaxValueSize = n; break;
                default: throw new ConfigException($"invalid value for -memcache-options: unknown option \"{p.Name}\" (timeout, retryInterval, maxValueSize)");
            }
        }
        try
        {
            options.Validate();
            // The client parses the addresses when it is made: made once here, a bad one stops start-up.
            using var probe = new MemcachedClient(options);
        }
        catch (ArgumentException ex)
        {
            throw new ConfigException($"invalid value for -memcache-host: {ex.Message}");
        }
        return options;
    }
}
