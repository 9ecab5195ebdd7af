namespace Backend.Cache;

/// <summary>The cache API of the reference (<c>get</c>, <c>put</c>, <c>incr</c>, <c>del</c>, <c>clear</c>,
/// <c>keys</c>, <c>stats</c>) behind one interface, chosen by <c>-cache-type</c>: <c>local</c> (this process,
/// <see cref="LocalCache"/>), <c>redis</c> or <c>memcache</c> (shared by every process and node that uses the same
/// servers). Values are text, as in the reference; counters are decimal text, so <see cref="IncrAsync"/> and
/// <see cref="GetAsync"/> see the same value on every kind.</summary>
/// <remarks>Not <c>IDistributedCache</c>: that interface has no increment, no key listing and no clear, which the
/// reference's API and <c>/system/cache</c> need; an adapter to it is cheap where a library wants one.</remarks>
public interface ICache
{
    /// <summary>The kind, as <c>-cache-type</c> names it.</summary>
    string Kind { get; }

    /// <summary>The value of <paramref name="key"/>, or null when missing or expired.</summary>
    ValueTask<string?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing what was there, for at most
    /// <paramref name="ttl"/> (null: until evicted).</summary>
    ValueTask PutAsync(string key, string value, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Adds <paramref name="delta"/> to the number stored under <paramref name="key"/> (a missing key counts as
    /// 0) and returns the new value, atomically. <paramref name="ttl"/> applies when the key is created.</summary>
    ValueTask<long> IncrAsync(string key, long delta, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Removes <paramref name="key"/>; false when it was not there.</summary>
    ValueTask<bool> DelAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Removes every key matching <paramref name="pattern"/> (a glob with <c>*</c> and <c>?</c>), or every key
    /// of this cache when null.</summary>
    ValueTask ClearAsync(string? pattern = null, CancellationToken cancellationToken = default);

    /// <summary>The keys matching <paramref name="pattern"/> (a glob with <c>*</c> and <c>?</c>; null for all), at
    /// most <paramref name="limit"/>. Meant for operators (<c>/system/cache/keys</c>), not for request paths: on a
    /// shared server it walks the key space.</summary>
    ValueTask<IReadOnlyList<string>> KeysAsync(string? pattern = null, int limit = 1000, CancellationToken cancellationToken = default);

    /// <summary>Counts of this cache (hits and misses are this process's).</summary>
    ValueTask<CacheStats> StatsAsync(CancellationToken cancellationToken = default);
}

/// <summary>What <see cref="ICache.StatsAsync"/> reports; -1 where a kind cannot tell.</summary>
public sealed record CacheStats
{
    /// <summary>The cache kind.</summary>
    public required string Kind { get; init; }

    /// <summary>Keys stored (on a shared server: all of the server's keys).</summary>
    public long Count { get; init; } = -1;

    /// <summary>The bound on keys (<c>-lru-max</c> for local), -1 when bounded by memory instead.</summary>
    public long Max { get; init; } = -1;

    /// <summary>Reads of this process that found a value.</summary>
    public long Hits { get; init; }

    /// <summary>Reads of this process that found nothing.</summary>
    public long Misses { get; init; }

    /// <summary>Keys dropped to stay within the bound.</summary>
    public long Evictions { get; init; } = -1;

    /// <summary>Calls of this process that failed (the server unreachable, a timeout).</summary>
    public long Errors { get; init; }
}
