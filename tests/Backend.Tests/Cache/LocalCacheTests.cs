using Backend.Cache;
using Microsoft.Extensions.Time.Testing;

namespace Backend.Tests.Cache;

/// <summary>The <c>local</c> cache: the reference's LRU (bounded, newest value always stored, atomic increments).</summary>
public sealed class LocalCacheTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Put_then_get_returns_the_value_and_a_missing_key_is_null()
    {
        var cache = new LocalCache();
        await cache.PutAsync("a", "1", cancellationToken: Ct);
        Assert.Equal("1", await cache.GetAsync("a", Ct));
        Assert.Null(await cache.GetAsync("b", Ct));
        var stats = await cache.StatsAsync(Ct);
        Assert.Equal((1L, 1L, 1L), (stats.Hits, stats.Misses, stats.Count));
    }

    [Fact]
    public async Task A_full_cache_evicts_the_least_recently_used_key_and_stores_the_new_one()
    {
        var cache = new LocalCache(maxKeys: 3);
        foreach (var k in new[] { "a", "b", "c" }) await cache.PutAsync(k, k, cancellationToken: Ct);
        await cache.GetAsync("a", Ct); // a is now the most recent; b the least
        await cache.PutAsync("d", "d", cancellationToken: Ct);
        Assert.Null(await cache.GetAsync("b", Ct));
        Assert.Equal(["a", "c", "d"], (await cache.KeysAsync(cancellationToken: Ct)).Order(StringComparer.Ordinal));
        Assert.Equal(1, (await cache.StatsAsync(Ct)).Evictions);
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public async Task A_value_expires_after_its_ttl_and_not_before()
    {
        var time = new FakeTimeProvider();
        var cache = new LocalCache(timeProvider: time);
        await cache.PutAsync("a", "1", TimeSpan.FromSeconds(10), Ct);
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal("1", await cache.GetAsync("a", Ct));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await cache.GetAsync("a", Ct));
        Assert.Empty(await cache.KeysAsync(cancellationToken: Ct));
        Assert.False(await cache.DelAsync("a", Ct));
    }

    [Fact]
    public async Task Incr_starts_from_zero_adds_atomically_and_reads_back_as_text()
    {
        var cache = new LocalCache();
        Assert.Equal(5, await cache.IncrAsync("n", 5, cancellationToken: Ct));
        await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => Task.Run(async () => await cache.IncrAsync("n", 1, cancellationToken: Ct), Ct)));
        Assert.Equal("1005", await cache.GetAsync("n", Ct));
        Assert.Equal(1000, await cache.IncrAsync("n", -5, cancellationToken: Ct));
        await cache.PutAsync("text", "abc", cancellationToken: Ct);
        Assert.Equal(2, await cache.IncrAsync("text", 2, cancellationToken: Ct)); // not a number counts as 0
    }

    [Fact]
    public async Task Del_and_clear_by_pattern_remove_only_what_they_name()
    {
        var cache = new LocalCache();
        foreach (var k in new[] { "user:1", "user:2", "item:1", "user:10" }) await cache.PutAsync(k, k, cancellationToken: Ct);
        Assert.True(await cache.DelAsync("item:1", Ct));
        Assert.False(await cache.DelAsync("item:1", Ct));
        await cache.ClearAsync("user:?", Ct);
        Assert.Equal(["user:10"], await cache.KeysAsync(cancellationToken: Ct));
        await cache.PutAsync("x", "x", cancellationToken: Ct);
        await cache.ClearAsync(cancellationToken: Ct);
        Assert.Empty(await cache.KeysAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Keys_takes_a_glob_and_a_limit()
    {
        var cache = new LocalCache();
        for (var i = 0; i < 20; i++) await cache.PutAsync($"k{i}", "v", cancellationToken: Ct);
        Assert.Equal(11, (await cache.KeysAsync("k1*", cancellationToken: Ct)).Count); // k1, k10..k19
        Assert.Equal(5, (await cache.KeysAsync(limit: 5, cancellationToken: Ct)).Count);
    }

    [Theory]
    [InlineData("*", "", true)]
    [InlineData("*", "abc", true)]
    [InlineData("a*c", "abbbc", true)]
    [InlineData("a*c", "abbbd", false)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("*b*b*", "abab", true)]
    [InlineData("*b*b*", "ab", false)]
    [InlineData("user:1", "user:10", false)]
    public void Glob_patterns_match_as_redis_does_without_classes(string pattern, string key, bool match) =>
        Assert.Equal(match, CacheGlob.IsMatch(pattern, key));
}
