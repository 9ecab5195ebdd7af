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

    /// <summary>The first-level key of a request's row: the table's local generation, then the row's identity across
    /// processes (<see cref="SharedKey"/>: pool, table, primary key values).</summary>
    internal string Key(DbRequest request)
    {
        var sb = new StringBuilder().Append(_generations.GetValueOrDefault(request.Table.Name)).Append(GenerationEnd)
            .Append(request.Options.Pool ?? "").Append('\u0001').Append(request.Table.Name);
        foreach (var k in request.Table.PrimaryKeys) sb.Append('\u0001').Append(DbValues.ToText(request.Row.GetValueOrDefault(k)));
        return sb.ToString();
    }

    private const char GenerationEnd = '\u0002';

    /// <summary>The row's identity across processes: a first-level key without the local generation.</summary>
    internal static string SharedKey(string key) => key[(key.IndexOf(GenerationEnd, StringComparison.Ordinal) + 1)..];

    private string LocalKey(string table, string sharedKey) =>
        string.Concat(_generations.GetValueOrDefault(table).ToString(System.Globalization.CultureInfo.InvariantCulture), GenerationEnd.ToString(), sharedKey);

    private long _version;

    /// <summary>Bumped by every invalidation; a read that saw another version must not be stored.</summary>
    internal long Version => Interlocked.Read(ref _version);

    /// <summary>The shared level and the broadcast that keep the first level coherent across processes, or null on a
    /// single process (<c>-cache-type local</c> and <c>-msg-type local</c>): then a write through another process is
    /// seen when this process's copy expires (<c>-db-cache-ttl</c>).</summary>
    internal IDbCacheCluster? Cluster { get; set; }

    internal bool TryGet(string key, out DbRow? row)
    {
        if (_cache.TryGetValue(key, out Entry? entry) && entry is not null)
        {
            row = entry.Row;
            return true;
        }
        row = null;
        return false;
    }

    // Stores of one key are serialised so that a copy read at an older shared version never replaces a newer one.
    private readonly Lock[] _stripes = [.. Enumerable.Range(0, 32).Select(_ => new Lock())];

    internal void SetIfUnchanged(string key, DbRow? row, long version, DbVersion shared = default)
    {
        lock (_stripes[(key.GetHashCode() & 0x7fffffff) % _stripes.Length])
        {
            if (_cache.TryGetValue(key, out Entry? existing) && existing is not null && existing.Shared.CompareTo(shared) > 0) return;
            var entry = _cache.CreateEntry(key);
            entry.Size = 1;
            entry.AbsoluteExpirationRelativeToNow = _ttl;
            entry.Value = new Entry(row, shared);
            // Checked again after adding, too: an invalidation between the check and the add removes what was just added.
            if (Version != version) return;
            entry.Dispose();
            if (Version != version) _cache.Remove(key);
        }
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

    /// <summary>Another process wrote a row (<paramref name="sharedKey"/>) or many rows of a table (null key): drop
    /// this process's copy.</summary>
    internal void DropRemote(string table, string? sharedKey)
    {
        if (sharedKey is null) ClearTable(table);
        else Remove(LocalKey(table, sharedKey));
    }

    /// <summary>Counts hits and misses (null: not counted); set by <see cref="Db"/>.</summary>
    internal Metrics.DbMeter? Meter { get; set; }

    /// <summary>The read-through: a hit is a copy of the cached row (or null for a cached miss); a miss asks the shared
    /// level when there is one (a value stored for the row's current version), else reads through
    /// <paramref name="driver"/> with the read-retry policy, and stores a copy of what came back in both levels. The
    /// row returned is the caller's to change.</summary>
    internal async ValueTask<DbRow?> GetOrLoadAsync(IDbDriver driver, DbRequest request, CancellationToken cancellationToken)
    {
        var key = Key(request);
        if (TryGet(key, out var cached))
        {
            Meter?.CacheHit(request.Table.Name);
            return cached is null ? null : Copy(cached);
        }
        Meter?.CacheMiss(request.Table.Name);
        // A write that invalidates while this read is in flight bumps the version, and the read is then not stored:
        // otherwise the row read before the write would be served until the next invalidation.
        var version = Version;
        var cluster = Cluster;
        DbSharedRead? shared = null;
        string? sharedKey = null;
        if (cluster is { Shared: true })
        {
            sharedKey = SharedKey(key);
            shared = await cluster.ReadAsync(request.Table.Name, sharedKey, cancellationToken);
            if (shared is { Text: { } text } && TryRead(request.Table, text, out var stored))
            {
                SetIfUnchanged(key, stored is null ? null : Copy(stored), version, shared.Value.Version);
                return stored;
            }
        }
        var rows = (await DbReadRetry.Run(driver, request, cancellationToken, Meter)).Rows;
        var row = rows.Count > 0 ? rows[0] : null;
        // Stored for the version read before the database: if a write came in between, its version is newer and no
        // process takes this value.
        if (shared is { } at) cluster!.Store(sharedKey!, at.Version, DbRowText.Write(request.Table, row));
        SetIfUnchanged(key, row is null ? null : Copy(row), version, shared?.Version ?? default);
        return row;
    }

    private static bool TryRead(TableSchema table, string text, out DbRow? row)
    {
        try
        {
            row = DbRowText.Read(table, text);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            // not a value this code wrote (another version, or a key that someone else set): read the database
            row = null;
            return false;
        }
    }

    /// <summary>Drops what a write made stale, when the write is to a cached table or says <see cref="DbOptions.Cached"/>:
    /// the row's entry, or the whole table after a write of many rows (<paramref name="all"/>, UpdateAll, DelAll, a
    /// native query). With a cluster, every other process drops it too (<see cref="IDbCacheCluster.InvalidateAsync"/>);
    /// the returned task ends when the shared level has the new version and the broadcast is sent.</summary>
    internal ValueTask Invalidate(DbRequest request, bool all)
    {
        if (!request.Options.Cached && !IsCachedTable(request.Table.Name)) return ValueTask.CompletedTask;
        string? sharedKey = null;
        if (all || request.Operation is DbOperation.UpdateAll or DbOperation.DelAll or DbOperation.Query) ClearTable(request.Table.Name);
        else
        {
            var key = Key(request);
            Remove(key);
            sharedKey = SharedKey(key);
        }
        return Cluster is { } cluster ? cluster.InvalidateAsync(request.Table.Name, sharedKey) : ValueTask.CompletedTask;
    }

    private sealed record Entry(DbRow? Row, DbVersion Shared);

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
