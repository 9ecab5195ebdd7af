using System.Globalization;

namespace Backend.Cache;

/// <summary>The <c>local</c> cache: an in-process LRU bounded by <c>-lru-max</c> keys (the reference's <c>lru*</c>
/// functions). A put into a full cache evicts the least recently used key; expired keys are dropped when met.</summary>
/// <remarks>Not <c>MemoryCache</c>: with a size limit it refuses new entries once full until a background compaction
/// runs, and it has no atomic increment; the reference's LRU always stores the newest value and counts with
/// <c>lruIncr</c>. One lock over a dictionary and a linked list: every operation is O(1) and short, so the lock is
/// held for well under a microsecond.</remarks>
internal sealed class LocalCache(long maxKeys = LocalCache.DefaultMax, TimeProvider? timeProvider = null) : ICache
{
    /// <summary>The default bound on keys (<c>-lru-max</c>).</summary>
    public const long DefaultMax = 100_000;

    private readonly Dictionary<string, LinkedListNode<Entry>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _order = new(); // most recently used first
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly long _max = Math.Max(1, maxKeys);
    private long _hits, _misses, _evictions;

    private sealed class Entry(string key, string value, long expires)
    {
        public string Key { get; } = key;
        public string Value { get; set; } = value;
        public long Expires { get; set; } = expires; // TimeProvider timestamp; 0 = never
    }

    /// <inheritdoc />
    public string Kind => "local";

    /// <summary>Keys held now (expired ones not yet met included).</summary>
    public int Count
    {
        get
        {
            lock (_map) return _map.Count;
        }
    }

    /// <inheritdoc />
    public ValueTask<string?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_map)
        {
            if (Live(key) is { } node)
            {
                Touch(node);
                _hits++;
                return ValueTask.FromResult<string?>(node.Value.Value);
            }
            _misses++;
        }
        return ValueTask.FromResult<string?>(null);
    }

    /// <inheritdoc />
    public ValueTask PutAsync(string key, string value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var expires = Expiry(ttl);
        lock (_map) Set(key, value, expires);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<long> IncrAsync(string key, long delta, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        long next;
        lock (_map)
        {
            if (Live(key) is { } node)
            {
                // A value that is not a number counts as 0, as the reference's lruIncr did.
                next = (long.TryParse(node.Value.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : 0) + delta;
                node.Value.Value = next.ToString(CultureInfo.InvariantCulture);
                Touch(node);
            }
            else
            {
                next = delta;
                Set(key, next.ToString(CultureInfo.InvariantCulture), Expiry(ttl));
            }
        }
        return ValueTask.FromResult(next);
    }

    /// <inheritdoc />
    public ValueTask<bool> DelAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_map)
        {
            if (!_map.Remove(key, out var node)) return ValueTask.FromResult(false);
            _order.Remove(node);
            return ValueTask.FromResult(!Expired(node.Value));
        }
    }

    /// <inheritdoc />
    public ValueTask ClearAsync(string? pattern = null, CancellationToken cancellationToken = default)
    {
        lock (_map)
        {
            if (pattern is null)
            {
                _map.Clear();
                _order.Clear();
            }
            else
            {
                foreach (var key in _map.Keys.Where(k => CacheGlob.IsMatch(pattern, k)).ToList())
                {
                    _map.Remove(key, out var node);
                    _order.Remove(node!);
                }
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> KeysAsync(string? pattern = null, int limit = 1000, CancellationToken cancellationToken = default)
    {
        var keys = new List<string>();
        lock (_map)
        {
            foreach (var entry in _order)
            {
                if (keys.Count >= limit) break;
                if (!Expired(entry) && (pattern is null || CacheGlob.IsMatch(pattern, entry.Key))) keys.Add(entry.Key);
            }
        }
        return ValueTask.FromResult<IReadOnlyList<string>>(keys);
    }

    /// <inheritdoc />
    public ValueTask<CacheStats> StatsAsync(CancellationToken cancellationToken = default)
    {
        lock (_map)
            return ValueTask.FromResult(new CacheStats { Kind = Kind, Count = _map.Count, Max = _max, Hits = _hits, Misses = _misses, Evictions = _evictions });
    }

    private long Expiry(TimeSpan? ttl) => ttl is { } t && t > TimeSpan.Zero ? _time.GetTimestamp() + (long)(t.TotalSeconds * _time.TimestampFrequency) : 0;

    private bool Expired(Entry entry) => entry.Expires != 0 && _time.GetTimestamp() >= entry.Expires;

    // Under the lock: the node of a key that is there and not expired (an expired one is dropped).
    private LinkedListNode<Entry>? Live(string key)
    {
        if (!_map.TryGetValue(key, out var node)) return null;
        if (!Expired(node.Value)) return node;
        _map.Remove(key);
        _order.Remove(node);
        return null;
    }

    private void Touch(LinkedListNode<Entry> node)
    {
        if (node.Previous is null) return;
        _order.Remove(node);
        _order.AddFirst(node);
    }

    private void Set(string key, string value, long expires)
    {
        if (_map.TryGetValue(key, out var node))
        {
            node.Value.Value = value;
            node.Value.Expires = expires;
            Touch(node);
            return;
        }
        while (_map.Count >= _max && _order.Last is { } last)
        {
            _map.Remove(last.Value.Key);
            _order.RemoveLast();
            _evictions++;
        }
        _map[key] = _order.AddFirst(new Entry(key, value, expires));
    }
}
