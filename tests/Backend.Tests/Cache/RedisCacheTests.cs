using System.Diagnostics;
using Backend.Cache;
using Backend.Configuration;
using Backend.Hosting;
using Backend.Redis;
using Backend.Tests.Conformance;
using Backend.Tests.Data;
using StackExchange.Redis;

namespace Backend.Tests.Cache;

/// <summary>The suite on the <c>redis</c> cache, on scripts/servers' Redis. In one collection with
/// <see cref="RedisCacheTests"/>, whose clear of every cache key must not run while these tests do.</summary>
[Collection("redis-cache")]
public sealed class RedisCacheSuite : CacheSuite, IAsyncDisposable
{
    private readonly List<RedisCache> _opened = [];

    internal static (string Host, int Port)? Server()
    {
        if (ServerUrls.Find("redis") is not { } url) return null;
        var uri = new Uri(url.Contains("://", StringComparison.Ordinal) ? url : "redis://" + url);
        return (uri.Host, uri.Port);
    }

    internal static (string Host, int Port) RequireServer()
    {
        if (Server() is { } server) return server;
        var why = "no redis server: run scripts/servers start redis";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException(why);
        Assert.Skip(why);
        return default;
    }

    protected override ICache Open()
    {
        var (host, port) = RequireServer();
        // A lenient timeout: this suite is about behaviour, and the whole test run shares two cores.
        var cache = new RedisCache(RedisBuilderExtensions.CacheOptions(host, port, """{"timeout":5000}"""));
        _opened.Add(cache);
        return cache;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cache in _opened) await cache.DisposeAsync();
    }
}

/// <summary>What only the Redis cache has: its key prefix, its options, its behaviour with the server gone.</summary>
[Collection("redis-cache")]
public sealed class RedisCacheTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Clear_removes_only_the_caches_own_keys_from_a_shared_server()
    {
        var (host, port) = RedisCacheSuite.RequireServer();
        await using var cache = new RedisCache(RedisBuilderExtensions.CacheOptions(host, port, """{"timeout":5000}"""));
        await using var raw = await ConnectionMultiplexer.ConnectAsync($"{host}:{port}");
        var other = $"not-the-cache:{Guid.NewGuid():N}";
        await raw.GetDatabase().StringSetAsync(other, "kept");
        await cache.PutAsync("x:" + other, "v", cancellationToken: Ct);
        Assert.Equal("v", (string?)await raw.GetDatabase().StringGetAsync(RedisCache.Prefix + "x:" + other));

        await cache.ClearAsync(cancellationToken: Ct);

        Assert.Null(await cache.GetAsync("x:" + other, Ct));
        Assert.Equal("kept", (string?)await raw.GetDatabase().StringGetAsync(other));
        await raw.GetDatabase().KeyDeleteAsync(other);
    }

    [Fact]
    public async Task A_dead_server_fails_fast_with_a_cache_error_and_is_counted()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // a closed port
        await using var cache = new RedisCache(RedisBuilderExtensions.CacheOptions("127.0.0.1", port, """{"timeout":300}"""));
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<CacheException>(() => cache.GetAsync("a", Ct).AsTask());
        await Assert.ThrowsAsync<CacheException>(() => cache.PutAsync("a", "1", cancellationToken: Ct).AsTask());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(2, (await cache.StatsAsync(Ct)).Errors);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1]")]
    [InlineData("""{"pasword":"x"}""")]
    [InlineData("""{"db":"one"}""")]
    [InlineData("""{"timeout":1}""")]
    public void Bad_redis_options_are_config_errors(string json)
    {
        var ex = Assert.Throws<ConfigException>(() => RedisBuilderExtensions.CacheOptions("127.0.0.1", 6379, json));
        Assert.StartsWith("invalid value for -redis-options", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redis_options_set_the_connection()
    {
        var o = RedisBuilderExtensions.CacheOptions("10.0.0.1", 7000, """{"password":"pw","user":"u","db":3,"ssl":true,"timeout":250}""");
        Assert.Equal(("pw", "u", 3, true, 250), (o.Password, o.User, o.DefaultDatabase, o.Ssl, o.AsyncTimeout));
        Assert.Equal("10.0.0.1:7000", o.EndPoints.Single().ToString());
    }

    [Fact]
    public async Task Cache_type_picks_the_registered_kind_and_an_unknown_one_stops_start_up()
    {
        using var home = new TempDirectory();
        await using var local = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none"]).Build();
        Assert.IsType<LocalCache>(Backend.Metrics.Metered.Unwrap(local.Services.GetService(typeof(ICache))));

        await using var redis = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-cache-type", "redis", "-redis-port", "1"]).AddRedis().Build();
        Assert.Equal("redis", ((ICache)redis.Services.GetService(typeof(ICache))!).Kind);

        var builder = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-cache-type", "redis"]);
        var ex = Assert.Throws<ConfigException>(() => { builder.Build(); });
        Assert.Contains("builder.AddRedis()", ex.Message, StringComparison.Ordinal);
        Assert.Contains("local", ex.Message, StringComparison.Ordinal);
    }
}
