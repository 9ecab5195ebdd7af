using System.Text;

namespace Backend.Memcached.Client;

/// <summary>What a multi-key get found: the hits, and the keys whose server failed (dead, timed out, broken); a
/// key in neither is a miss.</summary>
internal sealed record MemcachedMultiGet(IReadOnlyDictionary<string, MemcachedItem> Hits, IReadOnlyList<string> Failed);

/// <summary>The stats of one server, or why there are none.</summary>
internal sealed record MemcachedServerStats(string Server, IReadOnlyDictionary<string, string>? Stats, MemcachedException? Error);

/// <summary>A key listing: the keys found, and the servers that could not be listed.</summary>
internal sealed record MemcachedKeyListing(IReadOnlyList<MemcachedKeyInfo> Keys, IReadOnlyList<string> FailedServers);

/// <summary>A memcached client over one or more servers, keys spread by a ketama ring (<see cref="HashRing{T}"/>).
/// Every call goes to the one server owning its key, on that server's single pipelined connection, and either
/// answers within <see cref="MemcachedClientOptions.Timeout"/> or throws a <see cref="MemcachedException"/>. A key
/// whose server is dead fails at once; it is never moved to another server (see README.md, "Failure policy").
/// Thread-safe; meant to live as long as the app.</summary>
internal sealed class MemcachedClient : IDisposable
{
    private readonly MemcachedClientOptions _options;
    private readonly MemcachedServer[] _servers;
    private readonly HashRing<MemcachedServer>? _ring;
    private volatile bool _disposed;

