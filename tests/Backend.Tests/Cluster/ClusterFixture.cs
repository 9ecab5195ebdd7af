using System.Globalization;
using Backend.Tests.Conformance;
using Backend.Tests.Server;

namespace Backend.Tests.Cluster;

/// <summary>Two <c>bkcs</c> nodes on one PostgreSQL database (issue 11, point 8), sharing a cache kind and a pub/sub
/// transport. Each combination is a subclass; a missing server skips, and fails under <c>CI=true</c>. Lives outside
/// the <c>Server</c> namespace: the black-box reruns on each pool would start the same two nodes again.</summary>
public abstract class ClusterFixture : IAsyncLifetime
{
    /// <summary>The cache kind (<c>-cache-type</c>).</summary>
    public abstract string CacheType { get; }

    /// <summary>The transport (<c>-msg-type</c>).</summary>
    public abstract string MsgType { get; }

    /// <summary>Node A.</summary>
    public BackendServer A => _a ?? throw new InvalidOperationException("node A did not start");

    /// <summary>Node B.</summary>
    public BackendServer B => _b ?? throw new InvalidOperationException("node B did not start");

    private BackendServer? _a;
    private BackendServer? _b;
    private string? _missing;

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var pg = ServerUrls.Find("pgsql");
        var redis = ServerUrls.Find("redis");
        string[] needs = [CacheType switch { "memcache" => "memcached", "redis" => "redis", _ => "" }, MsgType switch { "amqp" => "rabbitmq", "redis" => "redis", _ => "" }];
        _missing = pg is null ? "pgsql" : needs.FirstOrDefault(s => s.Length > 0 && ServerUrls.Find(s) is null);
        if (_missing is not null) return;

        string[] common = ["-db-pool", "pgsql", "-db-pgsql-pool", pg!, "-cache-type", CacheType, "-msg-type", MsgType, "-log", "info"];
        if (redis is not null)
        {
            var uri = new Uri(redis.Contains("://", StringComparison.Ordinal) ? redis : "redis://" + redis);
            common = [.. common, "-redis-host", uri.Host, "-redis-port", uri.Port.ToString(CultureInfo.InvariantCulture)];
        }
        if (CacheType == "memcache") common = [.. common, "-memcache-host", ServerUrls.Find("memcached")!];
        if (MsgType == "amqp") common = [.. common, "-amqp-host", ServerUrls.Find("rabbitmq")!];
        string[] a = common, b = common;
        if (MsgType == "zmq")
        {
            // Brokerless: each node binds its own port and connects to every node of the list.
            int pa = BackendServer.FreePort(), pb = BackendServer.FreePort();
            var hosts = $"127.0.0.1:{pa},127.0.0.1:{pb}";
            a = [.. common, "-msg-bind", "127.0.0.1", "-msg-port", pa.ToString(CultureInfo.InvariantCulture), "-msg-host", hosts];
            b = [.. common, "-msg-bind", "127.0.0.1", "-msg-port", pb.ToString(CultureInfo.InvariantCulture), "-msg-host", hosts];
        }
        _a = await BackendServer.StartAsync(a);
        _b = await BackendServer.StartAsync(b);
    }

    /// <summary>Skips the test (fails it under CI) when a server is missing.</summary>
    public void Require()
    {
        if (_missing is null) return;
        var why = $"no {_missing} server: run scripts/servers start {_missing}";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException(why);
        Assert.Skip(why);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_a is not null) await _a.DisposeAsync();
        if (_b is not null) await _b.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

#pragma warning disable CA1711 // the names say which servers, as elsewhere in the tests
/// <summary>Redis cache, Redis pub/sub.</summary>
public sealed class RedisRedisCluster : ClusterFixture
{
    /// <inheritdoc />
    public override string CacheType => "redis";

    /// <inheritdoc />
    public override string MsgType => "redis";
}

/// <summary>Redis cache, RabbitMQ.</summary>
public sealed class RedisAmqpCluster : ClusterFixture
{
    /// <inheritdoc />
    public override string CacheType => "redis";

    /// <inheritdoc />
    public override string MsgType => "amqp";
}

/// <summary>memcached, brokerless sockets.</summary>
public sealed class MemcacheZmqCluster : ClusterFixture
{
    /// <inheritdoc />
    public override string CacheType => "memcache";

    /// <inheritdoc />
    public override string MsgType => "zmq";
}

/// <summary>memcached, Redis pub/sub.</summary>
public sealed class MemcacheRedisCluster : ClusterFixture
{
    /// <inheritdoc />
    public override string CacheType => "memcache";

    /// <inheritdoc />
    public override string MsgType => "redis";
}

/// <summary>No shared cache (each node its own LRU), brokerless sockets: the first levels are kept coherent by the
/// broadcast alone.</summary>
public sealed class LocalZmqCluster : ClusterFixture
{
    /// <inheritdoc />
    public override string CacheType => "local";

    /// <inheritdoc />
    public override string MsgType => "zmq";
}
#pragma warning restore CA1711
