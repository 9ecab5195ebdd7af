using Backend.Cache;

namespace Backend.Tests.Cache;

/// <summary>One suite for every cache kind: the same calls give the same answers on each (<c>local</c>, <c>redis</c>,
/// and the kinds to come). Every test works under its own key prefix, so runs never see each other's keys.</summary>
public abstract class CacheSuite
{
    private static int _counter;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The cache under test; skips (or fails under CI) when its server is not there.</summary>
    protected abstract ICache Open();

    /// <summary>A prefix no other test or run uses.</summary>
    protected static string P() => $"t{Environment.ProcessId}x{Interlocked.Increment(ref _counter)}:";

    [Fact]
    public async Task Put_then_get_returns_the_value_and_a_missing_key_is_null()
    {
        var cache = Open();
        var p = P();
        await cache.PutAsync(p + "a", "héllo \"world\"", cancellationToken: Ct);
        Assert.Equal("héllo \"world\"", await cache.GetAsync(p + "a", Ct));
        Assert.Null(await cache.GetAsync(p + "missing", Ct));
        await cache.PutAsync(p + "a", "second", cancellationToken: Ct);
        Assert.Equal("second", await cache.GetAsync(p + "a", Ct));
    }

    [Fact]
    public async Task A_value_with_a_ttl_expires()
    {
        var cache = Open();
        var p = P();
        await cache.PutAsync(p + "short", "1", TimeSpan.FromMilliseconds(300), Ct);
        await cache.PutAsync(p + "long", "1", TimeSpan.FromMinutes(1), Ct);
        Assert.Equal("1", await cache.GetAsync(p + "short", Ct));
        await Task.Delay(2100, Ct); // memcached counts TTLs in whole seconds, and its clock ticks once a second
        Assert.Null(await cache.GetAsync(p + "short", Ct));
        Assert.Equal("1", await cache.GetAsync(p + "long", Ct));
    }

    [Fact]
    public async Task Incr_starts_from_zero_and_counts_every_concurrent_call()
    {
        var cache = Open();
        var p = P();
        Assert.Equal(3, await cache.IncrAsync(p + "n", 3, cancellationToken: Ct));
        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => cache.IncrAsync(p + "n", 1, cancellationToken: Ct).AsTask()));
        Assert.Equal("203", await cache.GetAsync(p + "n", Ct));
        Assert.Equal(200, await cache.IncrAsync(p + "n", -3, cancellationToken: Ct));
    }

    [Fact]
    public async Task Incr_of_text_that_is_not_a_number_counts_it_as_zero()
    {
        var cache = Open();
        var p = P();
        await cache.PutAsync(p + "t", "abc", cancellationToken: Ct);
        Assert.Equal(4, await cache.IncrAsync(p + "t", 4, cancellationToken: Ct));
        Assert.Equal("4", await cache.GetAsync(p + "t", Ct));
    }

    [Fact]
    public async Task Incr_gives_a_new_key_its_ttl()
    {
        var cache = Open();
        var p = P();
        Assert.Equal(1, await cache.IncrAsync(p + "n", 1, TimeSpan.FromMilliseconds(300), Ct));
        await Task.Delay(2100, Ct);
        Assert.Null(await cache.GetAsync(p + "n", Ct));
    }

    [Fact]
    public async Task Del_says_whether_the_key_was_there()
    {
        var cache = Open();
        var p = P();
        await cache.PutAsync(p + "a", "1", cancellationToken: Ct);
        Assert.True(await cache.DelAsync(p + "a", Ct));
        Assert.False(await cache.DelAsync(p + "a", Ct));
        Assert.Null(await cache.GetAsync(p + "a", Ct));
    }

    [Fact]
    public async Task Keys_and_clear_take_a_glob_and_touch_nothing_else()
    {
        var cache = Open();
        var p = P();
        foreach (var k in new[] { "user:1", "user:2", "user:10", "item:1" }) await cache.PutAsync(p + k, k, cancellationToken: Ct);
        Assert.Equal([p + "user:1", p + "user:10", p + "user:2"], (await cache.KeysAsync(p + "user:*", cancellationToken: Ct)).Order(StringComparer.Ordinal));
        Assert.Equal(2, (await cache.KeysAsync(p + "*", limit: 2, cancellationToken: Ct)).Count);
        await cache.ClearAsync(p + "user:?", Ct);
        Assert.Equal([p + "item:1", p + "user:10"], (await cache.KeysAsync(p + "*", cancellationToken: Ct)).Order(StringComparer.Ordinal));
        Assert.Equal("item:1", await cache.GetAsync(p + "item:1", Ct));
    }

    [Fact]
    public async Task Stats_count_this_process_hits_and_misses()
    {
        var cache = Open();
        var p = P();
        var before = await cache.StatsAsync(Ct);
        await cache.PutAsync(p + "a", "1", cancellationToken: Ct);
        await cache.GetAsync(p + "a", Ct);
        await cache.GetAsync(p + "b", Ct);
        await cache.GetAsync(p + "c", Ct);
        var after = await cache.StatsAsync(Ct);
        Assert.Equal(cache.Kind, after.Kind);
        Assert.True(after.Hits - before.Hits >= 1, "a hit");
        Assert.True(after.Misses - before.Misses >= 2, "two misses");
    }
}

/// <summary>The suite on the <c>local</c> LRU.</summary>
public sealed class LocalCacheSuite : CacheSuite
{
    protected override ICache Open() => new LocalCache();
}