    public MemcachedClient(MemcachedClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _servers = [.. options.Servers.Select(s => new MemcachedServer(MemcachedAddress.Parse(s), options, Counters))];
        var duplicate = _servers.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"memcached: the server {duplicate.Key} is listed twice", nameof(options));
        // One server needs no ring: every key is its own.
        if (_servers.Length > 1) _ring = new HashRing<MemcachedServer>([.. _servers.Select(s => (s.Name, s))]);
    }

    /// <summary>Counters for metrics.</summary>
    public MemcachedCounters Counters { get; } = new();

    public IReadOnlyList<MemcachedServer> Servers => _servers;

    /// <summary>The server owning a key (throws for a bad key).</summary>
    public MemcachedServer ServerFor(string key) => ServerFor(MemcachedKey.Encode(key));

    private MemcachedServer ServerFor(byte[] key) => _ring is null ? _servers[0] : _ring.Get(key);

    // ----- reads

    /// <summary>The value of a key, null on a miss.</summary>
    public async Task<MemcachedItem?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var k = MemcachedKey.Encode(key);
        var items = await ExecuteAsync(ServerFor(k), new GetOp([k]), cancellationToken);
        return items[0];
    }

    /// <summary>The value of a key as UTF-8 text, null on a miss.</summary>
    public async Task<string?> GetStringAsync(string key, CancellationToken cancellationToken = default) =>
        (await GetAsync(key, cancellationToken))?.AsString();

    /// <summary>The values of several keys: one pipelined batch of mg per server, the servers in parallel. A server
    /// that fails does not fail the call: its keys are listed in <see cref="MemcachedMultiGet.Failed"/>.</summary>
    public async Task<MemcachedMultiGet> GetManyAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var groups = new Dictionary<MemcachedServer, (List<string> Names, List<byte[]> Keys)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var k = MemcachedKey.Encode(key);
            if (!seen.Add(key)) continue;
            var server = ServerFor(k);
            if (!groups.TryGetValue(server, out var group)) groups[server] = group = ([], []);
            group.Names.Add(key);
            group.Keys.Add(k);
        }
        var hits = new Dictionary<string, MemcachedItem>(StringComparer.Ordinal);
        var failed = new List<string>();
        var calls = groups.Select(async g =>
        {
            try
            {
                return (g.Value.Names, Items: await ExecuteAsync(g.Key, new GetOp([.. g.Value.Keys]), cancellationToken));
            }
            catch (MemcachedException)
            {
                return (g.Value.Names, Items: (MemcachedItem?[]?)null);
            }
        }).ToList();
        foreach (var (names, items) in await Task.WhenAll(calls))
        {
            if (items is null)
            {
                failed.AddRange(names);
                continue;
            }
            for (var i = 0; i < names.Count; i++)
                if (items[i] is { } item) hits[names[i]] = item;
        }
        return new MemcachedMultiGet(hits, failed);
    }

    // ----- writes

    /// <summary>Stores a value. <paramref name="ttl"/>: zero never expires, negative is gone at once, over 30 days
    /// is sent as an absolute time (memcached's rule).</summary>
    public Task SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan ttl = default, uint flags = 0, CancellationToken cancellationToken = default) =>
        StoreAsync(key, value, ttl, flags, add: false, cancellationToken);

    public Task SetAsync(string key, string value, TimeSpan ttl = default, CancellationToken cancellationToken = default) =>
        StoreAsync(key, Utf8(value), ttl, 0, add: false, cancellationToken);

    /// <summary>Stores a value only when the key is missing: false when it was there (nothing changed).</summary>
    public Task<bool> AddAsync(string key, ReadOnlyMemory<byte> value, TimeSpan ttl = default, uint flags = 0, CancellationToken cancellationToken = default) =>
        StoreAsync(key, value, ttl, flags, add: true, cancellationToken);

    public Task<bool> AddAsync(string key, string value, TimeSpan ttl = default, CancellationToken cancellationToken = default) =>
        StoreAsync(key, Utf8(value), ttl, 0, add: true, cancellationToken);

    private Task<bool> StoreAsync(string key, ReadOnlyMemory<byte> value, TimeSpan ttl, uint flags, bool add, CancellationToken cancellationToken)
    {
        var k = MemcachedKey.Encode(key);
        if (value.Length > _options.MaxValueSize)
            throw new ArgumentException($"memcached: the value of '{key}' is {value.Length} bytes, more than the {_options.MaxValueSize} allowed", nameof(value));
        return ExecuteAsync(ServerFor(k), new StoreOp(k, value, Exptime(ttl), flags, add), cancellationToken);
    }

    /// <summary>Deletes a key: false when it was not there.</summary>
    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var k = MemcachedKey.Encode(key);
        return ExecuteAsync(ServerFor(k), new DeleteOp(k), cancellationToken);
    }

    /// <summary>Adds <paramref name="delta"/> to a counter atomically in the server and returns the new value; a
    /// negative delta decrements, stopping at 0 (counters are unsigned 64-bit; an increment wraps). A missing counter
    /// is created holding <paramref name="initial"/> (the delta is not added to it), expiring after
    /// <paramref name="ttl"/>; without an initial value a missing counter is null. A value that is not a decimal
    /// number is a <see cref="MemcachedErrorKind.ClientError"/>.</summary>
    public Task<ulong?> IncrementAsync(string key, long delta, ulong? initial = null, TimeSpan ttl = default, CancellationToken cancellationToken = default)
    {
        var k = MemcachedKey.Encode(key);
        var magnitude = delta < 0 ? (ulong)-(delta + 1) + 1 : (ulong)delta;
        return ExecuteAsync(ServerFor(k), new ArithmeticOp(k, magnitude, delta < 0, initial, Exptime(ttl)), cancellationToken);
    }

    // ----- every server

    /// <summary>Empties every server (flush_all); throws the first failure once every server was tried.</summary>
    public Task FlushAllAsync(CancellationToken cancellationToken = default) =>
        Task.WhenAll(_servers.Select(s => ExecuteAsync(s, new LineOp("flush_all\r\n"u8.ToArray(), "OK"), cancellationToken)));

    /// <summary>The stats of each server (memcached's "stats" names and values).</summary>
    public async Task<IReadOnlyList<MemcachedServerStats>> StatsAsync(CancellationToken cancellationToken = default) =>
        await Task.WhenAll(_servers.Select(async s =>
        {
            try
            {
                return new MemcachedServerStats(s.Name, await ExecuteAsync(s, new StatsOp(), cancellationToken), null);
            }
            catch (MemcachedException ex)
            {
                return new MemcachedServerStats(s.Name, null, ex);
            }
        }));

    /// <summary>A best-effort listing of the keys of every server (lru_crawler metadump all), at most
    /// <paramref name="limit"/> per server, optionally only those starting with <paramref name="prefix"/>. Best
    /// effort: the dump walks the LRU while it changes, so keys set or deleted meanwhile may or may not show, and a
    /// server that is dead, busy with another crawl (retried for a while) or slower than
    /// <paramref name="timeout"/> (10 s by default) is listed in <see cref="MemcachedKeyListing.FailedServers"/>.
    /// Each dump runs on a connection of its own: memcached hands the connection to its crawler thread while it
    /// streams, which must not stall the pipelined calls.</summary>
    public async Task<MemcachedKeyListing> ListKeysAsync(string? prefix = null, int limit = 100_000, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var keys = new List<MemcachedKeyInfo>();
        var failed = new List<string>();
        var results = await Task.WhenAll(_servers.Select(async s =>
        {
            try
            {
                return (s.Name, Keys: await DumpAsync(s, prefix, limit, timeout ?? TimeSpan.FromSeconds(10), cancellationToken));
            }
            catch (MemcachedException)
            {
                return (s.Name, Keys: (IReadOnlyList<MemcachedKeyInfo>?)null);
            }
        }));
        foreach (var (name, list) in results)
        {
            if (list is null) failed.Add(name);
            else keys.AddRange(list);
        }
        return new MemcachedKeyListing(keys, failed);
    }

    private async Task<IReadOnlyList<MemcachedKeyInfo>> DumpAsync(MemcachedServer server, string? prefix, int limit, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (server.IsDead)
        {
            Interlocked.Increment(ref Counters.FailFastCount);
            throw new MemcachedException(MemcachedErrorKind.Unavailable, server.Name, "marked dead after a failure");
        }
        var time = _options.TimeProvider;
        var deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        for (var attempt = 1; ; attempt++)
        {
            var left = TimeSpan.FromSeconds(Math.Max(0, deadline - time.GetTimestamp()) / (double)time.TimestampFrequency);
            MemcachedConnection connection;
            try
            {
                connection = await MemcachedConnection.OpenAsync(server.Address, _options.EffectiveConnectTimeout, time, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw new MemcachedException(MemcachedErrorKind.Unavailable, server.Name, "cannot connect: " + ex.Message, ex);
            }
            var op = new MetadumpOp(limit, prefix);
            try
            {
                connection.Send(op);
                return await op.Task.WaitAsync(left, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                Interlocked.Increment(ref Counters.TimeoutCount);
                throw new MemcachedException(MemcachedErrorKind.Timeout, server.Name, $"the key listing took more than {timeout.TotalMilliseconds:0} ms");
            }
            // Another crawl (a listing of another client, the LRU maintainer) is running: wait for it a little.
            catch (MemcachedException ex) when (ex.Message.Contains("BUSY", StringComparison.Ordinal) && attempt < 50 && time.GetTimestamp() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
            }
            finally
            {
                connection.Break(new ObjectDisposedException("the key listing is over"));
            }
        }
    }

    // ----- the call path

    private async Task<T> ExecuteAsync<T>(MemcachedServer server, MemcachedOp<T> op, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Interlocked.Increment(ref Counters.RequestCount);
        var call = server.SendAsync(op);
        try
        {
            return await call.WaitAsync(_options.Timeout, _options.TimeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Still connecting: the attempt ends later, and its error must not surface as an unobserved exception.
            _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            op.Abandon();
            Interlocked.Increment(ref Counters.TimeoutCount);
            server.TimedOut(op);
            throw new MemcachedException(MemcachedErrorKind.Timeout, server.Name, $"no reply within {_options.Timeout.TotalMilliseconds:0} ms; the connection was reset");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The reply of a request already sent is still read and dropped; one not sent yet never will be.
            _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            op.Abandon();
            throw;
        }
        catch (MemcachedException ex)
        {
            switch (ex.Kind)
            {
                case MemcachedErrorKind.ServerError or MemcachedErrorKind.ClientError: Interlocked.Increment(ref Counters.ServerErrorCount); break;
                case MemcachedErrorKind.ConnectionLost or MemcachedErrorKind.Protocol: Interlocked.Increment(ref Counters.ConnectionLostCount); break;
                // In flight on a connection that another call's timeout reset: it timed out as well.
                case MemcachedErrorKind.Timeout: Interlocked.Increment(ref Counters.TimeoutCount); break;
                case MemcachedErrorKind.Unavailable: break;
            }
            throw;
        }
    }

    /// <summary>memcached's exptime of a TTL: seconds (rounded up) up to 30 days, a unix time beyond (the server reads
    /// larger numbers so), 0 for never, -1 for already expired.</summary>
    internal long Exptime(TimeSpan ttl)
    {
        if (ttl == TimeSpan.Zero) return 0;
        if (ttl < TimeSpan.Zero) return -1;
        var seconds = (long)Math.Ceiling(ttl.TotalSeconds);
        if (seconds <= 30L * 24 * 3600) return seconds;
        var at = _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds() + seconds;
        // The server parses exptime as a 32-bit number: beyond it, "never" is the closest meaning.
        return at > int.MaxValue ? 0 : at;
    }

    private static ReadOnlyMemory<byte> Utf8(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Encoding.UTF8.GetBytes(value);
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var s in _servers) s.Dispose();
    }
}
