using System.Globalization;
using System.Text;
using Backend.Cache;
using Backend.Memcached.Client;

namespace Backend.Memcached;

/// <summary>The <c>memcache</c> cache (<c>-cache-type memcache</c>): the servers of <c>-memcache-host</c>, keys spread
/// over them by the client's consistent hashing. What differs from the other kinds, by memcached's nature:
/// <list type="bullet">
/// <item>Keys may hold any character: spaces, control characters and <c>%</c> are sent %-escaped (memcached refuses
/// them), and a key over 250 bytes after escaping is a bad-input <see cref="CacheException"/>.</item>
/// <item>TTLs are whole seconds (rounded up), and a key may live up to a second past its TTL.</item>
/// <item>Counters are unsigned: a decrement stops at 0.</item>
/// <item><see cref="ClearAsync"/> without a pattern empties the servers (flush_all): the servers are the cache's own.
/// Keys and clear by pattern walk the servers' key dump (best effort: keys written meanwhile may be missed).</item>
/// </list>
/// A server that is down fails its calls fast (<see cref="CacheException"/>, counted in <see cref="CacheStats.Errors"/>)
/// and is tried again after the client's retry interval.</summary>
internal sealed class MemcacheCache(MemcachedClient client) : ICache, IDisposable
{
    private long _hits, _misses, _errors;

    public string Kind => "memcache";

    public async ValueTask<string?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var k = Encode(key);
        var value = await Call(() => client.GetStringAsync(k, cancellationToken));
        Interlocked.Increment(ref value is null ? ref _misses : ref _hits);
        return value;
    }

    public async ValueTask PutAsync(string key, string value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var k = Encode(key);
        ArgumentNullException.ThrowIfNull(value);
        await Call(async () =>
        {
            await client.SetAsync(k, value, Ttl(ttl), cancellationToken);
            return true;
        });
    }

    public async ValueTask<long> IncrAsync(string key, long delta, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var k = Encode(key);
        var initial = (ulong)Math.Max(0, delta);
        try
        {
            return (long)(await Call(() => client.IncrementAsync(k, delta, initial, Ttl(ttl), cancellationToken)) ?? initial);
        }
        catch (CacheException ex) when (ex.InnerException is MemcachedException { Kind: MemcachedErrorKind.ClientError })
        {
            // A value that is not a number counts as 0, as in the other kinds (memcached refuses to add to it).
            await PutAsync(key, initial.ToString(CultureInfo.InvariantCulture), ttl, cancellationToken);
            return (long)initial;
        }
    }

    public ValueTask<bool> DelAsync(string key, CancellationToken cancellationToken = default)
    {
        var k = Encode(key);
        return new ValueTask<bool>(Call(() => client.DeleteAsync(k, cancellationToken)));
    }

    public async ValueTask ClearAsync(string? pattern = null, CancellationToken cancellationToken = default)
    {
        if (pattern is null)
        {
            await Call(async () =>
            {
                await client.FlushAllAsync(cancellationToken);
                return true;
            });
            return;
        }
        foreach (var key in await KeysAsync(pattern, int.MaxValue, cancellationToken))
            await DelAsync(key, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<string>> KeysAsync(string? pattern = null, int limit = 1000, CancellationToken cancellationToken = default)
    {
        // The dump filters by prefix in the server's reply stream: the pattern's literal start narrows it.
        var literal = pattern is null ? null : Encode(pattern[..IndexOfWildcard(pattern)], allowEmpty: true);
        var listing = await Call(() => client.ListKeysAsync(literal is { Length: > 0 } ? literal : null, cancellationToken: cancellationToken));
        if (listing.FailedServers.Count > 0) Interlocked.Add(ref _errors, listing.FailedServers.Count);
        var keys = new List<string>();
        foreach (var info in listing.Keys)
        {
            if (keys.Count >= limit) break;
            var key = Decode(info.Key);
            if (pattern is null || CacheGlob.IsMatch(pattern, key)) keys.Add(key);
        }
        return keys;
    }

    public async ValueTask<CacheStats> StatsAsync(CancellationToken cancellationToken = default)
    {
        var servers = await client.StatsAsync(cancellationToken);
        long Sum(string name) => servers.Sum(s => s.Stats is { } st && st.TryGetValue(name, out var v) && long.TryParse(v, CultureInfo.InvariantCulture, out var n) ? n : 0);
        return new CacheStats
        {
            Kind = Kind,
            Count = Sum("curr_items"),
            Evictions = Sum("evictions"),
            Hits = Interlocked.Read(ref _hits),
            Misses = Interlocked.Read(ref _misses),
            Errors = Interlocked.Read(ref _errors) + servers.Count(s => s.Error is not null),
        };
    }

    public void Dispose() => client.Dispose();

    private async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (MemcachedException ex)
        {
            Interlocked.Increment(ref _errors);
            throw new CacheException($"memcache cache: {ex.Message}", ex) { IsBadInput = ex.Kind == MemcachedErrorKind.ClientError };
        }
        catch (ArgumentException ex)
        {
            throw new CacheException($"memcache cache: {ex.Message}", ex) { IsBadInput = true };
        }
    }

    private static TimeSpan Ttl(TimeSpan? ttl) => ttl is { } t && t > TimeSpan.Zero ? t : TimeSpan.Zero;

    private static int IndexOfWildcard(string pattern)
    {
        var i = pattern.AsSpan().IndexOfAny('*', '?');
        return i < 0 ? pattern.Length : i;
    }

    /// <summary>The key as memcached takes it: space, control characters and '%' as %XX (of their UTF-8 bytes).</summary>
    internal static string Encode(string key, bool allowEmpty = false)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0 && !allowEmpty) throw new CacheException("memcache cache: a key cannot be empty") { IsBadInput = true };
        if (!key.AsSpan().ContainsAny(Escaped)) return key;
        var sb = new StringBuilder(key.Length + 8);
        foreach (var c in key)
        {
            if (Escaped.Contains(c)) sb.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    internal static string Decode(string key)
    {
        if (!key.Contains('%', StringComparison.Ordinal)) return key;
        var sb = new StringBuilder(key.Length);
        for (var i = 0; i < key.Length; i++)
        {
            if (key[i] == '%' && i + 2 < key.Length && int.TryParse(key.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var c))
            {
                sb.Append((char)c);
                i += 2;
            }
            else
            {
                sb.Append(key[i]);
            }
        }
        return sb.ToString();
    }

    // The characters memcached's keys cannot hold (ASCII controls and space; DEL too), and '%', the escape itself.
    private static readonly System.Buffers.SearchValues<char> Escaped =
        System.Buffers.SearchValues.Create([.. Enumerable.Range(0, 33).Select(i => (char)i), '\u007f', '%']);
}
