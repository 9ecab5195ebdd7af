using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Caching.Memory;

namespace Backend.Data;

/// <summary>The in-process LRU-like read-through cache of <c>Db.GetCachedAsync</c> (Microsoft.Extensions.Caching.Memory
/// with a size limit, one unit per row). Tables have a generation number in their keys, so dropping a whole table
/// (after UpdateAll/DelAll) is one increment rather than a scan.</summary>
public sealed class DbCache : IDisposable
{
    private readonly MemoryCache _cache;
    private readonly ConcurrentDictionary<string, long> _generations = new(StringComparer.Ordinal);
    private readonly HashSet<string> _cachedTables = new(StringComparer.Ordinal);

    private readonly TimeSpan _ttl;

    /// <summary>A cache holding at most <paramref name="maxRows"/> rows, each for at most <paramref name="ttl"/>
    /// (default 5 s): writes through this process drop entries at once; the TTL bounds how long a change made by
    /// another process can go unseen.</summary>
    public DbCache(long maxRows = 10_000, TimeSpan? ttl = null)
    {
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = Math.Max(1, maxRows), CompactionPercentage = 0.25 });
        _ttl = ttl ?? TimeSpan.FromSeconds(5);
    }

    /// <summary>Tables whose every write drops its cached rows (<c>-db-caching</c>), without <see cref="DbOptions.Cached"/>.</summary>
    public void CacheTables(IEnumerable<string> tables)
    {
        lock (_cachedTables) _cachedTables.UnionWith(tables);
    }

    internal bool IsCachedTable(string table)
    {
        lock (_cachedTables) return _cachedTables.Count > 0 && _cachedTables.Contains(table);
    }

    internal string Key(DbRequest request)
    {
        var sb = new StringBuilder(request.Options.Pool ?? "").Append('\u0001').Append(request.Table.Name).Append('\u0001')
            .Append(_generations.GetValueOrDefault(request.Table.Name));
        foreach (var k in request.Table.PrimaryKeys) sb.Append('\u0001').Append(DbValues.ToText(request.Row.GetValueOrDefault(k)));
        return sb.ToString();
    }

    private long _version;

    /// <summary>Bumped by every invalidation; a read that saw another version must not be stored.</summary>
    internal long Version => Interlocked.Read(ref _version);

    internal bool TryGet(string key, out DbRow? row) => _cache.TryGetValue(key, out row);

    internal void SetIfUnchanged(string key, DbRow? row, long version)
    {
        var entry = _cache.CreateEntry(key);
        entry.Size = 1;
        entry.AbsoluteExpirationRelativeToNow = _ttl;
        entry.Value = row;
        // Checked again after adding, too: an invalidation between the check and the add removes what was just added.
        if (Version != version) return;
        entry.Dispose();
        if (Version != version) _cache.Remove(key);
    }

    internal void Remove(string key)
    {
        Interlocked.Increment(ref _version);
        _cache.Remove(key);
    }

    internal void ClearTable(string table)
    {
        Interlocked.Increment(ref _version);
        _generations.AddOrUpdate(table, 1, (_, g) => g + 1);
    }

    /// <summary>The read-through: a hit is a copy of the cached row (or null for a cached miss); a miss reads through
    /// <paramref name="driver"/> with the read-retry policy and stores a copy of what came back. The row returned is the
    /// caller's to change.</summary>
    internal async ValueTask<DbRow?> GetOrLoadAsync(IDbDriver driver, DbRequest request, CancellationToken cancellationToken)
    {
        var key = Key(request);
        if (TryGet(key, out var cached)) return cached is null ? null : Copy(cached);
        // A write that invalidates while this read is in flight bumps the version, and the read is then not stored:
        // otherwise the row read before the write would be served until the next invalidation.
        var version = Version;
        var rows = (await DbReadRetry.Run(driver, request, cancellationToken)).Rows;
        var row = rows.Count > 0 ? rows[0] : null;
        SetIfUnchanged(key, row is null ? null : Copy(row), version);
        return row;
    }

    /// <summary>Drops what a write made stale, when the write is to a cached table or says <see cref="DbOptions.Cached"/>:
    /// the row's entry, or the whole table after a write of many rows (<paramref name="all"/>, UpdateAll, DelAll, a
    /// native query).</summary>
    internal void Invalidate(DbRequest request, bool all)
    {
        if (!request.Options.Cached && !IsCachedTable(request.Table.Name)) return;
        if (all || request.Operation is DbOperation.UpdateAll or DbOperation.DelAll or DbOperation.Query) ClearTable(request.Table.Name);
        else Remove(Key(request));
    }

    /// <summary>A copy deep enough that callers editing a returned row (JSON values included) cannot change the cache.</summary>
    internal static DbRow Copy(DbRow row)
    {
        var copy = new DbRow();
        foreach (var (k, v) in row) copy[k] = v is System.Text.Json.Nodes.JsonNode n ? n.DeepClone() : v;
        return copy;
    }

    /// <summary>Rows currently cached.</summary>
    public long Count => _cache.Count;

    /// <inheritdoc />
    public void Dispose() => _cache.Dispose();
}
