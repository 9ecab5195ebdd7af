using Backend.Cache;
using Backend.Configuration;
using Backend.Hosting;
using Backend.Memcached;
using Backend.Memcached.Client;
using Backend.Tests.Memcached;

namespace Backend.Tests.Cache;

/// <summary>The suite on the <c>memcache</c> cache, on scripts/servers' memcached.</summary>
public sealed class MemcacheCacheSuite : CacheSuite, IDisposable
{
    private readonly List<MemcacheCache> _opened = [];

    protected override ICache Open()
    {
        var cache = new MemcacheCache(MemcachedServers.SharedClient());
        _opened.Add(cache);
        return cache;
    }

    public void Dispose()
    {
        foreach (var cache in _opened) cache.Dispose();
    }
}

/// <summary>What only the memcache cache has: escaped keys, flush, its options, a dead server.</summary>
public sealed class MemcacheCacheTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("plain:key")]
    [InlineData("with space")]
    [InlineData("tab\tand\nnewline")]
    [InlineData("100% sure")]
    [InlineData("%20 is not a space")]
    [InlineData("ünïcödé ключ")]
    public async Task Any_key_round_trips_and_lists_as_written(string name)
    {
        using var cache = new MemcacheCache(MemcachedServers.SharedClient());
        var key = MemcachedServers.Unique("esc") + name;
        await cache.PutAsync(key, "v", cancellationToken: Ct);
        Assert.Equal("v", await cache.GetAsync(key, Ct));
        Assert.Contains(key, await cache.KeysAsync(key[..20] + "*", cancellationToken: Ct));
        Assert.True(await cache.DelAsync(key, Ct));
    }

    [Fact]
    public async Task A_key_too_long_for_memcached_is_a_bad_input_cache_error()
    {
        using var cache = new MemcacheCache(MemcachedServers.SharedClient());
        var ex = await Assert.ThrowsAsync<CacheException>(() => cache.PutAsync(new string('k', 251), "v", cancellationToken: Ct).AsTask());
        Assert.True(ex.IsBadInput);
        ex = await Assert.ThrowsAsync<CacheException>(() => cache.GetAsync(new string(' ', 100), Ct).AsTask()); // 300 bytes escaped
        Assert.True(ex.IsBadInput);
    }

    [Fact]
    public async Task A_dead_server_fails_fast_with_a_cache_error_and_is_counted()
    {
        var port = MemcachedServers.FreePort();
        using var cache = new MemcacheCache(MemcachedServers.Client([$"127.0.0.1:{port}"]));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<CacheException>(() => cache.GetAsync("a", Ct).AsTask());
        Assert.False(ex.IsBadInput);
        await Assert.ThrowsAsync<CacheException>(() => cache.PutAsync("a", "1", cancellationToken: Ct).AsTask());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
        Assert.True((await cache.StatsAsync(Ct)).Errors >= 2);
    }

    [Theory]
    [InlineData("not json", "-memcache-options")]
    [InlineData("""{"timeout":"1"}""", "-memcache-options")]
    [InlineData("""{"timout":100}""", "-memcache-options")]
    [InlineData("""{"timeout":0}""", "-memcache-options")]
    public void Bad_memcache_options_are_config_errors(string json, string parameter)
    {
        var ex = Assert.Throws<ConfigException>(() => MemcachedBuilderExtensions.ClientOptions(["127.0.0.1:11211"], json));
        Assert.StartsWith($"invalid value for {parameter}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("host:notaport")]
    [InlineData("127.0.0.1:11211,127.0.0.1:11211")]
    public void Bad_memcache_hosts_are_config_errors(string hosts)
    {
        var ex = Assert.Throws<ConfigException>(() => MemcachedBuilderExtensions.ClientOptions(hosts.Split(','), null));
        Assert.StartsWith("invalid value for -memcache-host", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Memcache_options_set_the_client()
    {
        var o = MemcachedBuilderExtensions.ClientOptions(["10.0.0.1:11211", "10.0.0.2"], """{"timeout":250,"retryInterval":5000,"maxValueSize":2097152}""");
        Assert.Equal(["10.0.0.1:11211", "10.0.0.2"], o.Servers);
        Assert.Equal((TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5), 2097152), (o.Timeout, o.RetryInterval, o.MaxValueSize));
    }

    [Fact]
    public async Task Cache_type_memcache_is_registered_by_AddMemcached()
    {
        using var home = new Backend.Tests.Data.TempDirectory();
        await using var app = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-cache-type", "memcache", "-memcache-host", "127.0.0.1:1"]).AddMemcached().Build();
        Assert.Equal("memcache", ((ICache)app.Services.GetService(typeof(ICache))!).Kind);
    }
}
