using System.Text;
using Backend.Cache;
using StackExchange.Redis;

namespace Backend.Redis;

/// <summary>The <c>redis</c> cache (<c>-cache-type redis</c>): one Redis server shared by every process and node,
/// through one multiplexed StackExchange.Redis connection. Keys live under a prefix (<c>bk:cache:</c>), so the cache can
/// share a server, even a database, with the Redis pool: <see cref="ClearAsync"/> deletes the cache's keys only (SCAN
/// and DEL, never FLUSHDB). A server that is down makes calls fail fast with <see cref="CacheException"/> (counted in
/// <see cref="CacheStats.Errors"/>); the connection comes back by itself.</summary>
internal sealed class RedisCache : ICache, IAsyncDisposable
{
    /// <summary>The prefix of every cache key on the server.</summary>
    public const string Prefix = "bk:cache:";

    // INCRBY, but a value that is not an integer counts as 0 (as the local LRU's) and a new key gets the TTL, atomically.
    private const string IncrScript = """
        local cur = redis.call('GET', KEYS[1])
        if cur then
          local c = tonumber(cur)
          if c and math.floor(c) == c then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
          redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
          return tonumber(ARGV[1])
        end
        if ARGV[2] ~= '0' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) else redis.call('SET', KEYS[1], ARGV[1]) end
        return tonumber(ARGV[1])
        """;

    private readonly Task<ConnectionMultiplexer> _connection;
    private readonly TimeSpan _timeout;
    private long _hits, _misses, _errors;

    public RedisCache(ConfigurationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _timeout = TimeSpan.FromMilliseconds(options.AsyncTimeout);
        _connection = ConnectionMultiplexer.ConnectAsync(options);
    }

    public string Kind => "redis";

    private async ValueTask<IDatabase> Db()
    {
        try
        {
            // The first calls wait for the connection at most one command's timeout: a server that is down at start
            // must not hold them for the whole connect timeout.
            return (await _connection.WaitAsync(_timeout)).GetDatabase();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw Failed(ex);
        }
    }

    private CacheException Failed(Exception ex)
    {
        Interlocked.Increment(ref _errors);
        return new CacheException($"redis cache: {ex.Message}", ex);
    }

    private static RedisKey Key(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Prefix + key;
    }

    public async ValueTask<string?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var k = Key(key);
        string? value;
        try
        {
            value = await (await Db()).StringGetAsync(k).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw Failed(ex);
        }
        Interlocked.Increment(ref value is null ? ref _misses : ref _hits);
        return value;
    }

    public async ValueTask PutAsync(string key, string value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var k = Key(key);
        ArgumentNullException.ThrowIfNull(value);
        try
        {
            var db = await Db();
            await (ttl is { } t && t > TimeSpan.Zero ? db.StringSetAsync(k, value, t) : db.StringSetAsync(k, value)).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw Failed(ex);
        }
    }

    public async ValueTask<long> IncrAsync(string key, long delta, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var k = Key(key);
        var ms = ttl is { } t && t > TimeSpan.Zero ? Math.Max(1, (long)t.TotalMilliseconds) : 0;
        try
        {
            var result = await (await Db()).ScriptEvaluateAsync(IncrScript, [k], [delta, ms]).WaitAsync(cancellationToken);
            return (long)result;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw Failed(ex);
        }
    }

    public async ValueTask<bool> DelAsync(string key, CancellationToken cancellationToken = default)
    {
        var k = Key(key);
        try
        {
            return await (await Db()).KeyDeleteAsync(k).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw Failed(ex);
        }
    }

    public async ValueTask ClearAsync(string? pattern = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var db = await Db();
            var batch = new List<RedisKey>(500);
            await foreach (var key in Scan(pattern, cancellationToken))
            {
                batch.Add(key);
                if (batch.Count < 500) continue;
                await db.KeyDeleteAsync([.. batch]).WaitAsync(cancellationToken);
                batch.Clear();
            }
            if (batch.Count > 0) await db.KeyDeleteAsync([.. batch]).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw Failed(ex);
        }
    }

    public async ValueTask<IReadOnlyList<string>> KeysAsync(string? pattern = null, int limit = 1000, CancellationToken cancellationToken = default)
    {
        var keys = new List<string>();
        try
        {
            await foreach (var key in Scan(pattern, cancellationToken))
            {
                if (keys.Count >= limit) break;
                keys.Add(((string)key!)[Prefix.Length..]);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw Failed(ex);
        }
        return keys;
    }

    // SCAN over the cache's prefix: the pattern is ours (only * and ?), so Redis's other glob characters are escaped.
    private async IAsyncEnumerable<RedisKey> Scan(string? pattern, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var connection = await _connection.WaitAsync(_timeout, cancellationToken);
        var match = Prefix + Escape(pattern ?? "*");
        foreach (var endpoint in connection.GetEndPoints())
        {
            var server = connection.GetServer(endpoint);
            if (server.IsReplica) continue;
            await foreach (var key in server.KeysAsync(connection.GetDatabase().Database, match, pageSize: 500).WithCancellation(cancellationToken))
                yield return key;
        }
    }

    private static string Escape(string pattern)
    {
        var sb = new StringBuilder(pattern.Length);
        foreach (var c in pattern)
        {
            if (c is '[' or ']' or '\\' or '^') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    public ValueTask<CacheStats> StatsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(new CacheStats
        {
            Kind = Kind,
            Hits = Interlocked.Read(ref _hits),
            Misses = Interlocked.Read(ref _misses),
            Errors = Interlocked.Read(ref _errors),
        });

    public async ValueTask DisposeAsync()
    {
        try
        {
            await (await _connection).DisposeAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // never connected: nothing to close
        }
    }
}
